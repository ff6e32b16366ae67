// The demo keeps the promise of README.md ("What the two commands do"): the real workload of
// `bash .ci/demo` (warren_demo_load, on its real schedule) against a real broker and the real
// binary with config/local.toml (only the broker's address and the HTTP port changed) shows every
// status, each no later than the README says (plus slack for a busy machine), and several groups
// in different states at once. The test stops as soon as everything has been seen (about 1:30 of
// the 2:00 schedule), so it checks the real timings without running the whole cycle.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/process_files.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

std::string demo_load_binary() {
  if (const char* s = std::getenv("WARREN_DEMO_LOAD"); s && *s) return s;
  return WARREN_DEMO_LOAD_PATH;
}

// config/local.toml pointed at the harness broker, without its [httpserver] (warren_process adds one).
std::string demo_config(const std::string& bootstrap) {
  std::istringstream in(read_text(std::filesystem::path(source_dir()) / "config/local.toml"));
  std::string out, line;
  bool skipping = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') skipping = line.rfind("[httpserver", 0) == 0;
    if (skipping) continue;
    for (std::size_t at = line.find("127.0.0.1:9092"); at != std::string::npos; at = line.find("127.0.0.1:9092"))
      line.replace(at, 14, bootstrap);
    out += line + "\n";
  }
  return out;
}

// One group's /status answer, reduced to what the demo promises.
struct seen_status {
  std::string group_status;
  std::map<std::string, int> partitions;  // partition status → how many partitions have it
  std::set<std::int64_t> partition_ids;
  std::int64_t totallag = -1;
  double max_time_lag_s = -1;  // Warren's lag in seconds (status.warren.max_time_lag_s)
  bool only(const std::string& partition_status, std::size_t count) const {
    return partitions.size() == 1 && partitions.count(partition_status) == 1 &&
           static_cast<std::size_t>(partitions.at(partition_status)) == count;
  }
};

seen_status read_status(const warren_process& w, const std::string& group) {
  seen_status s;
  auto v = parse_json(w.get("/v3/kafka/local/consumer/" + group + "/status").body);
  s.group_status = str(at(v, {"status", "status"}));
  s.totallag = num(at(v, {"status", "totallag"}));
  if (auto tl = at(v, {"status", "warren", "max_time_lag_s"}); tl.is_number())
    s.max_time_lag_s = tl.to_number<double>();
  auto parts = at(v, {"status", "partitions"});
  if (parts.is_array())
    for (const auto& p : parts.as_array()) {
      ++s.partitions[str(at(p, {"status"}))];
      s.partition_ids.insert(num(at(p, {"partition"})));
    }
  return s;
}

// A promise of the README: `what` is seen after the phase that causes it starts (`from`) and no
// later than `by` seconds into the schedule.
struct milestone {
  std::string group, what;
  double from, by;
  std::function<bool(const seen_status&)> reached;
  std::string after;  // another milestone of the same group that must come first ("" = none)
  std::optional<double> seen_at;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(demo)

BOOST_AUTO_TEST_CASE(demo_workload_shows_every_status_on_its_schedule) {
  kafka_cluster kafka;
  warren_process w(demo_config(kafka.bootstrap()));
  temp_directory dir;
  child_process load({demo_load_binary(), "--bootstrap", kafka.bootstrap(), "--log", (dir / "demo-load.log").string()},
                     dir / "demo-load.out");
  // The schedule starts once the topic exists and every group has joined.
  BOOST_REQUIRE_MESSAGE(
      poll_until([&] { return !load.running() || load.output().find("demo: schedule started") != std::string::npos; },
                 90s, 100ms) &&
          load.running(),
      "the workload did not start its schedule:\n" << load.output() << read_text(dir / "demo-load.log"));
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };

