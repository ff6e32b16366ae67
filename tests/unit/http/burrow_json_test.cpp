// Burrow's JSON bodies (reference §e) written by service/http/burrow_json and go_json: Go's
// float32 and string encoding, Burrow's field order, and Warren's additive `warren` freshness object.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service/core/health.hpp"
#include "service/evaluator/rules.hpp"
#include "service/http/burrow_json.hpp"
#include "service/storage/model.hpp"

namespace warren {
namespace {

const std::optional<std::uint64_t> null_lag;

partition_view add_partition(group_view& v, std::uint32_t topic, std::int32_t partition, std::uint32_t ring_length,
                             const std::vector<consumer_offset>& window, const std::vector<std::int64_t>& broker,
                             std::uint64_t current_lag, std::string_view owner = "", std::string_view client = "") {
  partition_view p;
  p.topic = topic;
  p.partition = partition;
  p.owner = owner;
  p.client_id = client;
  p.ring_length = ring_length;
  p.window_begin = static_cast<std::uint32_t>(v.samples.size());
  p.window_size = static_cast<std::uint32_t>(window.size());
  v.samples.insert(v.samples.end(), window.begin(), window.end());
  p.broker_begin = static_cast<std::uint32_t>(v.broker_offsets.size());
  p.broker_size = static_cast<std::uint32_t>(broker.size());
  v.broker_offsets.insert(v.broker_offsets.end(), broker.begin(), broker.end());
  p.current_lag = current_lag;
  v.partitions.push_back(p);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_burrow_json)

BOOST_AUTO_TEST_CASE(floats_print_like_go_float32) {
  const std::vector<std::pair<float, std::string>> cases{
      {1.0f, "1"},          {0.0f, "0"},     {0.5f, "0.5"},      {0.1f, "0.1"},     {1.0f / 3.0f, "0.33333334"},
      {0.3f, "0.3"},        {2.0f / 3.0f, "0.6666667"},          {1e-7f, "1e-7"},   {0.000001f, "0.000001"},
      {1.0f / 7.0f, "0.14285715"},
  };
  for (const auto& [f, s] : cases) BOOST_TEST(go_float32(f) == s);
}

BOOST_AUTO_TEST_CASE(strings_are_escaped_like_go) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"plain", R"("plain")"},
      {"a<b>&c", R"("a\u003cb\u003e\u0026c")"},
      {"q\"b\\", R"("q\"b\\")"},
      {"\n\r\t", R"("\n\r\t")"},
      {std::string("\x01\x1f", 2), R"("\u0001\u001f")"},
      {"\b\f", R"("\u0008\u000c")"},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
      {"\xe2\x80\xa8\xe2\x80\xa9", R"("\u2028\u2029")"},
      {"bad\xff", R"("bad\ufffd")"},
      {"\xc0\xaf", R"("\ufffd\ufffd")"},  // overlong
      {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
      // Runs of bytes copied as they are, around every kind of escape.
      {"", R"("")"},
      {"ab<cd>ef", R"("ab\u003ccd\u003eef")"},
      {"x\xe2\x80\xa8y\xc3\xa9z", "\"x\\u2028y\xc3\xa9z\""},
      {"caf\xc3\xa9\xff" "end", "\"caf\xc3\xa9\\ufffdend\""},
      {"end\"", R"("end\"")"},
      {"\"start", R"("\"start")"},
  };
  for (const auto& [in, expected] : cases) {
    std::string out;
    append_json_string(out, in);
    BOOST_TEST(out == expected);
  }
}

BOOST_AUTO_TEST_CASE(group_status_json_matches_burrow_example) {
  // reference §e, GET /v3/kafka/local/consumer/orders-svc/status
  partition_status p;
  p.topic = "orders";
  p.partition = 1;
  p.owner = "/10.0.3.18";
  p.client_id = "orders-svc-2";
  p.status = status_code::stop;
  p.start = consumer_offset{181000, 7, 1732499400000, 1732499400200, 0};
  p.end = consumer_offset{182000, 9, 1732499940000, 1732499940150, 250};
  p.current_lag = 1019;
  p.complete = 1.0f;
  group_status g;
  g.cluster = "local";
  g.group = "orders-svc";
  g.status = status_code::err;
  g.complete = 0.5f;
  g.partitions = {p};
  g.partition_count = 2;
  g.maxlag = p;
  g.totallag = 1051;
  const std::string partition_json =
      R"({"topic":"orders","partition":1,"owner":"/10.0.3.18","client_id":"orders-svc-2","status":"STOP",)"
      R"("start":{"offset":181000,"timestamp":1732499400000,"observedAt":1732499400200,"lag":0},)"
      R"("end":{"offset":182000,"timestamp":1732499940000,"observedAt":1732499940150,"lag":250},)"
      R"("current_lag":1019,"complete":1})";
  const std::string expected = R"({"cluster":"local","group":"orders-svc","status":"ERR","complete":0.5,)"
                               R"("partitions":[)" + partition_json + R"(],"partition_count":2,"maxlag":)" +
                               partition_json + R"(,"totallag":1051})";
  BOOST_TEST(to_json(p) == partition_json);
  BOOST_TEST(to_json(g) == expected);
  const auto body = status_response_json(g, "/v3/kafka/local/consumer/orders-svc/status", "burrow-1");
  BOOST_TEST(body == R"({"error":false,"message":"consumer status returned","status":)" + expected +
                         R"(,"request":{"url":"/v3/kafka/local/consumer/orders-svc/status","host":"burrow-1"}})");
  BOOST_CHECK_NO_THROW(boost::json::parse(body));
}

