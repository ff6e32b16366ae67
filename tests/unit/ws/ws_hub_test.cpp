// The hub's sliced snapshots, driven without sockets: a subscription over many kept groups is
// matched in slices and sent as numbered parts; changes during the scan keep the stream's order
// guarantee (a change is delivered after the part that holds its group, never before it).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/fleet/status_record.hpp"
#include "service/storage/offset_store.hpp"
#include "service/ws/ws_hub.hpp"
#include "tests/support/io_fixture.hpp"

namespace warren::ws {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;
const std::vector<std::string> clusters{"local"};

std::string group_name_of(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "g%05d", i);
  return b;
}

struct sliced_hub {
  explicit sliced_hub(int groups) {
    // Kept statuses for `groups` groups, through the real store and evaluator.
    store_cmd::batch b{"local", {}};
    b.commands.emplace_back(store_cmd::broker_offsets{.topic = topic_name{"t"},
                                                      .partition_count = 1,
                                                      .offsets = {100},
                                                      .observed_at = timestamp_ms{clock::system().wall_ms()}});
    for (int g = 0; g < groups; ++g)
      b.commands.emplace_back(store_cmd::commit{.group = group_name{group_name_of(g)},
                                                .topic = topic_name{"t"},
                                                .partition = partition_id{0},
                                                .offset = offset_t{90},
                                                .order = g,
                                                .timestamp = timestamp_ms{clock::system().wall_ms()}});
    store.set_sink(evaluator.inbox());
    store.apply_now(b);
    evaluator.flush_now();
    BOOST_REQUIRE(evaluator.size() == static_cast<std::size_t>(groups));
    hub.start();
    // The hub takes the evaluator's announcements of those groups (no client yet): run every
    // ready handler until none is left, so the tests start from a quiet hub.
    while (ioc.poll() != 0) {
    }
  }
  ~sliced_hub() {
    bool done = false;
    asio::co_spawn(ioc, hub.stop(), [&](std::exception_ptr) { done = true; });
    test::run_until(ioc, [&] { return done; }, 5s);
  }
  std::vector<json::value> drain(ws_client& c) {
    std::vector<json::value> out;
    while (!c.outbox.empty()) {
      auto e = c.outbox.take_front();
      out.push_back(json::parse(message_head(e.type, ++c.seq) + e.text_body()));
      hub.note_sent();
    }
    return out;
  }

  boost::asio::io_context ioc;
  supervisor sup;
  feed<cluster_event> cluster_changes;
  offset_store store{ioc.get_executor(), sup, storage_options{}, clusters};
  group_evaluator evaluator{ioc.get_executor(), sup, store, evaluator_options{}, 10ms, 1h};
  ws_hub hub{ioc.get_executor(), sup, evaluator, cluster_changes, clusters, [] {
               hub_options o;
               o.slice_budget = std::chrono::microseconds(0);  // every 16 groups
               o.snapshot_part_bytes = 2000;
               return o;
             }(), nullptr};
};

std::string_view type_of(const json::value& v) { return v.at("type").as_string(); }
}  // namespace

BOOST_AUTO_TEST_SUITE(ws_hub_snapshots)

