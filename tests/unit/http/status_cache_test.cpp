// Issue 12: `/lag` and `/status` serve the status object from a cache kept per (cluster, group,
// which) while the group's generation and evaluation time are unchanged. Through api_v3 with a
// real store and evaluator on one io_context: after every kind of change (a commit that moves the
// lag, a periodic pass that only moves the evaluation time, a group removed and added again with
// the same data, more groups than the cache's byte budget holds) the answer equals the body the
// uncached renderer (status_response_json / problems_response_json) writes from the kept status.
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "service/config/config.hpp"
#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/http/api_v3.hpp"
#include "service/http/burrow_json.hpp"
#include "service/storage/offset_store.hpp"
#include "tests/support/manual_clock.hpp"

namespace warren::http {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

struct status_fixture {
  asio::io_context ioc;
  supervisor sup;
  config cfg;
  // The wall time stands still unless a test moves it: a commit changes the generation and not
  // the evaluation time, a pass after advance_ms the evaluation time and not the generation.
  test::manual_clock clk{clock::system().wall_ms()};
  offset_store store{ioc.get_executor(), sup, storage_options{}, {"c"}, clk};
  group_evaluator evaluator{ioc.get_executor(), sup, store, evaluator_options{}, 10ms, 1h, clk};
  std::unique_ptr<api_v3> api;
  std::int64_t order = 0;

  status_fixture() {
    cfg.clusters["c"].name = "c";
    store.set_sink(evaluator.inbox());
    api_context ctx;
    ctx.cfg = &cfg;
    ctx.hostname = "h";
    ctx.store = &store;
    ctx.evaluator = &evaluator;
    api = std::make_unique<api_v3>(std::move(ctx));
  }
  void log_end(const std::string& topic, int partitions, std::int64_t offset) {
    store_cmd::batch b{"c", {}};
    b.commands.emplace_back(store_cmd::broker_offsets{
        .topic = topic_name{topic},
        .partition_count = partitions,
        .offsets = std::vector<std::int64_t>(static_cast<std::size_t>(partitions), offset),
        .observed_at = timestamp_ms{clk.wall_ms()}});
    store.apply_now(b);
  }
  // Partition p commits offset - p (spread) or offset.
  void commit(const std::string& group, const std::string& topic, int partitions, std::int64_t offset,
              bool spread = true) {
    store_cmd::batch b{"c", {}};
    for (int p = 0; p < partitions; ++p)
      b.commands.emplace_back(store_cmd::commit{.group = group_name{group},
                                                .topic = topic_name{topic},
                                                .partition = partition_id{p},
                                                .offset = offset_t{spread ? offset - p : offset},
                                                .order = ++order,
                                                .timestamp = timestamp_ms{clk.wall_ms()}});
    store.apply_now(b);
    evaluator.flush_now();
  }
  void remove(const std::string& group) {
    store_cmd::batch b{"c", {}};
    b.commands.emplace_back(store_cmd::delete_group{.group = group_name{group}, .topic = {}});
    store.apply_now(b);
    evaluator.flush_now();
  }
  response get(const std::string& path) {
    request r;
    r.method = "GET";
    r.target = path;
    r.path = path;
    return api->handle(r);
  }
  // `/lag` or `/status` of `group`, and what the uncached renderer writes for it now.
  std::string served(const std::string& group, bool lag) {
    const auto res = get("/v3/kafka/c/consumer/" + group + (lag ? "/lag" : "/status"));
    BOOST_TEST(res.status == 200u);
    return res.body;
  }
  std::string expected(const std::string& group, bool lag) const {
    const auto kept = evaluator.status("c", group);
    BOOST_TEST_REQUIRE(kept.has_value());
    const std::string url = "/v3/kafka/c/consumer/" + group + (lag ? "/lag" : "/status");
    return lag ? status_response_json(*kept, url, "h") : problems_response_json(*kept, url, "h");
  }
  void check(const std::string& group) {
    for (bool lag : {true, false}) {
      BOOST_TEST(served(group, lag) == expected(group, lag), group << (lag ? " /lag" : " /status"));
      BOOST_TEST(served(group, lag) == expected(group, lag), group << (lag ? " /lag" : " /status") << ", again");
    }
  }
};

BOOST_AUTO_TEST_SUITE(status_cache)

BOOST_AUTO_TEST_CASE(answers_follow_every_change_of_the_kept_status) {
  status_fixture f;
  f.log_end("t", 4, 1000);
  f.commit("g", "t", 4, 1000);
  f.commit("other", "t", 4, 1000, false);  // caught up: nothing in it moves with the clock
  f.check("g");
  f.check("other");
  const auto before = f.served("g", true);
  std::uint64_t gen_before = 0, gen_after = 0;
  gen_before = f.evaluator.info("c", "g")->generation;
  const auto at = f.evaluator.status("c", "g")->warren->evaluated_at;

  f.commit("g", "t", 4, 900);  // lag 100..103: a new generation, the same evaluation time
  gen_after = f.evaluator.info("c", "g")->generation;
  BOOST_TEST(gen_after != gen_before);
  BOOST_TEST(f.evaluator.status("c", "g")->warren->evaluated_at == at);
  f.check("g");
  BOOST_TEST(f.served("g", true) != before);
  BOOST_TEST(f.served("g", true).find("\"current_lag\":103") != std::string::npos, f.served("g", true));

  // A periodic pass 5 s later: "other" keeps its generation, its evaluation time (in the body) moves.
  std::uint64_t other_before = 0, other_after = 0;
  other_before = f.evaluator.info("c", "other")->generation;
  const auto other_body = f.served("other", true);
  f.clk.advance_ms(5000);
  f.evaluator.pass_now();
  other_after = f.evaluator.info("c", "other")->generation;
  BOOST_TEST(other_after == other_before);
  BOOST_TEST(f.evaluator.status("c", "other")->warren->evaluated_at == at + 5000);
  f.check("other");
  f.check("g");
  BOOST_TEST(f.served("other", true) != other_body);

  // Removed, then back with the same data: answered from the new kept status.
  f.remove("g");
  BOOST_TEST(f.get("/v3/kafka/c/consumer/g/lag").status == 404u);
  f.commit("g", "t", 4, 900);
  f.check("g");
}

// More status text than the cache's budget (32 MB): it starts again when full, every answer stays
// the current one.
BOOST_AUTO_TEST_CASE(more_groups_than_the_budget_holds) {
  status_fixture f;
  f.log_end("big", 1000, 5000);
  const int groups = 70;  // ~0.5 MB of `/lag` object each
  for (int g = 0; g < groups; ++g) f.commit("g" + std::to_string(g), "big", 1000, 4000 + g);
  BOOST_TEST_REQUIRE(f.served("g0", true).size() > 400'000u);
  for (int round = 0; round < 2; ++round)
    for (int g = 0; g < groups; ++g) {
      const auto name = "g" + std::to_string(g);
      BOOST_TEST(f.served(name, true) == f.expected(name, true), name);
    }
  f.commit("g3", "big", 1000, 4500);
  BOOST_TEST(f.served("g3", true) == f.expected("g3", true));
  BOOST_TEST(f.served("g3", false) == f.expected("g3", false));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren::http