// Issue 11: the `warren` time-lag objects are appended after Burrow's last field; with them removed
// the bytes are exactly Burrow's (same example as above).
BOOST_AUTO_TEST_CASE(time_lag_objects_follow_burrows_bytes_unchanged) {
  partition_status p;
  p.topic = "orders";
  p.partition = 1;
  p.owner = "/10.0.3.18";
  p.client_id = "orders-svc-2";
  p.status = status_code::stop;
  p.start = consumer_offset{181000, 7, 1732499400000, 1732499400200, 0};
  p.end = consumer_offset{182000, 9, 1732499940000, 1732499940150, 250};
  p.current_lag = 1019;
  p.complete = 1.0f;
  group_status g;
  g.cluster = "local";
  g.group = "orders-svc";
  g.status = status_code::err;
  g.complete = 0.5f;
  g.partition_count = 2;
  g.totallag = 1051;
  g.partitions = {p};
  g.maxlag = p;
  const std::string burrow_partition = to_json(p);
  const std::string burrow_group = to_json(g);

  partition_time_lag w;
  w.log_end_offset = 183019;
  w.log_start_offset = 0;
  w.time_lag = {754'321, 10'000, time_lag_method::observed_history, false};
  w.consume_rate = 1.5f;
  w.produce_rate = 0.25f;
  w.retention_ms = -1;
  p.warren = w;
  g.partitions = {p};
  g.maxlag = p;
  group_time_lag gw;
  gw.evaluated_at = 1732499950000;
  gw.max_time_lag_ms = 754'321;
  gw.max_time_lag_topic = "orders";
  gw.max_time_lag_partition = 1;
  gw.sum_time_lag_ms = 754'321;
  gw.unread_deleted_in_ms = -1'500;
  g.warren = gw;
  const std::string partition_warren =
      R"(,"warren":{"log_end_offset":183019,"log_start_offset":0,"time_lag_s":754.321,)"
      R"("time_lag_method":"observed_history","time_lag_lower_bound":false,"time_lag_max_error_s":10,)"
      R"("consume_rate":1.5,"produce_rate":0.25,"time_to_drain_s":null,"retention_ms":-1,)"
      R"("unread_deleted_in_s":null,"data_loss":false,"records_lost":0})";
  const std::string with_partition = burrow_partition.substr(0, burrow_partition.size() - 1) + partition_warren + "}";
  BOOST_TEST(to_json(p) == with_partition);
  const std::string group_warren =
      R"(,"warren":{"evaluated_at":1732499950000,"max_time_lag_s":754.321,"max_time_lag_lower_bound":false,)"
      R"("max_time_lag_topic":"orders","max_time_lag_partition":1,"sum_time_lag_s":754.321,)"
      R"("time_to_drain_s":null,"unread_deleted_in_s":-1.5,"data_loss":false,"data_loss_partitions":0})";
  std::string expected = burrow_group;
  for (std::size_t at = expected.find(burrow_partition); at != std::string::npos;
       at = expected.find(burrow_partition, at + with_partition.size()))
    expected.replace(at, burrow_partition.size(), with_partition);
  expected.insert(expected.size() - 1, group_warren);
  BOOST_TEST(to_json(g) == expected);
  BOOST_CHECK_NO_THROW(boost::json::parse(to_json(g)));
}