BOOST_AUTO_TEST_CASE(a_large_snapshot_is_sent_in_numbered_parts_in_group_order) {
  sliced_hub h(500);
  ws_client c(h.hub, [] {});
  h.hub.on_text(c, R"({"type":"subscribe","id":"all","detail":"summary","pattern":"^g0"})");
  std::vector<json::value> got;
  bool last = false;
  BOOST_REQUIRE(test::run_until(
      h.ioc,
      [&] {
        for (auto& m : h.drain(c)) {
          last = last || (type_of(m) == "snapshot" && m.at("last").as_bool());
          got.push_back(std::move(m));
        }
        return last;
      },
      5s));
  BOOST_TEST(type_of(got.at(0)) == "hello");
  std::vector<std::string> groups;
  std::int64_t expected_part = 0;
  for (std::size_t i = 1; i < got.size(); ++i) {
    BOOST_REQUIRE(type_of(got[i]) == "snapshot");
    BOOST_TEST(got[i].at("id").as_string() == "all");
    BOOST_TEST(got[i].at("part").as_int64() == expected_part++);
    BOOST_TEST(got[i].at("last").as_bool() == (i + 1 == got.size()));
    for (const auto& s : got[i].at("statuses").as_array()) groups.emplace_back(s.at("group").as_string());
  }
  BOOST_TEST(expected_part > 5);  // really sliced
  BOOST_REQUIRE(groups.size() == 500u);
  for (int g = 0; g < 500; ++g) BOOST_TEST(groups[static_cast<std::size_t>(g)] == group_name_of(g));
  BOOST_TEST(h.hub.stats().snapshot_slices > 5u);
  BOOST_TEST(h.hub.stats().snapshot_parts == static_cast<std::uint64_t>(expected_part));
}

BOOST_AUTO_TEST_CASE(changes_during_a_sliced_snapshot_follow_the_part_holding_their_group) {
  sliced_hub h(500);
  ws_client c(h.hub, [] {});
  h.hub.on_text(c, R"({"type":"subscribe","id":"all","detail":"summary"})");
  // The first slice ran inside the subscribe: some groups are in a queued part, most are not.
  auto first = h.drain(c);
  BOOST_REQUIRE(first.size() >= 2u);
  std::size_t scanned = 0;
  for (std::size_t i = 1; i < first.size(); ++i) {
    BOOST_REQUIRE(type_of(first[i]) == "snapshot");
    BOOST_TEST(!first[i].at("last").as_bool());
    scanned += first[i].at("statuses").as_array().size();
  }
  BOOST_REQUIRE(scanned > 0u);
  BOOST_REQUIRE(scanned < 400u);
  // A scanned group changes: sent now, after its part. A group not scanned yet changes: it is not
  // sent on its own; its part (later) carries its state.
  const auto early = h.evaluator.status("local", group_name_of(0));
  const auto late = h.evaluator.status("local", group_name_of(450));
  h.hub.on_change(group_status_changed{early->cluster, early->group, &*early, status_code::ok});
  h.hub.on_change(group_status_changed{late->cluster, late->group, &*late, status_code::ok});
  auto next = h.drain(c);
  BOOST_REQUIRE(next.size() == 1u);
  BOOST_TEST(type_of(next[0]) == "status");
  BOOST_TEST(next[0].at("group").as_string() == group_name_of(0));
  // The rest of the snapshot; then changes of any group are sent again.
  std::multiset<std::string> in_snapshot;
  std::vector<std::string> statuses_after;
  bool last = false;
  BOOST_REQUIRE(test::run_until(
      h.ioc,
      [&] {
        for (auto& m : h.drain(c)) {
          if (type_of(m) == "snapshot") {
            BOOST_TEST(!last);
            last = m.at("last").as_bool();
            for (const auto& s : m.at("statuses").as_array()) in_snapshot.emplace(s.at("group").as_string());
          } else {
            statuses_after.emplace_back(m.at("group").as_string());
          }
        }
        return last;
      },
      5s));
  BOOST_TEST(statuses_after.empty());
  BOOST_TEST(in_snapshot.count(group_name_of(450)) == 1u);
  BOOST_TEST(in_snapshot.size() + scanned == 500u);
  h.hub.on_change(group_status_changed{late->cluster, late->group, &*late, status_code::ok});
  auto after = h.drain(c);
  BOOST_REQUIRE(after.size() == 1u);
  BOOST_TEST(after[0].at("group").as_string() == group_name_of(450));
}

