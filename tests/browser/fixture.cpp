// The Kafka side of the dashboard's browser test (dashboard_test.mjs starts it and drives it).
// Starts a real broker (tests/support/kafka_harness, Maven jars), the real `warren` binary
// (WARREN_BINARY) with a generated config, a producer and four consumer groups:
//   dash-steady   consumes and commits as it goes (OK)
//   dash-slow     consumes 20 records/s of ~75 produced (lag grows: WARN, later ERR)
//   dash-stopper  like steady until `stop-committing`: then STOP (group ERR) while production goes on
//   dash-toggle   commits a fixed offset of a topic nobody produces to any more: `toggle-ok` commits
//                 the log end (lag 0: OK), `toggle-err` commits 5 below it (REWIND: group ERR)
// Prints one line `READY {json}` once everything runs, then reads commands from stdin, one per
// line, and answers each with `OK <command>`: toggle-ok, toggle-err, stop-committing, quit.
// Exits (stopping Warren and the broker) on quit or end of input.
//   fixture [--read-token TOKEN]
#include <atomic>
#include <iostream>
#include <string>
#include <thread>

#include "tests/support/kafka_harness.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;

namespace {
constexpr std::int64_t fixed_end = 1000;

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}
}  // namespace

int main(int argc, char** argv) {
  std::string read_token;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--read-token") read_token = argv[i + 1];
  try {
    kafka_cluster cluster;
    const auto& bootstrap = cluster.bootstrap();
    cluster.create_topic("dash-orders", 3);
    cluster.create_topic("dash-fixed", 1);
    {
      producer p(bootstrap);
      p.produce("dash-fixed", 0, static_cast<int>(fixed_end));
    }
    // Two commits per window (intervals 2): a commit below the previous one is a REWIND at once,
    // and two at the log end make the partition OK again, so a group can go ERR and back quickly.
    std::string config = cluster_config("local", bootstrap) +
                         "[storage.default]\nintervals = 2\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
    if (!read_token.empty()) config += "read-token = \"" + read_token + "\"\n";
    warren_process warren(config);

    std::atomic<bool> producing{true};
    std::jthread load([&] {
      producer p(bootstrap);
      while (producing) {
        for (int part = 0; part < 3; ++part) p.produce("dash-orders", part, 5, "order");
        std::this_thread::sleep_for(200ms);
      }
    });
    consumer_member steady(bootstrap, {.group = "dash-steady", .topics = {"dash-orders"}, .client_id = "steady"});
    consumer_member stopper(bootstrap, {.group = "dash-stopper", .topics = {"dash-orders"}, .client_id = "stopper"});
    consumer_member slow(bootstrap, {.group = "dash-slow", .topics = {"dash-orders"}, .client_id = "slow",
                                     .message_delay = 50ms});
    consumer_member toggle(bootstrap, {.group = "dash-toggle", .topics = {"dash-fixed"}, .client_id = "toggle",
                                       .fixed_commit_offset = fixed_end, .commit_interval = 100ms});
    for (auto* m : {&steady, &stopper, &slow, &toggle})
      if (!m->wait_for_assignment(60s)) throw std::runtime_error("no assignment for " + m->group());

    std::cout << "READY {\"url\":" << json_string("http://127.0.0.1:" + std::to_string(warren.port())) << ",\"bootstrap\":"
              << json_string(bootstrap) << ",\"fixed_end\":" << fixed_end << ",\"warren_config\":"
              << json_string(warren.config_path().string()) << "}" << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "quit") break;
      if (line == "toggle-ok") toggle.set_fixed_commit_offset(fixed_end);
      else if (line == "toggle-err") toggle.set_fixed_commit_offset(fixed_end - 5);
      else if (line == "stop-committing") stopper.set_committing(false);
      else {
        std::cout << "ERROR unknown command " << line << std::endl;
        continue;
      }
      std::cout << "OK " << line << std::endl;
    }
    producing = false;
    load.join();
    if (!warren.process().running()) {
      std::cerr << "warren exited early; its output:\n" << warren.output() << std::endl;
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fixture: " << e.what() << std::endl;
    return 1;
  }
}
