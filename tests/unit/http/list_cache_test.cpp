// Issue 12: the list endpoints (/v3/kafka, /topic, /consumer, /topic/:t/consumers) are written by
// hand and `/consumer` and `/topic` are served from a body cached per cluster. Through api_v3
// with a real offset_store on one io_context: after every kind of change (a group added, removed
// by HTTP DELETE, by eager expiry, by lazy expiry, a topic added or deleted) the answer equals the
// body built the pre-issue-12 way (Boost.JSON objects, view_group per group), byte for byte.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "service/config/config.hpp"
#include "service/core/clock.hpp"
#include "service/core/actor.hpp"
#include "service/http/api_v3.hpp"
#include "service/http/go_json.hpp"
#include "service/storage/offset_store.hpp"
#include "tests/support/io_fixture.hpp"
#include "tests/support/manual_clock.hpp"

namespace warren::http {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::int64_t expire_s = 100;

struct list_fixture {
  list_fixture() {
    cluster_module c;
    c.name = "c";
    cfg.clusters["c"] = c;
    cluster_module d;
    d.name = "d<&>";
    cfg.clusters["d<&>"] = d;
    storage_options so;
    so.intervals = 3;
    so.expire_group_s = expire_s;
    // The server reads the wall clock for lazy expiry; the store's clock starts at the same time.
    clk.set(wall_now_ms());
    store = std::make_unique<offset_store>(ioc.get_executor(), sup, so, std::vector<std::string>{"c"}, clk);
    store->start();
    api_context ctx;
    ctx.cfg = &cfg;
    ctx.hostname = "host\"\\\x01";
    ctx.store = store.get();
    api = std::make_unique<api_v3>(std::move(ctx));
  }
  ~list_fixture() {
    bool done = false;
    asio::co_spawn(ioc, store->stop(), [&](std::exception_ptr) { done = true; });
    test::run_until(ioc, [&] { return done; }, 5s);
  }

  response get(const std::string& path) {
    request r;
    r.method = "GET";
    r.target = path;
    r.path = path;
    return api->handle(r);
  }
  response del(const std::string& path) {
    request r;
    r.method = "DELETE";
    r.target = path;
    r.path = path;
    return api->handle(r);
  }

  void apply(store_cmd::command c) {
    store_cmd::batch b{"c", {}};
    b.commands.push_back(std::move(c));
    store->apply_now(b);
  }
  void topic(const std::string& t, std::int32_t partitions = 2) {
    apply(store_cmd::broker_offsets{.topic = topic_name{t},
                                    .partition_count = partitions,
                                    .offsets = std::vector<std::int64_t>(static_cast<std::size_t>(partitions), 50),
                                    .observed_at = timestamp_ms{clk.wall_ms()}});
  }
  void commit(const std::string& g, const std::string& t, std::int32_t p = 0) {
    apply(store_cmd::commit{.group = group_name{g},
                            .topic = topic_name{t},
                            .partition = partition_id{p},
                            .offset = offset_t{10},
                            .order = ++order,
                            .timestamp = timestamp_ms{clk.wall_ms()}});
  }
  void owner(const std::string& g, const std::string& t) {
    apply(store_cmd::owner{.group = group_name{g}, .topic = topic_name{t}, .partition = partition_id{0},
                           .host = "/10.0.0.1", .client_id = "x"});
  }

