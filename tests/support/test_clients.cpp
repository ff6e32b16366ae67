#include "tests/support/test_clients.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "tests/support/poll_until.hpp"

namespace warren::test {

namespace {

void quiet_log(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  if (std::getenv("WARREN_TEST_RDKAFKA_LOG") != nullptr)
    std::cerr << "rdkafka " << level << ' ' << fac << ": " << buf << '\n';
}

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using rk_ptr = std::unique_ptr<rd_kafka_t, rk_deleter>;
struct event_deleter {
  void operator()(rd_kafka_event_t* ev) const { rd_kafka_event_destroy(ev); }
};
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;
struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;
struct tpl_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using tpl_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, tpl_deleter>;

using settings = std::vector<std::pair<std::string, std::string>>;

// A configuration with quiet logging and the given settings; throws on an unknown key or bad value.
rd_kafka_conf_t* make_conf(const std::string& bootstrap, const settings& extra) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  settings all{{"bootstrap.servers", bootstrap}, {"reconnect.backoff.max.ms", "500"}};
  all.insert(all.end(), extra.begin(), extra.end());
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("rdkafka config " + k + ": " + err);
    }
  }
  return conf;
}

rk_ptr make_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("rd_kafka_new: ") + err);
  }
  return rk_ptr(rk);
}

rk_ptr make_admin(const std::string& bootstrap) {
  return make_handle(RD_KAFKA_PRODUCER, make_conf(bootstrap, {{"client.id", "warren-test-admin"}}));
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream out;
  out << std::hex << rng();
  return out.str();
}

// Runs one admin request and waits for its result event; throws on a request-level error.
template <typename Issue>
event_ptr admin_call(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout, Issue&& issue) {
  char err[512];
  queue_ptr queue(rd_kafka_queue_new(rk));
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
      rd_kafka_AdminOptions_new(rk, op), &rd_kafka_AdminOptions_destroy);
  const int ms = static_cast<int>(timeout.count());
  rd_kafka_AdminOptions_set_request_timeout(options.get(), ms, err, sizeof err);
  issue(options.get(), queue.get());
  event_ptr ev(rd_kafka_queue_poll(queue.get(), ms + 5000));
  if (!ev) throw std::runtime_error("admin request timed out");
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("admin request failed: ") + rd_kafka_event_error_string(ev.get()));
  return ev;
}

std::vector<topic_partition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<topic_partition> out;
  if (list == nullptr) return out;
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

std::optional<std::int64_t> parse_offset(const std::string& s) {
  if (s.empty() || s == "-") return std::nullopt;
  try {
    return std::stoll(s);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// raw_producer

struct raw_producer::impl {
  struct delivery {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    std::int64_t offset = -1;
  };
  rk_ptr rk;

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
    auto* d = static_cast<delivery*>(msg->_private);
    d->err = msg->err;
    d->offset = msg->offset;
  }
};

raw_producer::raw_producer(const std::string& bootstrap) : impl_(std::make_unique<impl>()) {
  rd_kafka_conf_t* conf = make_conf(bootstrap, {{"client.id", "warren-test-producer"},
                                                {"acks", "all"},
                                                {"enable.idempotence", "false"},
                                                {"compression.codec", "none"},
                                                {"linger.ms", "0"},
                                                {"message.timeout.ms", "60000"}});
  rd_kafka_conf_set_dr_msg_cb(conf, &impl::on_delivery);
  impl_->rk = make_handle(RD_KAFKA_PRODUCER, conf);
}

raw_producer::~raw_producer() = default;

std::int64_t raw_producer::send(const std::string& topic, int partition, const raw_record& record,
                                std::chrono::milliseconds deadline) {
  return send(topic, partition, std::vector<raw_record>{record}, deadline).front();
}

std::vector<std::int64_t> raw_producer::send(const std::string& topic, int partition,
                                             const std::vector<raw_record>& records,
                                             std::chrono::milliseconds deadline) {
  std::vector<impl::delivery> deliveries(records.size());
  rd_kafka_t* rk = impl_->rk.get();
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    // Null pointers for a missing key or value: librdkafka then writes a null, not empty bytes.
    void* key = r.key ? const_cast<char*>(r.key->data()) : nullptr;
    const std::size_t key_len = r.key ? r.key->size() : 0;
    void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
    const std::size_t value_len = r.value ? r.value->size() : 0;
    rd_kafka_resp_err_t err;
    for (;;) {
      err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
          RD_KAFKA_V_OPAQUE(&deliveries[i]), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
      rd_kafka_poll(rk, 100);  // local queue full: serve deliveries, then retry
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_flush(rk, static_cast<int>(deadline.count()));  // deliveries point into this frame
      throw std::runtime_error("produce to " + topic + "/" + std::to_string(partition) + ": " + rd_kafka_err2str(err));
    }
  }
  const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, static_cast<int>(deadline.count()));
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Do not leave delivery reports pointing into a dead frame: purge what is left.
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk, 5000);
    throw std::runtime_error("produce to " + topic + ": not acknowledged before the deadline");
  }
  std::vector<std::int64_t> offsets;
  for (const auto& d : deliveries) {
    if (d.err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw std::runtime_error("produce to " + topic + "/" + std::to_string(partition) + ": " +
                               rd_kafka_err2str(d.err));
    offsets.push_back(d.offset);
  }
  return offsets;
}

