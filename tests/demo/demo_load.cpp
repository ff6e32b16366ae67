// The demo workload of `bash .ci/demo`: a producer writing orders to `demo-orders` (3 partitions,
// 10 messages/s each, after a backlog of 1 000 per partition) and five consumer groups, each a real
// group member (subscribed, so Warren shows its owner and client id) that commits explicit offsets
// on its own schedule. Together they walk Warren through every status of Burrow's rules
// (service/evaluator/rules.cpp) within two minutes, and then start over:
//
//   group         commits   0:00 ................................................ 2:00
//   demo-steady   every 2 s OK all the time (commits the log end)
//   demo-slow     every 3 s OK; 0:15 consumes 1 msg/s (producer 10/s) → WARN ~0:27; 1:10 catches up → OK
//   demo-stall    every 2 s OK; 0:20 partition 0 stuck, same offset → ERR/STALL ~0:28; 1:15 unstuck → OK
//   demo-stop     every 2 s OK; 0:30 the consumer hangs, no commits → ERR/STOP ~0:37; 1:25 back → OK
//   demo-rewind   every 5 s OK; 0:40 offsets reset 500 back → ERR/REWIND until ~1:00, then OK, catching up
//
// The timings follow from config/local.toml (intervals = 5, offset-refresh = 1, eval-interval = 1):
// a window is the last 5 commits, so WARN and STALL need 5 commits of the new behaviour, STOP needs
// the time since the last commit to exceed the window's span (4 commits) and every broker sample
// of the last 5 s to be past the last commit, and REWIND lasts until the commit before the reset
// leaves the window (4 commits × 5 s). See README.md ("What the two commands do").
//
// Output: the schedule and each transition on stdout (the console of `.ci/demo`); librdkafka's
// own log lines and errors go to --log FILE (default stderr). Demo code: blocking calls are fine.
//
//   warren_demo_load [--bootstrap HOST:PORT] [--topic NAME] [--log FILE]
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

FILE* g_log = stderr;  // librdkafka log lines and errors

constexpr int partitions_wanted = 3;
constexpr int per_partition_per_tick = 1;  // every 100 ms: 10 messages/s per partition
constexpr std::int64_t backlog = 1000;     // messages per partition written at start (the "history")
constexpr double cycle_seconds = 120;
constexpr double slow_rate = 1;        // messages/s per partition of a slow consumer (a tenth of production)
constexpr double catch_up_rate = 40;  // messages/s per partition while catching up (4× production)
// A replay after a rewind runs at twice production: it gets back to the pre-rewind offset after
// 25 s, later than the rewind leaves the window (20 s), so REWIND shows for those 20 s.
constexpr double replay_rate = 20;

void log_line(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  std::fprintf(g_log, "%d %s %s: %s\n", level, rk ? rd_kafka_name(rk) : "-", fac, buf);
  std::fflush(g_log);
}
void on_error(rd_kafka_t* rk, int err, const char* reason, void*) {
  std::fprintf(g_log, "error %s: %s: %s\n", rd_kafka_name(rk), rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)),
               reason);
  std::fflush(g_log);
}

std::vector<std::int64_t>* g_log_end = nullptr;  // producer's delivery reports: next offset per partition
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err || !g_log_end || m->partition < 0 || m->partition >= static_cast<int>(g_log_end->size())) return;
  auto& end = (*g_log_end)[static_cast<std::size_t>(m->partition)];
  end = std::max(end, m->offset + 1);
}

rd_kafka_t* make(rd_kafka_type_t type, const std::string& bootstrap, const std::string& group,
                 const std::string& client_id) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      std::fprintf(g_log, "config %s: %s\n", k, err);
  };
  set("bootstrap.servers", bootstrap);
  set("client.id", client_id);
  rd_kafka_conf_set_log_cb(conf, log_line);
  rd_kafka_conf_set_error_cb(conf, on_error);
  if (type == RD_KAFKA_CONSUMER) {
    set("group.id", group);
    set("enable.auto.commit", "false");
    set("enable.auto.offset.store", "false");
    set("auto.offset.reset", "latest");
  } else {
    set("linger.ms", "5");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "demo: %s\n", err);
    std::exit(1);
  }
  return rk;
}