  // The bodies as api_v3 built them before issue 12.
  json::object envelope(std::string_view message, std::string_view url) const {
    json::object o;
    o["error"] = false;
    o["message"] = message;
    o["request"] = {{"url", url}, {"host", "host\"\\\x01"}};
    return o;
  }
  std::string fresh_consumers(std::string_view url) const {
    const cluster_state* st = store->cluster("c");
    const timestamp_ms now{wall_now_ms()};
    group_view scratch;
    json::array a;
    for (const auto& g : st->groups())
      if (st->view_group(g, now, scratch)) a.emplace_back(g);
    auto o = envelope("consumer list returned", url);
    o["consumers"] = std::move(a);
    return json::serialize(o);
  }
  std::string fresh_topics(std::string_view url) const {
    json::array a;
    for (const auto& t : store->cluster("c")->topics()) a.emplace_back(t);
    auto o = envelope("topic list returned", url);
    o["topics"] = std::move(a);
    return json::serialize(o);
  }
  std::string fresh_topic_consumers(const std::string& topic, std::string_view url) const {
    const cluster_state* st = store->cluster("c");
    const timestamp_ms now{wall_now_ms()};
    group_view scratch;
    json::array a;
    for (const auto& g : st->groups_of_topic(topic))
      if (st->view_group(g, now, scratch)) a.emplace_back(g);
    auto o = envelope("consumers of topic returned", url);
    o["consumers"] = std::move(a);
    return json::serialize(o);
  }

  /// /consumer answered from the cache equals a fresh body; returns the listed names.
  std::vector<std::string> check_consumers(bool compare_fresh = true) {
    auto r = get("/v3/kafka/c/consumer");
    BOOST_TEST(r.status == 200u);
    if (compare_fresh) BOOST_TEST(r.body == fresh_consumers("/v3/kafka/c/consumer"));
    std::vector<std::string> out;
    const auto parsed = json::parse(r.body);  // kept: the loop reads into it
    for (const auto& v : parsed.at("consumers").as_array()) out.emplace_back(v.as_string());
    return out;
  }
  std::vector<std::string> check_topics() {
    auto r = get("/v3/kafka/c/topic");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body == fresh_topics("/v3/kafka/c/topic"));
    std::vector<std::string> out;
    const auto parsed = json::parse(r.body);  // kept: the loop reads into it
    for (const auto& v : parsed.at("topics").as_array()) out.emplace_back(v.as_string());
    return out;
  }

  asio::io_context ioc;
  config cfg;
  test::manual_clock clk;
  supervisor sup{supervision_options{}};
  std::unique_ptr<offset_store> store;
  std::unique_ptr<api_v3> api;
  std::int64_t order = 0;
};

using names = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(http_list_cache, list_fixture)

BOOST_AUTO_TEST_CASE(consumer_list_follows_added_and_deleted_groups) {
  BOOST_TEST(check_consumers().empty());
  topic("t");
  commit("b", "t");
  commit("a<&>\"weird\\\n\x7f\xc3\xa9", "t");
  BOOST_TEST(check_consumers().size() == 2u);
  BOOST_TEST(check_consumers().size() == 2u);  // the cached answer, twice
  commit("c", "t");
  BOOST_TEST(check_consumers() == (names{"a<&>\"weird\\\n\x7f\xc3\xa9", "b", "c"}));
  // Known from group metadata only: not answered by the detail endpoint, so not listed, until its
  // first commit.
  owner("o", "t");
  BOOST_TEST(check_consumers().size() == 3u);
  commit("o", "t");
  BOOST_TEST(check_consumers().size() == 4u);
  // DELETE goes through the store's mailbox: the list changes once the store applied it.
  BOOST_TEST(del("/v3/kafka/c/consumer/b").status == 200u);
  BOOST_TEST(test::run_until(ioc, [&] { return !store->cluster("c")->has_group("b"); }, 5s));
  BOOST_TEST(check_consumers() == (names{"a<&>\"weird\\\n\x7f\xc3\xa9", "c", "o"}));
  BOOST_TEST(del("/v3/kafka/c/consumer/c/topic/t").status == 200u);
  BOOST_TEST(test::run_until(ioc, [&] { return !store->cluster("c")->has_group("c"); }, 5s));
  BOOST_TEST(check_consumers() == (names{"a<&>\"weird\\\n\x7f\xc3\xa9", "o"}));
  apply(store_cmd::keep_only_groups{.groups = {"o"}});
  BOOST_TEST(check_consumers() == (names{"o"}));
}