// ---------------------------------------------------------------------------------------------
// producer

producer::producer(const std::string& bootstrap) : raw_(bootstrap) {}

std::int64_t producer::produce(const std::string& topic, int partition, int count, const std::string& prefix,
                               std::chrono::milliseconds deadline) {
  if (count <= 0) return -1;
  std::vector<raw_record> records;
  records.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) records.push_back({std::nullopt, prefix + "-" + std::to_string(sequence_++)});
  return raw_.send(topic, partition, records, deadline).back();
}

// ---------------------------------------------------------------------------------------------
// read_records

std::vector<fetched_record> read_records(const std::string& bootstrap, const std::string& topic, int partition,
                                         std::int64_t from_offset, std::size_t count,
                                         std::chrono::milliseconds deadline) {
  // A group id is set only because librdkafka's consumer wants one; nothing joins or commits.
  rk_ptr rk = make_handle(RD_KAFKA_CONSUMER, make_conf(bootstrap, {{"client.id", "warren-test-reader"},
                                                                  {"group.id", "warren-test-reader-" + random_suffix()},
                                                                  {"enable.auto.commit", "false"},
                                                                  {"enable.auto.offset.store", "false"},
                                                                  {"enable.partition.eof", "false"}}));
  rd_kafka_poll_set_consumer(rk.get());
  tpl_ptr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = from_offset;
  if (const auto err = rd_kafka_assign(rk.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(err));

  std::vector<fetched_record> out;
  std::string error;
  poll_until(
      [&] {
        while (out.size() < count) {
          rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk.get(), 50);
          if (msg == nullptr) break;
          if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            fetched_record r;
            r.offset = msg->offset;
            if (msg->key != nullptr) r.key.emplace(static_cast<const char*>(msg->key), msg->key_len);
            if (msg->payload != nullptr) r.value.emplace(static_cast<const char*>(msg->payload), msg->len);
            out.push_back(std::move(r));
          } else {
            error = rd_kafka_message_errstr(msg);
          }
          rd_kafka_message_destroy(msg);
        }
        return out.size() >= count;
      },
      deadline, std::chrono::milliseconds{1});
  rd_kafka_consumer_close(rk.get());
  if (out.size() < count)
    throw std::runtime_error("read_records " + topic + "/" + std::to_string(partition) + ": got " +
                             std::to_string(out.size()) + " of " + std::to_string(count) +
                             (error.empty() ? "" : " (last error: " + error + ")"));
  return out;
}

// ---------------------------------------------------------------------------------------------
// consumer_member

struct consumer_member::impl {
  rk_ptr rk;
  std::mutex pause_mutex;
  std::condition_variable_any pause;

  static void on_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*, void* opaque) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) ++static_cast<consumer_member*>(opaque)->commits_ok_;
  }
};