BOOST_AUTO_TEST_CASE(unsubscribe_or_disconnect_during_a_sliced_snapshot_ends_it) {
  sliced_hub h(500);
  {
    ws_client gone(h.hub, [] {});
    h.hub.on_text(gone, R"({"type":"subscribe","id":"a"})");
  }  // disconnected mid-snapshot
  ws_client c(h.hub, [] {});
  h.hub.on_text(c, R"({"type":"subscribe","id":"a","detail":"summary"})");
  h.hub.on_text(c, R"({"type":"unsubscribe","id":"a"})");
  auto before = h.hub.stats().snapshot_slices;
  // The loop has nothing left to do: a ping is answered, no further part arrives.
  h.hub.on_text(c, R"({"type":"ping","id":"p"})");
  std::vector<std::string> types;
  BOOST_REQUIRE(test::run_until(
      h.ioc,
      [&] {
        for (auto& m : h.drain(c)) {
          BOOST_TEST(!(type_of(m) == "snapshot" && m.at("last").as_bool()));
          types.emplace_back(type_of(m));
        }
        return !types.empty() && types.back() == "pong";
      },
      5s));
  // hello, the parts of the first slice, then the acknowledgement and the pong.
  BOOST_REQUIRE(types.size() >= 4u);
  BOOST_TEST(types.front() == "hello");
  for (std::size_t i = 1; i + 2 < types.size(); ++i) BOOST_TEST(types[i] == "snapshot");
  BOOST_TEST(types[types.size() - 2] == "unsubscribed");
  h.ioc.poll();
  BOOST_TEST(h.hub.stats().snapshot_slices == before);
}

namespace {
// Issue 14: a fleet member streams the groups other instances evaluate (from the status topic)
// and names the owner of every group.
struct fake_fleet final : fleet_view {
  std::map<std::string, std::string, std::less<>> remote;  // group -> the owner's `/lag` status object
  std::optional<std::string> remote_object(std::string_view cluster, std::string_view group,
                                           detail_level detail) const override {
    auto it = remote.find(group);
    if (cluster != "local" || it == remote.end()) return std::nullopt;
    auto object = detail == detail_level::full ? it->second : *fleet::summary_only(it->second);
    return fleet::with_owner(object, {"peer:1", "http://peer:1"});
  }
  bool has_remote(std::string_view cluster, std::string_view group) const override {
    return cluster == "local" && remote.find(group) != remote.end();
  }
  void for_each_remote(const std::function<void(std::string_view, std::string_view)>& f) const override {
    for (const auto& [g, o] : remote) f("local", g);
  }
  std::string own(std::string_view, std::string object) const override {
    return fleet::with_owner(object, {"self:1", "http://self:1"});
  }
};

std::string remote_object_of(const std::string& group, const std::string& status) {
  return R"({"cluster":"local","group":")" + group + R"(","status":")" + status +
         R"(","complete":1.0,"partitions":[{"topic":"t","partition":0,"owner":"","client_id":"","status":")" +
         status + R"(","start":null,"end":null,"current_lag":5,"complete":1.0}],"partition_count":1,"maxlag":null,"totallag":5})";
}

std::string owner_of(const json::value& status) { return std::string(status.at("warren").at("owner").as_string()); }
}  // namespace

