// /metrics (issue 12): the streamed scrape (family by family from the kept statuses, in batches),
// groups changing between its batches, the naming sets of [warren] metrics, and the streamed body
// over a real http::server on loopback (chunked), checked as Prometheus text against the
// whole-string render. A real store and evaluator hold the groups; no Kafka.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "service/config/config.hpp"
#include "service/config/load.hpp"
#include "service/core/actor.hpp"
#include "service/core/clock.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/http/api_v3.hpp"
#include "service/http/server.hpp"
#include "service/metrics/metrics.hpp"
#include "service/storage/offset_store.hpp"
#include "tests/support/io_fixture.hpp"

namespace warren {
namespace {
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

// A store and evaluator with `groups` groups of `partitions` partitions of topic "t", caught up
// (committed = log end = 1000: no lag, so no time lag growing with the clock between passes).
struct kept_groups {
  asio::io_context ioc;
  supervisor sup;
  offset_store store{ioc.get_executor(), sup, storage_options{}, {"local"}};
  group_evaluator evaluator{ioc.get_executor(), sup, store, evaluator_options{}, 10ms, 1h};
  std::int64_t order = 0;

  explicit kept_groups(int groups, int partitions = 2) {
    store.set_sink(evaluator.inbox());
    const timestamp_ms now{clock::system().wall_ms()};
    store_cmd::batch b{"local", {}};
    b.commands.emplace_back(store_cmd::broker_offsets{.topic = topic_name{"t"},
                                                      .partition_count = partitions,
                                                      .offsets = std::vector<std::int64_t>(
                                                          static_cast<std::size_t>(partitions), 1000),
                                                      .observed_at = now});
    for (int g = 0; g < groups; ++g)
      for (int p = 0; p < partitions; ++p) b.commands.emplace_back(commit_of("group-" + std::to_string(g), p, 1000));
    store.apply_now(b);
    evaluator.flush_now();
  }
  store_cmd::command commit_of(const std::string& group, int partition, std::int64_t offset) {
    return store_cmd::commit{.group = group_name{group},
                             .topic = topic_name{"t"},
                             .partition = partition_id{partition},
                             .offset = offset_t{offset},
                             .order = ++order,
                             .timestamp = timestamp_ms{clock::system().wall_ms()}};
  }
  void apply(store_cmd::command c) {
    store_cmd::batch b{"local", {}};
    b.commands.push_back(std::move(c));
    store.apply_now(b);
    evaluator.flush_now();
  }
  metrics_sources sources() const {
    metrics_sources s;
    s.evaluator = &evaluator;
    s.store = &store;
    return s;
  }
  std::shared_ptr<http::body_source> scrape(unsigned sets = all_metric_sets) const {
    return scrape_metrics(&evaluator, sets, [this, sets] { return render_metrics_tail(sources(), sets); });
  }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Prometheus text format 0.0.4, as strictly as a scraper reads it: every line is a comment
// (# HELP / # TYPE, once per family, before its samples) or `name{labels} value`; a family's
// samples are contiguous; no series twice. Returns the series (name + labels) with their values,
// or fails the test.
std::map<std::string, std::string> parse_exposition(const std::string& text) {
  std::map<std::string, std::string> series;
  std::set<std::string> families_done, typed;
  std::string current;
  BOOST_TEST_REQUIRE((text.empty() || text.back() == '\n'));
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    BOOST_TEST_REQUIRE(!line.empty());
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      if (name != current) {
        BOOST_TEST_REQUIRE(!families_done.contains(name), "family " << name << " appears twice");
        if (!current.empty()) families_done.insert(current);
        current = name;
      }
      if (line[2] == 'T') BOOST_TEST_REQUIRE(typed.insert(name).second, "second TYPE for " << name);
      continue;
    }
    BOOST_TEST_REQUIRE(line[0] != '#');
    const auto name_end = line.find_first_of("{ ");
    BOOST_TEST_REQUIRE(name_end != std::string::npos, line);
    std::string name = line.substr(0, name_end);
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!typed.contains(family) && family.size() > std::strlen(suffix) &&
          family.compare(family.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        family = family.substr(0, family.size() - std::strlen(suffix));
    BOOST_TEST_REQUIRE(family == current, "sample " << name << " outside its family (in " << current << ")");
    std::size_t value_at = name_end;
    if (line[name_end] == '{') {
      // Label values are quoted with \\ \" \n escapes.
      std::size_t i = name_end + 1;
      while (line.at(i) != '}') {
        const auto eq = line.find("=\"", i);
        BOOST_TEST_REQUIRE(eq != std::string::npos, line);
        i = eq + 2;
        while (line.at(i) != '"') i += line[i] == '\\' ? 2 : 1;
        ++i;
        if (line.at(i) == ',') ++i;
      }
      value_at = i + 1;
    }
    BOOST_TEST_REQUIRE(line.at(value_at) == ' ', line);
    const std::string value = line.substr(value_at + 1);
    BOOST_TEST_REQUIRE(!value.empty(), line);
    std::size_t used = 0;
    if (value != "+Inf" && value != "-Inf" && value != "NaN") {
      (void)std::stod(value, &used);
      BOOST_TEST_REQUIRE(used == value.size(), "bad value in " << line);
    }
    BOOST_TEST_REQUIRE(series.emplace(line.substr(0, value_at), value).second, "series twice: " << line);
  }
  return series;
}

std::string a_sample(const std::string& text, const std::string& prefix) {
  auto p = text.find(prefix);
  if (p == std::string::npos) return {};
  return text.substr(p, text.find('\n', p) - p);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_scrape_suite)

BOOST_AUTO_TEST_CASE(every_group_and_partition_in_each_family) {
  kept_groups k(5, 3);
  const auto whole = render_metrics(k.sources());
  BOOST_TEST(count(whole, "burrow_kafka_consumer_partition_lag{") == 15u);
  BOOST_TEST(count(whole, "kafka_consumergroup_group_lag{") == 15u);
  BOOST_TEST(count(whole, "warren_consumer_partition_count{") == 5u);
  BOOST_TEST(count(whole, "# TYPE burrow_kafka_consumer_status gauge\n") == 1u);
  BOOST_TEST(a_sample(whole, "burrow_kafka_consumer_partition_lag{cluster=\"local\",consumer_group=\"group-4\",partition=\"2\"") ==
             "burrow_kafka_consumer_partition_lag{cluster=\"local\",consumer_group=\"group-4\",partition=\"2\",topic=\"t\"} 0");
  BOOST_TEST(a_sample(whole, "kafka_consumergroup_group_lag{cluster_name=\"local\",group=\"group-0\",topic=\"t\",partition=\"1\"") ==
             "kafka_consumergroup_group_lag{cluster_name=\"local\",group=\"group-0\",topic=\"t\",partition=\"1\","
             "member_host=\"unknown\",consumer_id=\"unknown\",client_id=\"unknown\"} 0");
  parse_exposition(whole);
}

BOOST_AUTO_TEST_CASE(a_changed_group_shows_its_new_values) {
  kept_groups k(4);
  const auto before = render_metrics(k.sources());
  k.apply(k.commit_of("group-2", 1, 950));  // lag of group-2 partition 1: 0 -> 50
  const auto body = render_metrics(k.sources());
  BOOST_TEST(a_sample(body, "burrow_kafka_consumer_partition_lag{cluster=\"local\",consumer_group=\"group-2\",partition=\"1\"") ==
             "burrow_kafka_consumer_partition_lag{cluster=\"local\",consumer_group=\"group-2\",partition=\"1\",topic=\"t\"} 50");
  BOOST_TEST(a_sample(body, "burrow_kafka_consumer_lag_total{cluster=\"local\",consumer_group=\"group-2\"}") ==
             "burrow_kafka_consumer_lag_total{cluster=\"local\",consumer_group=\"group-2\"} 50");
  BOOST_TEST(a_sample(before, "burrow_kafka_consumer_lag_total{cluster=\"local\",consumer_group=\"group-2\"}") ==
             "burrow_kafka_consumer_lag_total{cluster=\"local\",consumer_group=\"group-2\"} 0");
  BOOST_TEST(a_sample(body, "burrow_kafka_consumer_lag_total{cluster=\"local\",consumer_group=\"group-1\"}") ==
             "burrow_kafka_consumer_lag_total{cluster=\"local\",consumer_group=\"group-1\"} 0");
}

BOOST_AUTO_TEST_CASE(removed_and_added_groups_leave_and_enter_the_body) {
  kept_groups k(4);
  render_metrics(k.sources());
  k.apply(store_cmd::delete_group{.group = group_name{"group-1"}, .topic = {}});
  k.apply(store_cmd::delete_group{.group = group_name{"group-3"}, .topic = {}});  // the last one too
  k.apply(k.commit_of("group-10", 0, 1000));                                    // a new one between
  const auto body = render_metrics(k.sources());
  BOOST_TEST(count(body, "consumer_group=\"group-1\"") == 0u);
  BOOST_TEST(count(body, "group=\"group-1\"") == 0u);
  BOOST_TEST(count(body, "consumer_group=\"group-3\"") == 0u);
  BOOST_TEST(count(body, "burrow_kafka_consumer_status{cluster=\"local\",consumer_group=\"group-10\"}") == 1u);
  BOOST_TEST(count(body, "burrow_kafka_consumer_status{") == 3u);
  parse_exposition(body);
  k.apply(store_cmd::delete_group{.group = group_name{"group-0"}, .topic = {}});
  k.apply(store_cmd::delete_group{.group = group_name{"group-10"}, .topic = {}});
  k.apply(store_cmd::delete_group{.group = group_name{"group-2"}, .topic = {}});
  const auto empty = render_metrics(k.sources());
  BOOST_TEST(count(empty, "consumer_group=") == 0u);
  BOOST_TEST(count(empty, "# TYPE burrow_kafka_consumer_status gauge") == 1u);  // families stay declared
  parse_exposition(empty);
}

// A scrape holds one batch of about 1 MB, never the body: a body of many MB comes in many pieces,
// none much over the batch size (it ends after the group that crossed it).
BOOST_AUTO_TEST_CASE(a_scrape_holds_one_batch_not_the_body) {
  kept_groups k(3000, 10);
  auto src = k.scrape();
  std::vector<std::string_view> pieces;
  std::string body;
  std::size_t calls = 0, largest = 0;
  for (bool more = true; more;) {
    more = src->next(pieces);
    ++calls;
    for (auto p : pieces) {
      largest = std::max(largest, p.size());
      body.append(p);
    }
  }
  BOOST_TEST(body == render_metrics(k.sources()));
  BOOST_TEST(body.size() > 8u * 1024 * 1024);
  BOOST_TEST(calls > body.size() / (2u << 20));
  BOOST_TEST(largest <= (1u << 20) + 64u * 1024);
  parse_exposition(body);
}

// Groups added and removed between two batches of one scrape: the body stays valid Prometheus text
// (each family contiguous, no series twice); a removed group is gone from the families rendered
// after its removal; a group added (sorting last) is in the families rendered after it came.
BOOST_AUTO_TEST_CASE(groups_changing_between_batches_keep_the_exposition_valid) {
  kept_groups k(3000, 10);
  auto src = k.scrape();
  std::vector<std::string_view> pieces;
  std::string body;
  auto next_batch = [&] {  // appends one batch; false after the last
    const bool more = src->next(pieces);
    for (auto p : pieces) body.append(p);
    return more;
  };
  BOOST_TEST_REQUIRE(next_batch());
  BOOST_TEST_REQUIRE(next_batch());
  const auto mark = body.size();
  k.apply(store_cmd::delete_group{.group = group_name{"group-999"}, .topic = {}});
  k.apply(store_cmd::delete_group{.group = group_name{"group-0"}, .topic = {}});
  k.apply(k.commit_of("zz-new", 0, 990));
  while (next_batch()) {
  }
  parse_exposition(body);
  const std::string after = body.substr(mark);
  BOOST_TEST(count(after, "consumer_group=\"group-999\"") == 0u);
  BOOST_TEST(count(after, "warren_consumer_complete{cluster=\"local\",consumer_group=\"zz-new\"}") == 1u);
  BOOST_TEST(count(after, "warren_consumer_partition_count{cluster=\"local\",consumer_group=\"zz-new\"} 1") == 1u);
  BOOST_TEST(count(body, "burrow_kafka_consumer_status{cluster=\"local\",consumer_group=\"group-1\"}") == 1u);
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped) {
  kept_groups k(0);
  k.apply(k.commit_of("we\"ird\\gr\noup", 0, 990));
  const auto body = render_metrics(k.sources());
  const std::string escaped = "\"we\\\"ird\\\\gr\\noup\"";
  BOOST_TEST(count(body, "consumer_group=" + escaped) >= 3u);  // Burrow's and Warren's label
  BOOST_TEST(count(body, "consumer_group=" + escaped) == count(body, "consumer_group="));
  BOOST_TEST(count(body, ",group=" + escaped) >= 3u);  // kafka-lag-exporter's
  BOOST_TEST(count(body, ",group=" + escaped) == count(body, ",group="));
  parse_exposition(body);
}

BOOST_AUTO_TEST_CASE(naming_sets_select_the_families) {
  kept_groups k(3);
  const auto all = render_metrics(k.sources());
  const auto burrow = render_metrics(k.sources(), metric_set_burrow);
  const auto kle = render_metrics(k.sources(), metric_set_kle);
  const auto warren_only = render_metrics(k.sources(), metric_set_warren);
  for (const auto* body : {&burrow, &kle, &warren_only}) {
    parse_exposition(*body);
    BOOST_TEST(count(*body, "\nwarren_evaluations_total ") == 1u);  // process series always
    BOOST_TEST(count(*body, "warren_store_groups{cluster=\"local\"} 3") == 1u);
  }
  BOOST_TEST(count(burrow, "burrow_kafka_consumer_partition_lag{") == 6u);
  BOOST_TEST(count(burrow, "burrow_kafka_topic_partition_offset{") == 2u);
  BOOST_TEST(count(burrow, "kafka_consumergroup_") == 0u);
  BOOST_TEST(count(burrow, "kafka_partition_") == 0u);
  BOOST_TEST(count(burrow, "warren_consumer_") == 0u);
  BOOST_TEST(count(kle, "kafka_consumergroup_group_lag{") == 6u);
  BOOST_TEST(count(kle, "kafka_partition_latest_offset{") == 2u);
  BOOST_TEST(count(kle, "burrow_") == 0u);
  BOOST_TEST(count(kle, "warren_consumer_") == 0u);
  BOOST_TEST(count(warren_only, "warren_consumer_partition_count{") == 3u);
  BOOST_TEST(count(warren_only, "burrow_") == 0u);
  BOOST_TEST(count(warren_only, "kafka_") == 0u);
  // Every series of the union is in exactly one set.
  auto union_of = parse_exposition(burrow);
  for (const auto* body : {&kle, &warren_only})
    for (auto& [s, v] : parse_exposition(*body))
      if (s.rfind("warren_consumer_", 0) == 0 || s.rfind("warren_topic_", 0) == 0 || s.rfind("kafka_", 0) == 0)
        BOOST_TEST(union_of.emplace(s, v).second, s);
  BOOST_TEST(union_of == parse_exposition(all));
}

BOOST_AUTO_TEST_CASE(metric_set_names) {
  BOOST_TEST(metric_set_named("burrow") == metric_set_burrow);
  BOOST_TEST(metric_set_named("kle") == metric_set_kle);
  BOOST_TEST(metric_set_named("warren") == metric_set_warren);
  BOOST_TEST(metric_set_named("Burrow") == 0u);
  BOOST_TEST(metric_sets_of({"kle", "burrow"}) == (metric_set_kle | metric_set_burrow));
  BOOST_TEST(metric_sets_of(config{}.warren.metrics) == all_metric_sets);  // the default: today's body
}

BOOST_AUTO_TEST_CASE(config_metrics_key_is_validated) {
  const std::string base = "[cluster.local]\nservers = [\"k:9092\"]\n[warren]\n";
  auto ok = parse_config(base + "metrics = [\"kle\", \"warren\"]\n", "inline.toml");
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(metric_sets_of(ok->warren.metrics) == (metric_set_kle | metric_set_warren));
  BOOST_TEST(metric_sets_of(parse_config(base, "inline.toml")->warren.metrics) == all_metric_sets);

  auto bad = parse_config(base + "metrics = [\"burrow\", \"prometheus\"]\n", "inline.toml");
  BOOST_TEST_REQUIRE(!bad.has_value());
  BOOST_TEST_REQUIRE(bad.error().size() == 1u);
  BOOST_TEST(bad.error()[0].to_string() ==
             "inline.toml:4: warren.metrics: unknown set \"prometheus\" (expected \"burrow\", \"kle\" or \"warren\")");
  auto empty = parse_config(base + "metrics = []\n", "inline.toml");
  BOOST_TEST_REQUIRE(!empty.has_value());
  BOOST_TEST(empty.error()[0].to_string().find("inline.toml:4: warren.metrics: must name at least one set") == 0u);
  auto not_list = parse_config(base + "metrics = \"burrow\"\n", "inline.toml");
  BOOST_TEST_REQUIRE(!not_list.has_value());
  BOOST_TEST(not_list.error()[0].key == "warren.metrics");
}

// The streamed body through the real server: chunked, the same text as the whole-string render,
// valid Prometheus text; HEAD still answers an empty body. Enough groups that the scrape takes
// many slices and chunks, with a /v3/health request answered on another connection meanwhile.
BOOST_AUTO_TEST_CASE(streamed_scrape_over_http_is_the_same_exposition) {
  kept_groups k(3000, 10);
  config cfg;
  cfg.clusters["local"];
  http::api_context ctx;
  ctx.cfg = &cfg;
  ctx.store = &k.store;
  ctx.evaluator = &k.evaluator;
  ctx.metrics_stream = [&] { return k.scrape(); };
  http::api_v3 api(ctx);
  http::server_options so;
  so.address = "127.0.0.1:0";
  so.hostname = "test-host";
  http::server srv(k.ioc.get_executor(), so, [&](const http::request& r) { return api.handle(r); });
  std::string err;
  BOOST_TEST_REQUIRE(bool(srv.listen(err)), err);
  srv.start();
  const auto port = srv.port();

  auto fetch = [port](const char* method, const char* target, std::string& body, std::string& transfer_encoding,
                      std::string& content_type) {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    bhttp::request<bhttp::empty_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    bhttp::write(s, req);
    boost::beast::flat_buffer buf;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1u << 30);
    if (std::string_view(method) == "HEAD") parser.skip(true);
    bhttp::read(s, buf, parser);
    body = parser.get().body();
    transfer_encoding = std::string(parser.get()[bhttp::field::transfer_encoding]);
    content_type = std::string(parser.get()[bhttp::field::content_type]);
    return parser.get().result_int();
  };
  std::atomic<int> done{0};
  std::string body, te, ct, head_body, head_te, head_ct, health_body, health_te, health_ct;
  unsigned status = 0, head_status = 0;
  std::atomic<bool> health_during_scrape{false};
  std::string client_error;
  std::thread client([&] {
    try {
      status = fetch("GET", "/metrics", body, te, ct);
      head_status = fetch("HEAD", "/metrics", head_body, head_te, head_ct);
    } catch (const std::exception& e) {
      client_error = e.what();
    }
    done = 1;
  });
  std::thread prober([&] {
    // Answered while the scrape is in flight (the scrape yields between slices); not timed.
    try {
      while (done == 0) {
        std::string b, t, c;
        fetch("GET", "/v3/health", b, t, c);
        if (done == 0) health_during_scrape = true;
      }
    } catch (const std::exception&) {  // the server stopped under the last probe
    }
  });
  const bool finished = test::run_until(k.ioc, [&] { return done == 1; }, 120s);
  srv.stop();
  test::run_until(k.ioc, [] { return false; }, 50ms);
  client.join();
  prober.join();
  BOOST_TEST_REQUIRE(finished);
  BOOST_TEST_REQUIRE(client_error.empty(), client_error);
  BOOST_TEST(status == 200u);
  BOOST_TEST(te == "chunked");
  BOOST_TEST(ct == "text/plain; version=0.0.4; charset=utf-8");
  BOOST_TEST(health_during_scrape.load());
  const auto whole = render_metrics(k.sources());
  BOOST_TEST(body.size() == whole.size());
  BOOST_TEST((body == whole));
  const auto series = parse_exposition(body);
  BOOST_TEST(series.size() > 3000u * 10u * 5u);
  BOOST_TEST(head_status == 200u);
  BOOST_TEST(head_body.empty());
  BOOST_TEST(head_ct == "text/plain; version=0.0.4; charset=utf-8");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
