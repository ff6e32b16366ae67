// The live status stream (`/v3/stream`) end to end: the real `warren` binary on a real broker,
// real consumer groups, and WebSocket clients in the test. Statuses arrive pushed; nothing here
// polls the REST API for them.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/kafka_harness.hpp"
#include "tests/support/offsets_encode.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"
#include "tests/support/ws_client.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;
namespace json = boost::json;

namespace {

// One broker for the whole suite.
kafka_cluster* broker = nullptr;
struct broker_fixture {
  broker_fixture() { broker = new kafka_cluster(); }
  ~broker_fixture() {
    delete broker;
    broker = nullptr;
  }
};

// Fast statuses: 3-commit windows, a full evaluation every second, log-end offsets every second.
std::string fast_config(int ws_outbox = 256) {
  return cluster_config("local", broker->bootstrap()) +
         "[storage.default]\nintervals = 3\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\nws-outbox = " +
         std::to_string(ws_outbox) + "\n";
}

std::string str(const json::value& v, const char* key) {
  const auto* f = v.as_object().if_contains(key);
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

// Every message read on a connection, in order, for the seq check.
struct recorder {
  std::vector<json::value> all;
  std::optional<json::value> until(ws_test_client& c, const std::function<bool(const json::value&)>& pred,
                                   std::chrono::milliseconds deadline) {
    std::vector<json::value> skipped;
    auto v = c.read_until(pred, deadline, &skipped);
    for (auto& s : skipped) all.push_back(std::move(s));
    if (v) all.push_back(*v);
    return v;
  }
  void check_seq() const {
    for (std::size_t i = 0; i < all.size(); ++i)
      BOOST_TEST(all[i].at("seq").as_int64() == static_cast<std::int64_t>(i + 1), "message " << i << ": "
                                                                                              << json::serialize(all[i]));
  }
};

auto status_of(const std::string& group, const std::string& status) {
  return [group, status](const json::value& v) {
    return message_type(v) == "status" && str(v, "group") == group && str(v.at("status"), "status") == status;
  };
}

// Produces to `topic` every 200 ms until destroyed.
struct background_producer {
  background_producer(const std::string& topic, int partitions)
      : thread([this, topic, partitions](std::stop_token stop) {
          producer p(broker->bootstrap());
          while (!stop.stop_requested()) {
            for (int i = 0; i < partitions; ++i) p.produce(topic, i, 5);
            std::this_thread::sleep_for(200ms);  // the load's pace, not a wait for a condition
          }
        }) {}
  std::jthread thread;
};

consumer_member_options member_options(const std::string& group, const std::string& topic) {
  consumer_member_options o;
  o.group = group;
  o.topics = {topic};
  return o;
}

std::uint64_t metric(const warren_process& w, const std::string& name) {
  auto body = w.get("/metrics").body;
  auto at = body.find("\n" + name + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(body.substr(at + name.size() + 2));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ws_stream, *boost::unit_test::fixture<broker_fixture>())

BOOST_AUTO_TEST_CASE(snapshot_then_pushed_changes_stop_restart_new_and_deleted_groups) {
  broker->create_topic("ws-orders", 2);
  background_producer load("ws-orders", 2);
  auto member = std::make_unique<consumer_member>(
      broker->bootstrap(), member_options("ws-app", "ws-orders"));
  warren_process w(fast_config());

  ws_test_client c(w.port());
  BOOST_TEST(c.subprotocol() == "warren.v1");
  recorder rec;
  auto hello = rec.until(c, [](const auto& v) { return message_type(v) == "hello"; }, 5s);
  BOOST_REQUIRE(hello);
  BOOST_TEST(hello->at("protocol").as_string() == "warren.v1");

  c.send(R"({"type":"subscribe","id":"apps","cluster":"local","pattern":"^ws-app"})");
  auto snap = rec.until(c, [](const auto& v) { return message_type(v) == "snapshot"; }, 5s);
  BOOST_REQUIRE(snap);
  BOOST_TEST(snap->at("id").as_string() == "apps");

  // The group is consuming and committing: OK arrives (in the snapshot or as a change).
  bool ok_in_snapshot = false;
  for (const auto& s : snap->at("statuses").as_array())
    ok_in_snapshot = ok_in_snapshot || (str(s, "group") == "ws-app" && str(s, "status") == "OK");
  if (!ok_in_snapshot) BOOST_REQUIRE(rec.until(c, status_of("ws-app", "OK"), 30s));

  // The consumer dies while the producer continues: ERR with STOP partitions, pushed.
  member->stop();
  auto err = rec.until(c, status_of("ws-app", "ERR"), 30s);
  BOOST_REQUIRE(err);
  BOOST_TEST(str(*err, "previous") != "ERR");
  bool any_stop = false;
  for (const auto& p : err->at("status").at("partitions").as_array()) any_stop = any_stop || str(p, "status") == "STOP";
  BOOST_TEST(any_stop, json::serialize(*err));

  // It comes back: OK again.
  member = std::make_unique<consumer_member>(broker->bootstrap(),
                                             member_options("ws-app", "ws-orders"));
  BOOST_REQUIRE(rec.until(c, status_of("ws-app", "OK"), 40s));

  // A new group under the pattern appears.
  auto second = std::make_unique<consumer_member>(
      broker->bootstrap(), member_options("ws-app-2", "ws-orders"));
  auto appeared = rec.until(c, [](const auto& v) { return message_type(v) == "status" && str(v, "group") == "ws-app-2"; },
                            30s);
  BOOST_REQUIRE(appeared);
  BOOST_TEST(str(*appeared, "previous") == "NOTFOUND");

  // Deleted through the API: a removed message.
  second->stop();
  auto del = http_call(w.port(), "DELETE", "/v3/kafka/local/consumer/ws-app-2");
  BOOST_TEST(del.status == 200u, del.body);
  auto removed = rec.until(c, [](const auto& v) { return message_type(v) == "removed" && str(v, "group") == "ws-app-2"; },
                           10s);
  if (!removed) {
    for (std::size_t i = rec.all.size() > 5 ? rec.all.size() - 5 : 0; i < rec.all.size(); ++i)
      BOOST_TEST_MESSAGE(json::serialize(rec.all[i]).substr(0, 300));
    BOOST_TEST_MESSAGE(w.get("/v3/kafka/local/consumer").body);
    BOOST_TEST_MESSAGE(w.output());
  }
  BOOST_REQUIRE(removed);

  // Groups outside the pattern never showed up; seq has no gaps.
  for (const auto& m : rec.all)
    if (message_type(m) == "status") BOOST_TEST(str(m, "group").rfind("ws-app", 0) == 0u);
  rec.check_seq();
  c.close();
}

BOOST_AUTO_TEST_CASE(a_thousand_subscribers_get_the_change_while_a_slow_client_is_closed) {
  broker->create_topic("ws-many", 1);
  producer(broker->bootstrap()).produce("ws-many", 0, 10);
  warren_process w(fast_config(64));

  boost::asio::io_context shared;
  constexpr int n = 1000;
  std::vector<std::unique_ptr<ws_test_client>> clients;
  clients.reserve(n);
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<ws_test_client>(w.port(), ws_client_options{}, &shared));
    clients.back()->send(R"({"type":"subscribe","group":"ws-fanout","detail":"summary"})");
  }
  // The slow client: a tiny receive buffer and it never reads, subscribed to everything at full
  // detail, and it keeps asking for pongs it never reads.
  ws_client_options slow_options;
  slow_options.receive_buffer = 4096;
  slow_options.read_automatically = false;
  ws_test_client slow(w.port(), slow_options, &shared);
  slow.send(R"({"type":"subscribe"})");

  auto everyone_has = [&](const std::function<bool(const json::value&)>& pred, std::chrono::milliseconds deadline) {
    std::vector<bool> got(n, false);
    int count = 0;
    poll_until(
        [&] {
          for (int i = 0; i < n; ++i) {
            if (got[static_cast<std::size_t>(i)]) continue;
            while (auto m = clients[static_cast<std::size_t>(i)]->read(0ms))
              if (pred(json::parse(*m))) {
                got[static_cast<std::size_t>(i)] = true;
                ++count;
                break;
              }
          }
          if (count < n) clients[0]->run_for(20ms);
          return count == n;
        },
        deadline, 1ms);
    return count;
  };
  BOOST_TEST(everyone_has([](const auto& v) { return message_type(v) == "snapshot"; }, 30s) == n);

  // Pongs echo the 128-byte id: enough of them overflow the socket buffers and then the outbox.
  const std::string flood = R"({"type":"ping","id":")" + std::string(128, 'p') + "\"}";
  // The server may read slowly (a loaded sanitizer build): a send waits up to 30 s, because the
  // test client ends the connection when a send times out (and then the server never closes it
  // as slow). A failed send means the connection is gone: the server closed it, or it never will.
  const auto flood_until = std::chrono::steady_clock::now() + 60s;
  try {
    while (metric(w, "warren_websocket_slow_client_closes_total") == 0 && std::chrono::steady_clock::now() < flood_until)
      for (int j = 0; j < 2000; ++j) slow.send(flood, 30s);
  } catch (const std::runtime_error& e) {
    BOOST_TEST_MESSAGE("the slow client's flood ended: " << e.what());
  }
  BOOST_TEST(poll_until([&] { return metric(w, "warren_websocket_slow_client_closes_total") >= 1; }, 10s));