// Seconds are ms with at most 3 decimals, trailing zeros dropped (digits written by hand).
BOOST_AUTO_TEST_CASE(time_lag_seconds_keep_leading_zeros_of_the_fraction) {
  const std::pair<std::int64_t, const char*> cases[] = {
      {1050, "1.05"}, {7, "0.007"}, {12000, "12"}, {100, "0.1"}, {999, "0.999"}, {0, "0"}, {60'010, "60.01"}};
  for (const auto& [ms, text] : cases) {
    partition_status p;
    p.topic = "t";
    partition_time_lag w;
    w.time_lag = {ms, 0, time_lag_method::observed_history, false};
    p.warren = w;
    BOOST_TEST(to_json(p).find(std::string(R"("time_lag_s":)") + text + ",") != std::string::npos, to_json(p));
  }
}

// Issue 12: the status objects are written into room made ahead (burrow_json.cpp cursor). Names
// that need every kind of escape, at their longest, and every number at its widest, in a group of
// many such partitions: escaped exactly as append_json_string does, and the numbers read back.
BOOST_AUTO_TEST_CASE(widest_fields_and_escaped_names_fill_the_room_made_for_them) {
  std::string nasty;
  for (int i = 0; i < 40; ++i) nasty += std::string("\x01<\"\\\xff\xe2\x80\xa8\xc3\xa9&", 11);
  partition_status p;
  p.topic = nasty;
  p.partition = INT32_MIN;
  p.owner = nasty + "o";
  p.client_id = nasty + "c";
  p.status = status_code::rewind;
  p.start = consumer_offset{INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN, UINT64_MAX};
  p.end = consumer_offset{INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, UINT64_MAX};
  p.current_lag = UINT64_MAX;
  p.complete = -3.0e38f;
  partition_time_lag w;
  w.log_end_offset = INT64_MAX;
  w.log_start_offset = INT64_MAX;
  w.time_lag = {INT64_MAX, INT64_MAX, time_lag_method::observed_history, true};
  w.consume_rate = -3.0e38f;
  w.produce_rate = 3.0e38f;
  w.time_to_drain_s = -1.2345678e37f;
  w.retention_ms = INT64_MAX;
  w.unread_deleted_in_ms = INT64_MIN + 1;
  w.records_lost = UINT64_MAX;
  p.warren = w;
  group_status g;
  g.cluster = nasty;
  g.group = nasty;
  g.status = status_code::err;
  g.partitions.assign(64, p);
  g.partition_count = SIZE_MAX;
  g.maxlag = p;
  g.totallag = UINT64_MAX;
  const std::string text = to_json(g);
  std::string escaped;
  append_json_string(escaped, nasty);
  BOOST_TEST(text.find("{\"cluster\":" + escaped + ",\"group\":" + escaped + ",") == 0u);
  const auto v = boost::json::parse(text);
  const auto& parts = v.at("partitions").as_array();
  BOOST_REQUIRE_EQUAL(parts.size(), 64u);
  for (const auto& part : parts) {
    BOOST_TEST(part.at("partition").as_int64() == INT32_MIN);
    BOOST_TEST(part.at("start").at("offset").as_int64() == INT64_MIN);
    BOOST_TEST(part.at("end").at("observedAt").as_int64() == INT64_MAX);
    BOOST_TEST(part.at("current_lag").as_uint64() == UINT64_MAX);
    BOOST_TEST(part.at("warren").at("records_lost").as_uint64() == UINT64_MAX);
    BOOST_TEST(part.at("warren").at("retention_ms").as_int64() == INT64_MAX);
  }
  BOOST_TEST(text.find(R"("owner":)" + escaped.substr(0, escaped.size() - 1) + R"(o")") != std::string::npos);
  BOOST_TEST(text.find(R"("time_lag_s":9223372036854775.807,)") != std::string::npos);
  BOOST_TEST(v.at("totallag").as_uint64() == UINT64_MAX);
  BOOST_TEST(text == to_json(g));  // a cursor on a fresh string each time: same bytes
  // Appended after existing text, the object starts where that text ended.
  std::string after = "prefix";
  append_json(after, g);
  BOOST_TEST(after == "prefix" + text);
}

BOOST_AUTO_TEST_CASE(partition_without_commits_has_null_start_end) {
  partition_status p;
  p.topic = "t";
  p.status = status_code::ok;
  BOOST_TEST(to_json(p) == R"({"topic":"t","partition":0,"owner":"","client_id":"","status":"OK",)"
                           R"("start":null,"end":null,"current_lag":0,"complete":0})");
}

BOOST_AUTO_TEST_CASE(consumer_detail_json_matches_burrow_example) {
  // reference §e, GET /v3/kafka/local/consumer/audit: 7 leading nulls, `current-lag` with a hyphen,
  // `[]` for a never-committed partition.
  group_view v;
  v.topics.push_back("orders");
  add_partition(v, 0, 0, 10,
                {consumer_offset{182900, 1, 1732500000123, 1732500000456, 120},
                 consumer_offset{183100, 2, 1732500060120, 1732500060300, 98},
                 consumer_offset{183390, 3, 1732500120118, 1732500120290, null_lag}},
                {183422}, 32, "/10.0.3.17", "audit-1");
  add_partition(v, 0, 1, 0, {}, {}, 0);
  const std::string topics =
      R"({"orders":[{"offsets":[null,null,null,null,null,null,null,)"
      R"({"offset":182900,"timestamp":1732500000123,"observedAt":1732500000456,"lag":120},)"
      R"({"offset":183100,"timestamp":1732500060120,"observedAt":1732500060300,"lag":98},)"
      R"({"offset":183390,"timestamp":1732500120118,"observedAt":1732500120290,"lag":null}],)"
      R"("owner":"/10.0.3.17","client_id":"audit-1","current-lag":32},)"
      R"({"offsets":[],"owner":"","client_id":"","current-lag":0}]})";
  BOOST_TEST(consumer_topics_json(v) == topics);
  const auto body = consumer_detail_response_json(v, "/v3/kafka/local/consumer/audit", "burrow-1");
  BOOST_TEST(body == R"({"error":false,"message":"consumer detail returned","topics":)" + topics +
                         R"(,"request":{"url":"/v3/kafka/local/consumer/audit","host":"burrow-1"}})");
  BOOST_CHECK_NO_THROW(boost::json::parse(body));
}

BOOST_AUTO_TEST_CASE(consumer_detail_from_model_lists_topics_sorted_with_full_null_ring_for_owner_only) {
  storage_options so;
  so.intervals = 3;
  cluster_state s(so);
  const timestamp_ms now{1'700'000'000'000};
  s.set_broker_offset({"zz", partition_id{0}, 1, offset_t{10}}, now);
  s.set_broker_offset({"aa", partition_id{0}, 1, offset_t{10}}, now);
  s.add_commit({"g", "zz", partition_id{0}, offset_t{4}, 1, now}, now);
  s.set_owner({"g", "aa", partition_id{0}, "/h", "c"}, now);
  group_view v;
  BOOST_REQUIRE(s.view_group("g", now, v));
  BOOST_TEST(consumer_topics_json(v) ==
             R"({"aa":[{"offsets":[null,null,null],"owner":"/h","client_id":"c","current-lag":0}],)"
             R"("zz":[{"offsets":[null,null,{"offset":4,"timestamp":1700000000000,"observedAt":1700000000000,)"
             R"("lag":6}],"owner":"","client_id":"","current-lag":6}]})");
}

BOOST_AUTO_TEST_CASE(fresh_cluster_bodies_are_burrows_bytes_without_warren) {
  group_status g = not_found_status("local", "ghost");
  const cluster_freshness fresh{false, 1700000000000, ""};
  const std::string burrow = R"({"error":false,"message":"consumer status returned","status":)" + to_json(g) +
                             R"(,"request":{"url":"/v3/kafka/local/consumer/ghost/lag","host":"h"}})";
  BOOST_TEST(status_response_json(g, "/v3/kafka/local/consumer/ghost/lag", "h", fresh) == burrow);
  BOOST_TEST(status_response_json(g, "/v3/kafka/local/consumer/ghost/lag", "h") == burrow);
  group_view v;
  BOOST_TEST(consumer_detail_response_json(v, "/u", "h", fresh) ==
             R"({"error":false,"message":"consumer detail returned","topics":{},"request":{"url":"/u","host":"h"}})");
}

BOOST_AUTO_TEST_CASE(stale_cluster_bodies_end_with_the_warren_object) {
  group_status g = not_found_status("local", "ghost");
  const cluster_freshness stale{true, 1700000000123, "cluster unreachable: <timeout> & \"down\""};
  const std::string warren =
      R"("warren":{"stale":true,"as_of":1700000000123,"reason":"cluster unreachable: \u003ctimeout\u003e \u0026 \"down\""})";
  BOOST_TEST(status_response_json(g, "/s", "h", stale) ==
             R"({"error":false,"message":"consumer status returned","status":)" + to_json(g) +
                 R"(,"request":{"url":"/s","host":"h"},)" + warren + "}");
  group_view v;
  const auto detail = consumer_detail_response_json(v, "/d", "h", stale);
  BOOST_TEST(detail == R"({"error":false,"message":"consumer detail returned","topics":{},)"
                       R"("request":{"url":"/d","host":"h"},)" + warren + "}");
  BOOST_CHECK_NO_THROW(boost::json::parse(detail));
  std::string nothing;
  append_freshness_json(nothing, cluster_freshness{});
  BOOST_TEST(nothing.empty());
}

BOOST_AUTO_TEST_CASE(request_url_is_escaped_like_go) {
  // The decoded path can hold anything a group name holds.
  const auto body = status_response_json(not_found_status("c", "a/b c%<"), "/v3/kafka/c/consumer/a/b c%</lag", "h");
  BOOST_TEST(body.find(R"("request":{"url":"/v3/kafka/c/consumer/a/b c%\u003c/lag","host":"h"})") != std::string::npos,
             body);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