consumer_member::consumer_member(const std::string& bootstrap, consumer_member_options options)
    : bootstrap_(bootstrap), options_(std::move(options)), impl_(std::make_unique<impl>()) {
  if (options_.group.empty() || options_.topics.empty())
    throw std::invalid_argument("consumer_member needs a group and at least one topic");
  rd_kafka_conf_t* conf = make_conf(bootstrap, {{"client.id", options_.client_id},
                                               {"group.id", options_.group},
                                               {"enable.auto.commit", "false"},
                                               {"enable.partition.eof", "false"},
                                               {"auto.offset.reset", options_.from_earliest ? "earliest" : "latest"},
                                               {"session.timeout.ms", std::to_string(options_.session_timeout.count())},
                                               {"heartbeat.interval.ms", "1000"},
                                               {"topic.metadata.refresh.interval.ms", "2000"}});
  rd_kafka_conf_set_offset_commit_cb(conf, &impl::on_commit);
  rd_kafka_conf_set_opaque(conf, this);
  impl_->rk = make_handle(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(impl_->rk.get());
  tpl_ptr topics(rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size())));
  for (const auto& t : options_.topics)
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (const auto err = rd_kafka_subscribe(impl_->rk.get(), topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("subscribe: ") + rd_kafka_err2str(err));
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

consumer_member::~consumer_member() { stop(); }

void consumer_member::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    impl_->pause.notify_all();
    thread_.join();
  }
  if (impl_->rk) {
    rd_kafka_consumer_close(impl_->rk.get());
    impl_->rk.reset();
  }
}

void consumer_member::run(std::stop_token stop) {
  rd_kafka_t* rk = impl_->rk.get();
  using steady = std::chrono::steady_clock;
  auto last_commit = steady::now();

  const auto commit = [&] {
    consumer_member_options opts;
    std::map<topic_partition, std::int64_t> positions;
    {
      std::lock_guard lock(mutex_);
      opts = options_;
      positions = positions_;
    }
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    tpl_ptr assigned_guard(assigned);
    {
      std::lock_guard lock(mutex_);
      assignment_ = to_vector(assigned);
    }
    if (!opts.commit) return;
    tpl_ptr offsets(rd_kafka_topic_partition_list_new(assigned->cnt));
    for (const auto& tp : to_vector(assigned)) {
      std::optional<std::int64_t> offset = opts.fixed_commit_offset;
      if (!offset)
        if (const auto it = positions.find(tp); it != positions.end()) offset = it->second;
      if (offset) rd_kafka_topic_partition_list_add(offsets.get(), tp.topic.c_str(), tp.partition)->offset = *offset;
    }
    // Asynchronous: a broker that is down must not block stop(); the result arrives in on_commit.
    if (offsets->cnt > 0) rd_kafka_commit(rk, offsets.get(), 1);
  };

  while (!stop.stop_requested()) {
    if (rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 100)) {
      if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::chrono::milliseconds delay;
        {
          std::lock_guard lock(mutex_);
          positions_[{rd_kafka_topic_name(msg->rkt), msg->partition}] = msg->offset + 1;
          delay = options_.message_delay;
        }
        ++consumed_;
        if (delay.count() > 0) {
          std::unique_lock lock(impl_->pause_mutex);
          impl_->pause.wait_for(lock, stop, delay, [] { return false; });
        }
      }
      rd_kafka_message_destroy(msg);
    }
    std::chrono::milliseconds interval;
    {
      std::lock_guard lock(mutex_);
      interval = options_.commit_interval;
    }
    if (steady::now() - last_commit >= interval) {
      commit();
      last_commit = steady::now();
    }
  }
}

std::vector<topic_partition> consumer_member::assignment() const {
  std::lock_guard lock(mutex_);
  return assignment_;
}

std::optional<std::int64_t> consumer_member::position(const std::string& topic, int partition) const {
  std::lock_guard lock(mutex_);
  if (const auto it = positions_.find({topic, partition}); it != positions_.end()) return it->second;
  return std::nullopt;
}