BOOST_AUTO_TEST_CASE(a_fleet_member_streams_remote_groups_and_names_every_owner) {
  sliced_hub h(3);  // g00000..g00002 evaluated here
  fake_fleet fleet;
  fleet.remote["g00001x"] = remote_object_of("g00001x", "WARN");  // between the local ones
  fleet.remote["g00000"] = remote_object_of("g00000", "OK");      // a stale record of a local group
  h.hub.set_fleet(&fleet);
  ws_client c(h.hub, [] {});
  h.hub.on_text(c, R"({"type":"subscribe","id":"all","detail":"full"})");
  std::vector<json::value> got;
  BOOST_REQUIRE(test::run_until(h.ioc, [&] {
    for (auto& m : h.drain(c)) got.push_back(std::move(m));
    return !got.empty() && type_of(got.back()) == "snapshot" && got.back().at("last").as_bool();
  }, 5s));
  std::vector<std::string> groups, owners;
  for (const auto& m : got)
    if (type_of(m) == "snapshot")
      for (const auto& st : m.at("statuses").as_array()) {
        groups.emplace_back(st.at("group").as_string());
        owners.push_back(owner_of(st));
      }
  BOOST_TEST(groups == (std::vector<std::string>{"g00000", "g00001", "g00001x", "g00002"}), boost::test_tools::per_element());
  // The local evaluation wins over a record of the same group; the remote one names its owner.
  BOOST_TEST(owners == (std::vector<std::string>{"self:1", "self:1", "peer:1", "self:1"}), boost::test_tools::per_element());

  // A new remote group, a status change of one, a record of a local group (ignored), a tombstone.
  fleet.remote["r-new"] = remote_object_of("r-new", "ERR");
  h.hub.on_remote("local", "r-new", status_code::notfound);
  fleet.remote["g00001x"] = remote_object_of("g00001x", "OK");
  h.hub.on_remote("local", "g00001x", status_code::warn);
  h.hub.on_remote("local", "g00000", status_code::ok);
  fleet.remote.erase("r-new");
  h.hub.on_remote("local", "r-new", status_code::err);
  auto changes = h.drain(c);
  BOOST_REQUIRE(changes.size() == 2u);  // r-new's status coalesced into its removal
  BOOST_TEST(type_of(changes[0]) == "removed");
  BOOST_TEST(changes[0].at("group").as_string() == "r-new");
  BOOST_TEST(changes[0].at("previous").as_string() == "ERR");
  BOOST_TEST(type_of(changes[1]) == "status");
  BOOST_TEST(changes[1].at("group").as_string() == "g00001x");
  BOOST_TEST(changes[1].at("previous").as_string() == "WARN");
  BOOST_TEST(changes[1].at("status").at("status").as_string() == "OK");
  BOOST_TEST(changes[1].at("status").at("partitions").as_array().size() == 1u);
  BOOST_TEST(owner_of(changes[1].at("status")) == "peer:1");

  // A summary subscriber gets the remote object without partitions; a local change names self.
  ws_client s(h.hub, [] {});
  h.hub.on_text(s, R"({"type":"subscribe","id":"sum","group":"g00001x","detail":"summary"})");
  std::vector<json::value> sum;
  BOOST_REQUIRE(test::run_until(h.ioc, [&] {
    for (auto& m : h.drain(s)) sum.push_back(std::move(m));
    return !sum.empty() && type_of(sum.back()) == "snapshot";
  }, 5s));
  const auto& only = sum.back().at("statuses").as_array();
  BOOST_REQUIRE(only.size() == 1u);
  BOOST_TEST(only[0].at("partitions").as_array().empty());
  BOOST_TEST(only[0].at("partition_count").as_int64() == 1);
  const auto local = h.evaluator.status("local", group_name_of(2));
  h.hub.on_change(group_status_changed{local->cluster, local->group, &*local, status_code::warn});
  auto mine = h.drain(c);
  BOOST_REQUIRE(mine.size() == 1u);
  BOOST_TEST(owner_of(mine[0].at("status")) == "self:1");

  // The group leaves this instance (its offsets partition was revoked) while the fleet has it:
  // the stream shows the owner's status, not a removal.
  fleet.remote[group_name_of(2)] = remote_object_of(group_name_of(2), "OK");
  store_cmd::batch b{"local", {}};
  b.commands.emplace_back(store_cmd::delete_group{group_name{group_name_of(2)}, {}});
  h.store.apply_now(b);
  h.evaluator.flush_now();
  std::vector<json::value> moved;
  BOOST_REQUIRE(test::run_until(h.ioc, [&] {
    for (auto& m : h.drain(c)) moved.push_back(std::move(m));
    return !moved.empty();
  }, 5s));
  BOOST_REQUIRE(moved.size() == 1u);
  BOOST_TEST(type_of(moved[0]) == "status");
  BOOST_TEST(moved[0].at("group").as_string() == group_name_of(2));
  BOOST_TEST(owner_of(moved[0].at("status")) == "peer:1");
  h.hub.set_fleet(nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren::ws