// Creates the topic (ignoring "already exists") and returns its partition count.
int ensure_topic(rd_kafka_t* rk, const std::string& topic) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions_wanted, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000)) {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = res ? rd_kafka_CreateTopics_result_topics(res, &n) : nullptr;
    for (size_t i = 0; i < n; ++i) {
      auto e = rd_kafka_topic_result_error(results[i]);
      if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        std::fprintf(stderr, "demo: cannot create %s: %s\n", topic.c_str(),
                     rd_kafka_topic_result_error_string(results[i]));
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  // The topic's partition count from metadata (it may have existed with another count).
  for (int attempt = 0; attempt < 60 && !g_stop; ++attempt) {
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    int count = 0;
    if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (md->topic_cnt == 1 && !md->topics[0].err) count = md->topics[0].partition_cnt;
      rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(t);
    if (count > 0) return count;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // demo: retry until the broker has it
  }
  std::fprintf(stderr, "demo: topic %s has no metadata\n", topic.c_str());
  std::exit(1);
}

// What one group does to its partitions at a moment of its cycle.
enum class mode { follow, slow, frozen, catch_up, replay };
struct plan {
  bool commits = true;         // false: the consumer hangs (no commits at all)
  mode partition0 = mode::follow;
  mode others = mode::follow;
  double rewind_by = 0;        // > 0: on the first commit of this phase, go back this many messages
  const char* says = "";       // the console line announcing the phase
};

struct group {
  std::string name;
  double commit_every;                 // seconds
  plan (*at)(double t);                // t = seconds into the cycle
  rd_kafka_t* rk = nullptr;
  std::vector<double> pos;             // committed position per partition (fractional while slow)
  double next_commit = 0;
  double last_commit = 0;
  const char* last_says = nullptr;
  int rewound_cycle = -1;
  long commits_failed = 0;
};

plan plan_steady(double) { return {.says = "commits the log end every 2 s: OK all the time"}; }
plan plan_slow(double t) {
  if (t < 15) return {.says = "healthy (OK)"};
  if (t < 70)
    return {.partition0 = mode::slow, .others = mode::slow,
            .says = "slows down to 1 msg/s per partition, still committing (producer: 10/s): lag grows, WARN in ~12 s"};
  return {.partition0 = mode::catch_up, .others = mode::catch_up,
          .says = "catches up at 40 msg/s per partition: lag falls, OK"};
}
plan plan_stall(double t) {
  if (t < 20) return {.says = "healthy (OK)"};
  if (t < 75)
    return {.partition0 = mode::frozen,
            .says = "partition 0 is stuck on one message and commits the same offset every 2 s: "
                    "ERR (partition 0 STALL) in ~8 s"};
  return {.partition0 = mode::catch_up, .says = "partition 0 gets unstuck and catches up: OK"};
}
plan plan_stop(double t) {
  if (t < 30) return {.says = "healthy (OK)"};
  if (t < 85)
    return {.commits = false,
            .says = "the consumer hangs: still a member, no more commits: ERR (every partition STOP) in ~7 s"};
  return {.partition0 = mode::catch_up, .others = mode::catch_up, .says = "the consumer is back and catches up: OK"};
}
plan plan_rewind(double t) {
  if (t < 40) return {.says = "healthy, commits every 5 s (OK)"};
  return {.partition0 = mode::replay, .others = mode::replay, .rewind_by = 500,
          .says = "offsets reset 500 messages back (a replay), catching up: "
                  "ERR (every partition REWIND) for ~20 s, then OK"};
}

std::string clock_text(double t) {
  char b[32];
  const int s = static_cast<int>(t);
  std::snprintf(b, sizeof b, "%d:%02d", s / 60, s % 60);
  return b;
}

void say(double t, const std::string& text) {
  std::printf("demo %s  %s\n", clock_text(t).c_str(), text.c_str());
  std::fflush(stdout);
}

bool assigned(rd_kafka_t* rk, int partitions) {
  rd_kafka_topic_partition_list_t* a = nullptr;
  if (rd_kafka_assignment(rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR || !a) return false;
  const bool all = a->cnt >= partitions;
  rd_kafka_topic_partition_list_destroy(a);
  return all;
}

// Serves the consumer's queue (rebalances, fetched messages, which the demo throws away).
void drain(rd_kafka_t* rk) {
  while (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 0)) rd_kafka_message_destroy(m);
}
}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = "127.0.0.1:9092", topic = "demo-orders", log_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--bootstrap") == 0) bootstrap = argv[i + 1];
    else if (std::strcmp(argv[i], "--topic") == 0) topic = argv[i + 1];
    else if (std::strcmp(argv[i], "--log") == 0) log_path = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--bootstrap HOST:PORT] [--topic NAME] [--log FILE]\n", argv[0]);
      return 2;
    }
  }
  if (!log_path.empty()) {
    g_log = std::fopen(log_path.c_str(), "a");
    if (!g_log) {
      std::perror(log_path.c_str());
      return 1;
    }
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  rd_kafka_t* producer = make(RD_KAFKA_PRODUCER, bootstrap, "", "demo-producer");
  const int parts = ensure_topic(producer, topic);
  const auto topic_ready = std::chrono::steady_clock::now();
  std::vector<std::int64_t> log_end(static_cast<std::size_t>(parts), 0);
  for (int p = 0; p < parts; ++p) {
    std::int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(producer, topic.c_str(), p, &lo, &hi, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
      log_end[static_cast<std::size_t>(p)] = hi;
  }
  g_log_end = &log_end;
  long produced = 0;
  auto produce = [&](int p) {
    std::string payload = "{\"order\":" + std::to_string(produced++) + "}";
    rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(p),
                      RD_KAFKA_V_VALUE(payload.data(), payload.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_END);
  };
  // The backlog, so a rewind has history to go back to.
  for (int p = 0; p < parts; ++p)
    for (std::int64_t n = log_end[static_cast<std::size_t>(p)]; n < backlog; ++n) produce(p);
  rd_kafka_flush(producer, 30000);

  std::vector<group> groups;
  groups.push_back({.name = "demo-steady", .commit_every = 2, .at = plan_steady});
  groups.push_back({.name = "demo-slow", .commit_every = 3, .at = plan_slow});
  groups.push_back({.name = "demo-stall", .commit_every = 2, .at = plan_stall});
  groups.push_back({.name = "demo-stop", .commit_every = 2, .at = plan_stop});
  groups.push_back({.name = "demo-rewind", .commit_every = 5, .at = plan_rewind});
  for (auto& g : groups) {
    g.rk = make(RD_KAFKA_CONSUMER, bootstrap, g.name, g.name + "-1");
    rd_kafka_poll_set_consumer(g.rk);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(g.rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    g.pos.assign(static_cast<std::size_t>(parts), 0);
  }

  using clock = std::chrono::steady_clock;
  // Before the first commit: every group has joined and owns the topic's partitions (30 s at
  // most), and the topic has existed for 6 s with the producer running, so Warren (topic-refresh
  // 2 s, offset-refresh 1 s) already holds log-end samples older than the first commits. Without
  // them a group's first commit (a window of one) is judged STOP: no sample shows it caught up.
  const auto join_deadline = clock::now() + std::chrono::seconds(30);
  const auto settled = topic_ready + std::chrono::seconds(6);
  for (auto tick = clock::now();; tick += std::chrono::milliseconds(100)) {
    bool all = true;
    for (auto& g : groups) {
      drain(g.rk);
      all = all && assigned(g.rk, parts);
    }
    for (int p = 0; p < parts; ++p) produce(p);
    rd_kafka_poll(producer, 0);
    if (g_stop || clock::now() >= join_deadline || (all && clock::now() >= settled)) break;
    std::this_thread::sleep_until(tick + std::chrono::milliseconds(100));  // demo pacing
  }

  std::printf("demo: topic %s (%d partitions, 10 messages/s each), groups: demo-steady demo-slow demo-stall "
              "demo-stop demo-rewind; the schedule repeats every 2:00.\n",
              topic.c_str(), parts);
  std::printf("demo: schedule started\n");
  std::fflush(stdout);
  const auto start = clock::now();
  for (auto& g : groups)
    for (std::size_t p = 0; p < g.pos.size(); ++p) g.pos[p] = static_cast<double>(log_end[p]);

  auto next_tick = clock::now();
  int last_cycle = -1;
  while (!g_stop) {
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    const int cycle = static_cast<int>(elapsed / cycle_seconds);
    const double t = std::fmod(elapsed, cycle_seconds);
    if (cycle != last_cycle) {
      if (last_cycle >= 0) say(elapsed, "a new cycle starts");
      for (auto& g : groups) g.last_says = nullptr;  // announce every phase again in the new cycle
      last_cycle = cycle;
    }

    for (int p = 0; p < parts; ++p)
      for (int i = 0; i < per_partition_per_tick; ++i) produce(p);
    rd_kafka_poll(producer, 0);

    for (auto& g : groups) {
      drain(g.rk);
      const plan pl = g.at(t);
      if (pl.says != g.last_says) {
        say(elapsed, g.name + ": " + pl.says);
        g.last_says = pl.says;
      }
      if (elapsed < g.next_commit) continue;
      const double dt = elapsed - g.last_commit;
      // Commits at multiples of commit_every (a late one does not cause a burst), plus one at
      // 1 s: a window of two commits 1 s apart keeps a slow committer (every 5 s) out of STOP
      // while the log-end samples from before its first commit age out of Warren's history.
      g.next_commit = g.next_commit == 0 ? 1 : (std::floor(elapsed / g.commit_every) + 1) * g.commit_every;
      if (!pl.commits) continue;
      if (pl.rewind_by > 0 && g.rewound_cycle != cycle) {
        g.rewound_cycle = cycle;
        for (auto& x : g.pos) x = std::max(0.0, x - pl.rewind_by);
      } else {
        for (int p = 0; p < parts; ++p) {
          auto& x = g.pos[static_cast<std::size_t>(p)];
          const double end = static_cast<double>(log_end[static_cast<std::size_t>(p)]);
          switch (p == 0 ? pl.partition0 : pl.others) {
            case mode::follow: x = end; break;
            case mode::slow: x = std::min(end, x + slow_rate * dt); break;
            case mode::frozen: break;
            case mode::catch_up: x = std::min(end, x + catch_up_rate * dt); break;
            case mode::replay: x = std::min(end, x + replay_rate * dt); break;
          }
        }
      }
      g.last_commit = elapsed;
      rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(parts);
      for (int p = 0; p < parts; ++p)
        rd_kafka_topic_partition_list_add(offsets, topic.c_str(), p)->offset =
            static_cast<std::int64_t>(g.pos[static_cast<std::size_t>(p)]);
      if (auto e = rd_kafka_commit(g.rk, offsets, 0)) {
        if (g.commits_failed++ == 0)
          say(elapsed, g.name + ": commit failed: " + rd_kafka_err2str(e) + " (more in the log)");
        std::fprintf(g_log, "commit %s: %s\n", g.name.c_str(), rd_kafka_err2str(e));
      }
      rd_kafka_topic_partition_list_destroy(offsets);
    }
    next_tick += std::chrono::milliseconds(100);
    std::this_thread::sleep_until(next_tick);  // demo pacing: one tick per 100 ms
  }

  for (auto& g : groups) {
    rd_kafka_consumer_close(g.rk);
    rd_kafka_destroy(g.rk);
  }
  rd_kafka_flush(producer, 2000);
  rd_kafka_destroy(producer);
  if (g_log != stderr) std::fclose(g_log);
  return 0;
}