BOOST_AUTO_TEST_CASE(consumer_list_follows_expiry) {
  topic("t");
  commit("a", "t");
  BOOST_TEST(check_consumers() == (names{"a"}));
  // Eager expiry by the store, on its clock: the group leaves the list.
  clk.advance_ms((expire_s + 5) * 1000);
  commit("b", "t");
  store->expire_now();
  BOOST_TEST(!store->cluster("c")->has_group("a"));
  BOOST_TEST(check_consumers() == (names{"b"}));
  // Lazy expiry (Burrow's): a group whose last commit is older than expire-group is not answered
  // even before the store removes it. Its commit is dated 3 s short of that age, so it is listed
  // now and leaves the list (by time alone: nothing is applied) within 4 s. While waiting, the
  // cached body is not compared with a fresh one: the expiry instant can fall between the two.
  clk.set(wall_now_ms());
  apply(store_cmd::commit{.group = group_name{"old"},
                          .topic = topic_name{"t"},
                          .partition = partition_id{1},
                          .offset = offset_t{10},
                          .order = ++order,
                          .timestamp = timestamp_ms{wall_now_ms() - (expire_s - 3) * 1000}});
  BOOST_TEST(check_consumers() == (names{"b", "old"}));
  BOOST_TEST(test::run_until(ioc, [&] { return check_consumers(false) == names{"b"}; }, 8s));
  BOOST_TEST(check_consumers() == (names{"b"}));
  BOOST_TEST(store->cluster("c")->has_group("old"));
}

BOOST_AUTO_TEST_CASE(topic_list_follows_added_and_deleted_topics) {
  BOOST_TEST(check_topics().empty());
  topic("t");
  topic("a&b");
  BOOST_TEST(check_topics() == (names{"a&b", "t"}));
  BOOST_TEST(check_topics() == (names{"a&b", "t"}));
  topic("t");  // a new sample of a known topic: the same list
  BOOST_TEST(check_topics() == (names{"a&b", "t"}));
  apply(store_cmd::delete_topic{.topic = topic_name{"t"}});
  BOOST_TEST(check_topics() == (names{"a&b"}));
}

BOOST_AUTO_TEST_CASE(topic_consumers_and_offsets_keep_their_bytes) {
  topic("t", 3);
  topic("u", 1);
  commit("z", "t");
  commit("y", "t", 2);
  commit("x", "u");
  owner("owner-only", "t");
  auto r = get("/v3/kafka/c/topic/t/consumers");
  BOOST_TEST(r.body == fresh_topic_consumers("t", "/v3/kafka/c/topic/t/consumers"));
  BOOST_TEST(json::parse(r.body).at("consumers").as_array().size() == 2u);
  r = get("/v3/kafka/c/topic/none/consumers");
  BOOST_TEST(r.body == fresh_topic_consumers("none", "/v3/kafka/c/topic/none/consumers"));
  r = get("/v3/kafka/c/topic/t");
  auto o = envelope("topic offsets returned", "/v3/kafka/c/topic/t");
  o["offsets"] = json::array{50, 50, 50};
  BOOST_TEST(r.body == json::serialize(o));
  // The url is echoed decoded, escaped the same way.
  r = get("/v3/kafka/c/topic/%22t%5C");
  BOOST_TEST(r.status == 404u);
}

BOOST_AUTO_TEST_CASE(cluster_list_keeps_its_bytes) {
  auto r = get("/v3/kafka");
  auto o = envelope("cluster list returned", "/v3/kafka");
  o["clusters"] = json::array{"c", "d<&>"};
  BOOST_TEST(r.body == json::serialize(o));
}

BOOST_AUTO_TEST_CASE(strings_are_escaped_exactly_like_boost_json) {
  for (int c = 0; c < 256; ++c) {
    const std::string s(1, static_cast<char>(c));
    std::string mine;
    append_boost_json_string(mine, s);
    BOOST_TEST(mine == json::serialize(json::string(s)), "byte " << c);
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 24, '\0');
    for (auto& ch : s) ch = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 26);
    std::string mine = "prefix";
    append_boost_json_string(mine, s);
    BOOST_TEST(mine == "prefix" + json::serialize(json::string(s)));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren::http