  // The README's times plus 15 s of slack (commit and refresh jitter on a busy CI machine).
  constexpr double slack = 15;
  const int n = 3;  // demo-orders partitions
  std::vector<milestone> ms = {
      {"demo-slow", "WARN", 15, 27 + slack,
       [](const seen_status& s) { return s.group_status == "WARN" && s.only("WARN", n) && s.totallag > 0; }, ""},
      {"demo-slow", "OK again", 70, 70 + slack, [](const seen_status& s) { return s.group_status == "OK"; }, "WARN"},
      {"demo-stall", "STALL", 20, 28 + slack,
       [](const seen_status& s) {
         return s.group_status == "ERR" && s.only("STALL", 1) && s.partition_ids == std::set<std::int64_t>{0};
       },
       ""},
      {"demo-stall", "OK again", 75, 76 + slack, [](const seen_status& s) { return s.group_status == "OK"; }, "STALL"},
      {"demo-stop", "STOP", 30, 37 + slack,
       [](const seen_status& s) { return s.group_status == "ERR" && s.only("STOP", n); }, ""},
      {"demo-stop", "OK again", 85, 86 + slack, [](const seen_status& s) { return s.group_status == "OK"; }, "STOP"},
      {"demo-rewind", "REWIND", 40, 41 + slack,
       [](const seen_status& s) { return s.group_status == "ERR" && s.only("REWIND", n); }, ""},
      {"demo-rewind", "OK again", 55, 61 + slack, [](const seen_status& s) { return s.group_status == "OK"; },
       "REWIND"},
  };
  // Partition statuses a group's scenario never produces (from the start of the schedule, with 3 s
  // for Warren to read the first commits).
  const std::map<std::string, std::set<std::string>> never = {
      {"demo-steady", {"WARN", "STOP", "STALL", "REWIND"}}, {"demo-slow", {"STOP", "STALL", "REWIND"}},
      {"demo-stall", {"WARN", "STOP", "REWIND"}},           {"demo-stop", {"WARN", "STALL", "REWIND"}},
      {"demo-rewind", {"WARN", "STOP", "STALL"}},
  };
  std::vector<std::string> surprises;
  std::optional<double> all_at_once;  // steady OK, slow WARN, stall, stop and rewind ERR in one sweep
  std::map<std::string, std::string> last;
  std::map<std::string, double> peak_time_lag;  // the largest lag in seconds each group showed

  auto all_seen = [&] {
    for (const auto& m : ms)
      if (!m.seen_at) return false;
    return all_at_once.has_value();
  };
  poll_until(
      [&] {
        const double t = elapsed();
        std::map<std::string, seen_status> now;
        for (const auto& [g, _] : never) now[g] = read_status(w, g);
        for (auto& m : ms) {
          if (m.seen_at || t < m.from || !m.reached(now[m.group])) continue;
          bool ready = m.after.empty();
          for (const auto& o : ms)
            if (o.group == m.group && o.what == m.after && o.seen_at) ready = true;
          if (ready) m.seen_at = t;
        }
        for (const auto& [g, s] : now) {
          std::string text = s.group_status;
          for (const auto& [ps, count] : s.partitions) text += " " + std::to_string(count) + "×" + ps;
          if (last[g] != text)
            BOOST_TEST_MESSAGE(t << " s " << g << ": " << text << " (totallag " << s.totallag << ", max time lag "
                                 << s.max_time_lag_s << " s)");
          last[g] = text;
          auto& peak = peak_time_lag.try_emplace(g, -1.0).first->second;
          peak = std::max(peak, s.max_time_lag_s);
          if (t < 3) continue;
          if (g == "demo-steady" && s.group_status != "OK")
            surprises.push_back(std::to_string(t) + " s " + g + " " + text);
          for (const auto& [ps, _] : s.partitions)
            if (never.at(g).count(ps)) surprises.push_back(std::to_string(t) + " s " + g + " " + text);
        }
        if (!all_at_once && now["demo-steady"].group_status == "OK" && now["demo-slow"].group_status == "WARN" &&
            now["demo-stall"].group_status == "ERR" && now["demo-stop"].group_status == "ERR" &&
            now["demo-rewind"].group_status == "ERR")
          all_at_once = t;
        return all_seen() || !load.running();
      },
      180s, 500ms);

  BOOST_TEST(load.running(), "the workload exited:\n" << load.output());
  for (const auto& m : ms) {
    BOOST_TEST_CONTEXT(m.group << " " << m.what << " (promised by " << m.by << " s)") {
      BOOST_TEST(m.seen_at.has_value());
      if (m.seen_at) {
        BOOST_TEST_MESSAGE(m.group << " " << m.what << " first seen at " << *m.seen_at << " s");
        BOOST_TEST(*m.seen_at <= m.by);
      }
    }
  }
  BOOST_TEST(all_at_once.has_value(), "never saw steady OK, slow WARN and stall, stop, rewind ERR at once");
  if (all_at_once) BOOST_TEST_MESSAGE("every status at once at " << *all_at_once << " s");
  // Lag in seconds is visible: the slow group falls tens of seconds behind (0.9 s per second of
  // its slow phase), the steady one stays within a few seconds (it commits every 2 s).
  BOOST_TEST_MESSAGE("peak time lag: demo-slow " << peak_time_lag["demo-slow"] << " s, demo-steady "
                                                 << peak_time_lag["demo-steady"] << " s");
  BOOST_TEST(peak_time_lag["demo-slow"] >= 20);
  BOOST_TEST(peak_time_lag["demo-steady"] >= 0);
  BOOST_TEST(peak_time_lag["demo-steady"] < 10);
  for (const auto& s : surprises) BOOST_ERROR("a status the demo does not promise: " << s);
  BOOST_TEST(surprises.empty());

  BOOST_TEST(load.terminate(10s) == 0, load.output());  // SIGTERM: an orderly exit
  BOOST_TEST(load.output().find("commit failed") == std::string::npos, load.output());
}

BOOST_AUTO_TEST_SUITE_END()
