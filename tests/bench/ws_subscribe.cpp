// Subscribe cost with many kept groups: a real store and evaluator hold G groups; one stream
// client (no socket: its outbox is drained as the session writer would) subscribes with several
// filters. Prints, per subscription: the time of the subscribe call itself (its first slice),
// the longest single io-thread turn while the snapshot is built, the number of slices and parts,
// and the total time until the last part. The first subscription of the process also pays for
// first-touch memory (the last row repeats it warm). Numbers only, no assertions.
// Usage: bench_ws_subscribe [groups] (default 100000)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/storage/offset_store.hpp"
#include "service/ws/ws_hub.hpp"

using namespace warren;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {
double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int groups = argc > 1 ? std::atoi(argv[1]) : 100000;
  const std::vector<std::string> clusters{"local"};
  boost::asio::io_context ioc;
  supervisor sup;
  feed<cluster_event> cluster_changes;
  offset_store store{ioc.get_executor(), sup, storage_options{}, clusters};
  group_evaluator evaluator{ioc.get_executor(), sup, store, evaluator_options{}, 10ms, 1h};
  ws::hub_options o;
  o.limits.outbox = 1 << 20;  // the writer keeps up; the bench measures the hub
  ws::ws_hub hub{ioc.get_executor(), sup, evaluator, cluster_changes, clusters, o, nullptr};
  store.set_sink(evaluator.inbox());

  store_cmd::batch b{"local", {}};
  const timestamp_ms now{clock::system().wall_ms()};
  for (int t = 0; t < 10; ++t)
    b.commands.emplace_back(store_cmd::broker_offsets{
        .topic = topic_name{"topic-" + std::to_string(t)}, .partition_count = 1, .offsets = {1000}, .observed_at = now});
  for (int g = 0; g < groups; ++g)
    b.commands.emplace_back(store_cmd::commit{.group = group_name{"consumer-group-" + std::to_string(g)},
                                              .topic = topic_name{"topic-" + std::to_string(g % 10)},
                                              .partition = partition_id{0},
                                              .offset = offset_t{900},
                                              .order = g,
                                              .timestamp = now});
  auto t0 = steady::now();
  store.apply_now(b);
  evaluator.flush_now();
  std::printf("groups kept: %zu (built in %.0f ms)\n", evaluator.size(), ms(steady::now() - t0));
  hub.start();
  while (ioc.poll() != 0) {
  }

  const char* subscriptions[] = {
      R"({"type":"subscribe","id":"all-summary","detail":"summary"})",
      R"({"type":"subscribe","id":"all-full"})",
      R"({"type":"subscribe","id":"prefix","pattern":"^consumer-group-1","detail":"summary"})",
      R"({"type":"subscribe","id":"attack-40","pattern":"(.*){40}x"})",
      R"({"type":"subscribe","id":"attack-25","pattern":"(.*){25}x"})",
      R"({"type":"subscribe","id":"alternation","pattern":"^(a|b)*c"})",
      R"({"type":"subscribe","id":"again","detail":"summary"})",
  };
  std::printf("%-14s %10s %14s %8s %7s %10s %10s %12s\n", "subscription", "call_ms", "longest_turn_ms", "slices",
              "parts", "statuses", "total_ms", "bytes");
  for (const char* text : subscriptions) {
    ws::ws_client c(hub, [] {});
    c.outbox.take_front();  // the hello
    const auto slices0 = hub.stats().snapshot_slices;
    const auto parts0 = hub.stats().snapshot_parts;
    auto began = steady::now();
    hub.on_text(c, text);
    double call = ms(steady::now() - began);
    double longest = call;
    std::size_t statuses = 0, bytes = 0;
    bool last = false;
    auto drain = [&] {
      while (!c.outbox.empty()) {
        auto e = c.outbox.take_front();
        bytes += e.text_body().size();
        const auto& body = e.text_body();
        if (e.type == "snapshot") {
          last = last || body.find(R"("last":true)") != std::string::npos;  // only in the part's head
          for (std::size_t p = body.find(R"({"cluster")"); p != std::string::npos;
               p = body.find(R"({"cluster")", p + 1))
            ++statuses;  // each status object opens with its cluster
        }
        hub.note_sent();
      }
    };
    drain();
    while (!last) {
      auto turn = steady::now();
      if (ioc.run_one_for(1s) == 0) break;
      longest = std::max(longest, ms(steady::now() - turn));
      drain();
    }
    std::printf("%-14s %10.2f %14.2f %8llu %7llu %10zu %10.1f %12zu\n",
                std::string(text).substr(std::string(text).find("\"id\":\"") + 6, 12).c_str(), call, longest,
                static_cast<unsigned long long>(hub.stats().snapshot_slices - slices0),
                static_cast<unsigned long long>(hub.stats().snapshot_parts - parts0), statuses,
                ms(steady::now() - began), bytes);
  }
  std::printf("longest snapshot slice (hub stats): %.2f ms\n", hub.stats().longest_snapshot_slice_seconds * 1000);
  bool done = false;
  boost::asio::co_spawn(ioc, hub.stop(), [&](std::exception_ptr) { done = true; });
  while (!done && ioc.run_one_for(1s) != 0) {
  }
  return 0;
}
