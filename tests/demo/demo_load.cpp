// The demo workload: a producer writing to `demo-orders` and a consumer group `demo-shop` that
// cycles through healthy → lagging → stalled → stopped → healthy, so Warren's statuses
// (OK, WARN, STALL, STOP/ERR, back to OK) can be watched live. Demo code: blocking calls are fine.
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

rd_kafka_t* make(rd_kafka_type_t type, const std::string& bootstrap, bool consumer) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const char* v) {
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) std::fprintf(stderr, "%s\n", err);
  };
  set("bootstrap.servers", bootstrap.c_str());
  set("log_level", "3");
  if (consumer) {
    set("group.id", "demo-shop");
    set("client.id", "demo-shop-1");
    set("enable.auto.commit", "false");
    set("auto.offset.reset", "earliest");
  } else {
    set("client.id", "demo-producer");
    set("linger.ms", "50");
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "demo: %s\n", err);
    std::exit(1);
  }
  return rk;
}

const char* phase_name(int p) {
  static const char* names[] = {"healthy", "lagging", "stalled", "stopped"};
  return names[p];
}
}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = "127.0.0.1:9092";
  int phase_seconds = 45;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--bootstrap") == 0) bootstrap = argv[i + 1];
    if (std::strcmp(argv[i], "--phase-seconds") == 0) phase_seconds = std::atoi(argv[i + 1]);
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  rd_kafka_t* producer = make(RD_KAFKA_PRODUCER, bootstrap, false);
  rd_kafka_t* consumer = make(RD_KAFKA_CONSUMER, bootstrap, true);
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "demo-orders", RD_KAFKA_PARTITION_UA);
  // The topic is auto-created by the first produce; subscribe retries until it exists.
  rd_kafka_subscribe(consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);

  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  auto next_commit = clock::now();
  int last_phase = -1;
  long produced = 0;
  while (!g_stop) {
    int phase = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(clock::now() - start).count() /
                                 phase_seconds) % 4;
    if (phase != last_phase) {
      std::fprintf(stderr, "demo: group demo-shop is now %s\n", phase_name(phase));
      last_phase = phase;
    }
    // ~20 messages/s across the topic's partitions.
    for (int i = 0; i < 2; ++i) {
      std::string payload = "order-" + std::to_string(produced++);
      rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("demo-orders"), RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    }
    rd_kafka_poll(producer, 0);

    // healthy: consume everything; lagging: consume 1 message per tick; stalled and stopped: none.
    int budget = phase == 0 ? 1000 : phase == 1 ? 1 : 0;
    rd_kafka_topic_partition_list_t* assignment = nullptr;
    rd_kafka_assignment(consumer, &assignment);
    if (budget == 0) rd_kafka_pause_partitions(consumer, assignment);
    else rd_kafka_resume_partitions(consumer, assignment);
    auto deadline = clock::now() + std::chrono::milliseconds(100);
    while (clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 20);
      if (!m) continue;
      if (!m->err && budget > 0) {
        --budget;
        rd_kafka_topic_partition_list_t* one = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(one, rd_kafka_topic_name(m->rkt), m->partition)->offset = m->offset + 1;
        rd_kafka_offsets_store(consumer, one);
        rd_kafka_topic_partition_list_destroy(one);
      } else if (!m->err && budget == 0) {
        // Over budget: rewind so the message is consumed later.
        rd_kafka_topic_partition_list_t* one = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(one, rd_kafka_topic_name(m->rkt), m->partition)->offset = m->offset;
        rd_kafka_seek_partitions(consumer, one, 1000);
        rd_kafka_topic_partition_list_destroy(one);
      }
      rd_kafka_message_destroy(m);
    }
    // Commit every 2 s, except when stopped. Stalled commits the same positions again.
    if (phase != 3 && clock::now() >= next_commit && assignment && assignment->cnt > 0) {
      rd_kafka_position(consumer, assignment);
      bool any = false;
      for (int i = 0; i < assignment->cnt; ++i) any = any || assignment->elems[i].offset >= 0;
      if (any) rd_kafka_commit(consumer, assignment, 0);
      next_commit = clock::now() + std::chrono::seconds(2);
    }
    if (assignment) rd_kafka_topic_partition_list_destroy(assignment);
  }
  rd_kafka_flush(producer, 2000);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(producer);
  return 0;
}