  // A change: the group appears. Every healthy subscriber gets it.
  consumer_member member(broker->bootstrap(), member_options("ws-fanout", "ws-many"));
  BOOST_TEST(everyone_has([](const auto& v) { return message_type(v) == "status" && str(v, "group") == "ws-fanout"; },
                          40s) == n);
  BOOST_TEST(slow.wait_closed(10s));
  if (slow.close_code() != 0) BOOST_TEST(slow.close_code() == 1013);

  // And they keep receiving after the slow one is gone.
  member.stop();
  BOOST_TEST(http_call(w.port(), "DELETE", "/v3/kafka/local/consumer/ws-fanout").status == 200u);
  BOOST_TEST(everyone_has([](const auto& v) { return message_type(v) == "removed"; }, 20s) == n);
  BOOST_TEST(metric(w, "warren_websocket_clients") == static_cast<std::uint64_t>(n));
  BOOST_TEST(metric(w, "warren_websocket_slow_client_closes_total") == 1u);
}

BOOST_AUTO_TEST_CASE(bad_input_gets_errors_and_the_connection_and_server_survive) {
  warren_process w(fast_config());
  ws_test_client c(w.port());
  BOOST_REQUIRE(c.read_json(5s));  // hello
  auto expect_error = [&](const std::string& code) {
    auto e = c.read_json(5s);
    BOOST_REQUIRE(e);
    BOOST_TEST(message_type(*e) == "error");
    BOOST_TEST(str(*e, "code") == code, json::serialize(*e));
    BOOST_TEST(!str(*e, "message").empty());
    // Still connected and answering.
    c.send(R"({"type":"ping","id":"alive"})");
    auto pong = c.read_json(5s);
    BOOST_REQUIRE(pong);
    BOOST_TEST(message_type(*pong) == "pong");
  };
  c.send("{\"type\": \"subscribe\", ");
  expect_error("bad_json");
  c.send(R"({"type":"publish"})");
  expect_error("unknown_type");
  c.send(R"({"type":"subscribe","cluster":"nowhere"})");
  expect_error("unknown_cluster");
  c.send(R"({"type":"subscribe","pattern":"(unclosed"})");
  expect_error("bad_pattern");
  c.send(R"({"type":"ping","pad":")" + std::string(1024 * 1024, 'x') + "\"}");
  expect_error("frame_too_large");
  c.send_binary("\x01\x02");
  expect_error("bad_json");
  BOOST_TEST(w.get("/burrow/admin").body == "GOOD");

  // No subprotocol offered: accepted without one. Another protocol only: refused.
  ws_client_options none;
  none.subprotocol = "";
  ws_test_client plain(w.port(), none);
  BOOST_TEST(plain.subprotocol() == "");
  ws_client_options other;
  other.subprotocol = "warren.v9";
  BOOST_CHECK_THROW(ws_test_client(w.port(), other), std::runtime_error);
  ws_client_options wrong_path;
  wrong_path.target = "/v3/elsewhere";
  BOOST_CHECK_THROW(ws_test_client(w.port(), wrong_path), std::runtime_error);

  // Shutdown: the client is told and gets a close frame (1001) before the process exits.
  ::kill(w.process().pid(), SIGTERM);
  std::vector<json::value> last;
  auto bye = c.read_until([](const auto& v) { return str(v, "code") == "shutting_down"; }, 5s, &last);
  BOOST_TEST(bye.has_value());
  BOOST_TEST(c.wait_closed(5s));
  BOOST_TEST(c.close_code() == 1001);
  auto status = w.process().wait_for(5s);
  BOOST_REQUIRE(status.has_value());
  BOOST_TEST(*status == 0);
}