std::optional<std::int64_t> consumer_member::committed(const std::string& topic, int partition) const {
  return committed_offset(bootstrap_, options_.group, topic, partition);
}

bool consumer_member::wait_for_assignment(std::chrono::milliseconds deadline) const {
  return poll_until([this] { return !assignment().empty(); }, deadline);
}

bool consumer_member::wait_for_consumed(std::int64_t count, std::chrono::milliseconds deadline) const {
  return poll_until([this, count] { return consumed() >= count; }, deadline);
}

void consumer_member::set_committing(bool on) {
  std::lock_guard lock(mutex_);
  options_.commit = on;
}

void consumer_member::set_fixed_commit_offset(std::optional<std::int64_t> offset) {
  std::lock_guard lock(mutex_);
  options_.fixed_commit_offset = offset;
}

void consumer_member::set_message_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  options_.message_delay = delay;
}

// ---------------------------------------------------------------------------------------------
// admin queries

std::vector<std::string> list_groups(const std::string& bootstrap, std::chrono::milliseconds deadline) {
  auto rk = make_admin(bootstrap);
  auto ev = admin_call(rk.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, deadline,
                       [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                         rd_kafka_ListConsumerGroups(rk.get(), o, q);
                       });
  const auto* result = rd_kafka_event_ListConsumerGroups_result(ev.get());
  size_t n = 0;
  const rd_kafka_ConsumerGroupListing_t** groups = rd_kafka_ListConsumerGroups_result_valid(result, &n);
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) names.emplace_back(rd_kafka_ConsumerGroupListing_group_id(groups[i]));
  size_t errors = 0;
  const rd_kafka_error_t** errs = rd_kafka_ListConsumerGroups_result_errors(result, &errors);
  if (errors > 0) throw std::runtime_error(std::string("list_groups: ") + rd_kafka_error_string(errs[0]));
  std::sort(names.begin(), names.end());
  return names;
}

group_info describe_group(const std::string& bootstrap, const std::string& group, std::chrono::milliseconds deadline) {
  auto rk = make_admin(bootstrap);
  const char* names[] = {group.c_str()};
  auto ev = admin_call(rk.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, deadline,
                       [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                         rd_kafka_DescribeConsumerGroups(rk.get(), names, 1, o, q);
                       });
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** groups =
      rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &n);
  group_info info;
  info.group = group;
  if (n == 0) {
    info.error = "no description returned";
    return info;
  }
  const auto* d = groups[0];
  if (const rd_kafka_error_t* err = rd_kafka_ConsumerGroupDescription_error(d)) {
    info.error = rd_kafka_error_string(err);
    return info;
  }
  info.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
  if (const char* a = rd_kafka_ConsumerGroupDescription_partition_assignor(d)) info.assignor = a;
  for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(d); ++i) {
    const auto* m = rd_kafka_ConsumerGroupDescription_member(d, i);
    member_info member;
    member.member_id = rd_kafka_MemberDescription_consumer_id(m);
    member.client_id = rd_kafka_MemberDescription_client_id(m);
    member.host = rd_kafka_MemberDescription_host(m);
    if (const auto* a = rd_kafka_MemberDescription_assignment(m))
      member.assignment = to_vector(rd_kafka_MemberAssignment_partitions(a));
    info.members.push_back(std::move(member));
  }
  return info;
}

std::map<topic_partition, std::int64_t> committed_offsets(const std::string& bootstrap, const std::string& group,
                                                          std::chrono::milliseconds deadline) {
  auto rk = make_admin(bootstrap);
  rd_kafka_ListConsumerGroupOffsets_t* request = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
  std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t, decltype(&rd_kafka_ListConsumerGroupOffsets_destroy)> guard(
      request, &rd_kafka_ListConsumerGroupOffsets_destroy);
  auto ev = admin_call(rk.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, deadline,
                       [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                         rd_kafka_ListConsumerGroupOffsets(rk.get(), &request, 1, o, q);
                       });
  size_t n = 0;
  const rd_kafka_group_result_t** groups =
      rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev.get()), &n);
  std::map<topic_partition, std::int64_t> out;
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_error_t* err = rd_kafka_group_result_error(groups[i]))
      throw std::runtime_error("committed_offsets " + group + ": " + rd_kafka_error_string(err));
    const auto* parts = rd_kafka_group_result_partitions(groups[i]);
    for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
      const auto& e = parts->elems[p];
      if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR && e.offset >= 0) out[{e.topic, e.partition}] = e.offset;
    }
  }
  return out;
}