// warren.v2 (batch frames) next to warren.v1 on the same stream: many groups appear in one
// evaluation (their first commits written at once to the cluster's offsets topic), so many changes
// are queued before the writers run.
BOOST_AUTO_TEST_CASE(a_batch_client_gets_the_same_messages_in_fewer_frames_an_old_client_one_per_frame) {
  broker->create_topic("ws-batch-offsets", 1);
  broker->create_topic("ws-batch-data", 1);
  producer(broker->bootstrap()).produce("ws-batch-data", 0, 10);
  warren_process w(cluster_config("local", broker->bootstrap(), "ws-batch-offsets") +
                   "[storage.default]\nintervals = 3\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n");
  ws_client_options v2_options;
  v2_options.subprotocol = "warren.v2, warren.v1";
  ws_test_client v2(w.port(), v2_options);
  ws_test_client v1(w.port());
  BOOST_TEST(v2.subprotocol() == "warren.v2");
  BOOST_TEST(v1.subprotocol() == "warren.v1");

  // Every frame read, and the messages in them, per client.
  struct frames {
    std::size_t count = 0, batches = 0, statuses = 0;
    std::vector<json::value> messages;
    void read(ws_test_client& c, const std::function<bool()>& done, std::chrono::milliseconds deadline) {
      poll_until(
          [&] {
            while (auto f = c.read(0ms)) {
              ++count;
              auto v = json::parse(*f);
              if (message_type(v) == "batch") {
                ++batches;
                BOOST_TEST(!v.as_object().contains("seq"));
                BOOST_TEST(v.at("messages").as_array().size() >= 2u);
                for (auto& m : v.at("messages").as_array()) messages.push_back(m);
              } else {
                messages.push_back(std::move(v));
              }
              statuses = 0;
              for (const auto& m : messages) statuses += message_type(m) == "status";
              if (done()) return true;
            }
            c.run_for(10ms);
            return done();
          },
          deadline, 1ms);
    }
  } got2, got1;
  const std::string sub = R"({"type":"subscribe","id":"b","pattern":"^wsb-","detail":"summary"})";
  v2.send(sub);
  v1.send(sub);
  auto has_snapshot = [](const frames& f) {
    return std::any_of(f.messages.begin(), f.messages.end(), [](const auto& m) { return message_type(m) == "snapshot"; });
  };
  got2.read(v2, [&] { return has_snapshot(got2); }, 10s);
  got1.read(v1, [&] { return has_snapshot(got1); }, 10s);
  BOOST_REQUIRE(has_snapshot(got2) && has_snapshot(got1));
  BOOST_TEST(got2.messages.at(0).at("protocol").as_string() == "warren.v2");
  BOOST_TEST(got1.messages.at(0).at("protocol").as_string() == "warren.v1");

  constexpr int n = 300;
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<raw_record> commits;
  for (int i = 0; i < n; ++i) {
    const std::string group = "wsb-" + std::to_string(1000 + i);  // offset_commit holds views
    warren::offsets::offset_commit c;
    c.group = group;
    c.topic = "ws-batch-data";
    c.partition = 0;
    c.offset = 10;
    c.commit_timestamp = now_ms;
    c.value_version = 1;
    auto e = warren::offsets::encode(c);
    commits.push_back({std::string(reinterpret_cast<const char*>(e.key.data()), e.key.size()),
                       std::string(reinterpret_cast<const char*>(e.value->data()), e.value->size())});
  }
  raw_producer(broker->bootstrap()).send("ws-batch-offsets", 0, commits);

  const std::size_t before2 = got2.count, before1 = got1.count;
  got2.read(v2, [&] { return got2.statuses >= static_cast<std::size_t>(n); }, 30s);
  got1.read(v1, [&] { return got1.statuses >= static_cast<std::size_t>(n); }, 30s);
  BOOST_REQUIRE(got2.statuses >= static_cast<std::size_t>(n));
  BOOST_REQUIRE(got1.statuses >= static_cast<std::size_t>(n));
  // Compared up to the n-th status (a frame may carry more after it).
  auto cut_at_nth_status = [&](std::vector<json::value>& ms) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < ms.size(); ++i)
      if (message_type(ms[i]) == "status" && ++seen == static_cast<std::size_t>(n)) {
        ms.resize(i + 1);
        return;
      }
  };
  cut_at_nth_status(got2.messages);
  cut_at_nth_status(got1.messages);
  BOOST_TEST_MESSAGE("warren.v2: " << n << " statuses in " << got2.count - before2 << " frames ("
                                   << got2.batches << " batches); warren.v1: " << got1.count - before1 << " frames");
  // The old client: one message per frame, never a batch.
  BOOST_TEST(got1.batches == 0u);
  BOOST_TEST(got1.count >= got1.messages.size());
  // The batch client: fewer frames, the same messages in the same order (seq included: both
  // connections were sent the same messages).
  BOOST_TEST(got2.batches >= 1u);
  BOOST_TEST(got2.count - before2 < static_cast<std::size_t>(n));
  BOOST_REQUIRE(got2.messages.size() == got1.messages.size());
  for (std::size_t i = 0; i < got1.messages.size(); ++i) {
    BOOST_TEST(got2.messages[i].at("seq").as_int64() == static_cast<std::int64_t>(i + 1));
    if (i == 0) continue;  // the hellos differ in protocol and version
    BOOST_TEST(json::serialize(got2.messages[i]) == json::serialize(got1.messages[i]), "message " << i);
  }
  std::set<std::string> groups;
  for (const auto& m : got2.messages)
    if (message_type(m) == "status") groups.insert(str(m, "group"));
  BOOST_TEST(groups.size() == static_cast<std::size_t>(n));
}

BOOST_AUTO_TEST_SUITE_END()