std::optional<std::int64_t> committed_offset(const std::string& bootstrap, const std::string& group,
                                             const std::string& topic, int partition,
                                             std::chrono::milliseconds deadline) {
  const auto all = committed_offsets(bootstrap, group, deadline);
  if (const auto it = all.find({topic, partition}); it != all.end()) return it->second;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// ConsumerGroupCommand

tool_result describe_group_tool(const kafka_cluster& cluster, const std::string& group) {
  return cluster.run_tool(consumer_groups_class,
                          {"--bootstrap-server", cluster.bootstrap(), "--describe", "--group", group, "--offsets"});
}

std::vector<group_offset_row> parse_group_describe(const std::string& output) {
  std::vector<group_offset_row> rows;
  std::istringstream lines(output);
  bool in_table = false;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> cols;
    for (std::string w; words >> w;) cols.push_back(w);
    if (cols.empty()) {
      in_table = false;
      continue;
    }
    if (cols.size() >= 6 && cols[0] == "GROUP" && cols[1] == "TOPIC" && cols[2] == "PARTITION") {
      in_table = true;
      continue;
    }
    if (!in_table || cols.size() < 6) continue;
    group_offset_row row;
    row.group = cols[0];
    row.topic = cols[1];
    const auto partition = parse_offset(cols[2]);
    if (!partition) continue;
    row.partition = static_cast<int>(*partition);
    row.current_offset = parse_offset(cols[3]);
    row.log_end_offset = parse_offset(cols[4]);
    row.lag = parse_offset(cols[5]);
    const auto text = [&](std::size_t i) { return i < cols.size() && cols[i] != "-" ? cols[i] : std::string(); };
    row.consumer_id = text(6);
    row.host = text(7);
    row.client_id = text(8);
    rows.push_back(std::move(row));
  }
  return rows;
}

void delete_group(const kafka_cluster& cluster, const std::string& group) {
  const auto r = cluster.run_tool(consumer_groups_class,
                                  {"--bootstrap-server", cluster.bootstrap(), "--delete", "--group", group});
  if (r.exit_code != 0 || r.output.find("was successful") == std::string::npos)
    throw std::runtime_error("delete_group " + group + " failed (exit " + std::to_string(r.exit_code) +
                             "): " + r.output);
}

void reset_offsets(const kafka_cluster& cluster, const std::string& group, const std::string& topic,
                   std::int64_t to_offset) {
  const auto r = cluster.run_tool(consumer_groups_class,
                                  {"--bootstrap-server", cluster.bootstrap(), "--reset-offsets", "--group", group,
                                   "--topic", topic, "--to-offset", std::to_string(to_offset), "--execute"});
  const bool listed = r.output.find("NEW-OFFSET") != std::string::npos;
  if (r.exit_code != 0 || !listed || r.output.find("Error") != std::string::npos)
    throw std::runtime_error("reset_offsets " + group + " " + topic + " failed (exit " + std::to_string(r.exit_code) +
                             "): " + r.output);
}

void commit_all_and_leave(const std::string& bootstrap, const std::string& group, const std::string& topic,
                          std::int64_t messages, std::chrono::milliseconds deadline) {
  producer(bootstrap).produce(topic, 0, static_cast<int>(messages));
  consumer_member member(bootstrap, {.group = group, .topics = {topic}});
  if (!member.wait_for_consumed(messages, deadline) ||
      !poll_until([&] { return member.committed(topic, 0) == messages; }, deadline))
    throw std::runtime_error("group " + group + " did not commit " + std::to_string(messages) + " on " + topic);
}

}  // namespace warren::test
