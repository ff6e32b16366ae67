// The fleet's status-topic records (service/fleet/status_record.hpp) and the merge of what the
// topic says (service/fleet/remote_status.hpp): round trips, the owner's bytes kept exactly,
// /status's partitions above OK, the owner field, and garbage rejected with a reason.
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "service/fleet/remote_status.hpp"
#include "service/fleet/status_record.hpp"
#include "service/http/burrow_json.hpp"
#include "service/ws/ws_protocol.hpp"

namespace wf = warren::fleet;

namespace warren::fleet {
inline std::ostream& boost_test_print_type(std::ostream& os, decode_error e) { return os << to_string(e); }
}  // namespace warren::fleet

namespace {

std::span<const std::byte> bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

warren::group_status sample_status(const std::string& group) {
  warren::group_status g;
  g.cluster = "local";
  g.group = group;
  g.status = warren::status_code::warn;
  g.complete = 0.8f;  // Go prints 0.8: Boost.JSON would print 8E-1
  for (int p = 0; p < 3; ++p) {
    warren::partition_status ps;
    ps.topic = "orders \"eu\"";
    ps.partition = p;
    ps.status = p == 1 ? warren::status_code::stall : warren::status_code::ok;
    ps.current_lag = 10u * static_cast<unsigned>(p);
    ps.complete = 1.0f;
    g.partitions.push_back(ps);
  }
  g.partition_count = 3;
  g.maxlag = g.partitions[2];
  g.totallag = 30;
  warren::group_time_lag w;
  w.evaluated_at = 1700000000123;
  g.warren = w;
  return g;
}

wf::status_record sample_record(const std::string& group) {
  wf::status_record r;
  r.group = group;
  r.owner = {"127.0.0.1:8001", "http://127.0.0.1:8001"};
  r.evaluated_at = 1700000000123;
  r.status_json = warren::status_object_json(sample_status(group), true);  // v2: the `/status` object
  r.notifier.incident = wf::notifier_record::open_incident{"3f0c-uuid", 1699999999000};
  r.notifier.last_notify = {{"ops", 1700000000000}, {"pager", 1699999999500}};
  return r;
}

wf::decoded decode_text(const std::string& key, const std::string& value) {
  return wf::decode(bytes(key), bytes(value));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet_status_record)

BOOST_AUTO_TEST_CASE(record_round_trips_and_keeps_the_owners_status_bytes) {
  for (bool v1 : {false, true}) {
    auto r = sample_record("billing");
    r.all_partitions = v1;
    const auto value = wf::encode_value(r);
    BOOST_TEST(value.rfind(v1 ? R"({"v":1,)" : R"({"v":2,)", 0) == 0u, value);
    auto d = decode_text("billing", value);
    auto* got = std::get_if<wf::decoded_record>(&d);
    BOOST_REQUIRE(got);
    BOOST_TEST((got->record == r));
    BOOST_TEST(got->record.status_json.find(R"("complete":0.8)") != std::string::npos, got->record.status_json);
    BOOST_TEST((got->status == warren::status_code::warn));
    BOOST_TEST(got->totallag == 30u);
  }
}

// What an owner publishes (v2: the `/status` object) and what an older one did (v1: the `/lag`
// object) give the same `/status` answer and the same shape.
BOOST_AUTO_TEST_CASE(status_answer_keeps_only_partitions_above_ok_like_the_local_one) {
  const auto g = sample_status("billing");
  const std::string want = warren::to_json(warren::only_problems(g));
  BOOST_TEST(warren::status_object_json(g, true) == want);
  auto v1 = sample_record("billing");
  v1.all_partitions = true;
  v1.status_json = warren::to_json(g);
  auto v2 = sample_record("billing");
  v2.status_json = warren::status_object_json(g, true);
  auto d1 = decode_text("billing", wf::encode_value(v1));
  auto d2 = decode_text("billing", wf::encode_value(v2));
  auto* got1 = std::get_if<wf::decoded_record>(&d1);
  auto* got2 = std::get_if<wf::decoded_record>(&d2);
  BOOST_REQUIRE(got1);
  BOOST_REQUIRE(got2);
  BOOST_TEST(got1->problems_json == want);
  BOOST_TEST(got2->problems_json == want);
  BOOST_TEST(got1->shape == got2->shape);
  BOOST_TEST(got1->record.all_partitions);
  BOOST_TEST(!got2->record.all_partitions);
  BOOST_TEST(*wf::problems_only(warren::to_json(g)) == want);
  // The v2 record of a group of many healthy partitions stays small: the partitions are not in it.
  auto big = g;
  for (int p = 3; p < 1000; ++p) {
    auto ps = big.partitions[0];
    ps.partition = p;
    big.partitions.push_back(ps);
  }
  big.partition_count = 1000;
  auto rb = sample_record("billing");
  rb.status_json = warren::status_object_json(big, true);
  BOOST_TEST(wf::encode_value(rb).size() < 2000u);
  BOOST_TEST(warren::to_json(big).size() > 100000u);
}

BOOST_AUTO_TEST_CASE(summary_is_the_stream_summary_of_the_same_status) {
  // The stream's summary detail of a group another instance evaluates equals the one this
  // instance would send for the same status.
  const auto g = sample_status("billing");
  std::string local;
  warren::ws::append_summary_json(local, g);
  BOOST_TEST(*wf::summary_only(warren::to_json(g)) == local);
  BOOST_TEST(*wf::summary_only(warren::status_object_json(g, true)) == local);
  BOOST_TEST(!wf::summary_only("[1]"));
  BOOST_TEST(!wf::summary_only(R"({"partitions":{}})"));
}

BOOST_AUTO_TEST_CASE(shape_changes_with_the_partitions_above_ok_and_the_count_not_with_lag) {
  auto shape_of = [](const warren::group_status& g) {
    auto r = sample_record(g.group);
    r.status_json = warren::status_object_json(g, true);
    auto d = decode_text(g.group, wf::encode_value(r));
    auto* got = std::get_if<wf::decoded_record>(&d);
    BOOST_REQUIRE(got);
    return got->shape;
  };
  auto g = sample_status("billing");
  const auto base = shape_of(g);
  g.partitions[0].current_lag += 1000;
  g.totallag += 1000;
  BOOST_TEST(shape_of(g) == base);
  g.partitions[0].status = warren::status_code::warn;  // a partition goes above OK
  BOOST_TEST(shape_of(g) != base);
  g.partitions[0].status = warren::status_code::ok;
  BOOST_TEST(shape_of(g) == base);
  g.partitions[1].status = warren::status_code::stop;  // one above OK changes status
  BOOST_TEST(shape_of(g) != base);
  g.partitions[1].status = warren::status_code::stall;
  g.partitions[1].partition = 7;  // ... or number
  BOOST_TEST(shape_of(g) != base);
  g.partitions[1].partition = 1;
  BOOST_TEST(shape_of(g) == base);
  g.partition_count = 4;  // a partition added (OK, so not in the record itself)
  BOOST_TEST(shape_of(g) != base);
}

BOOST_AUTO_TEST_CASE(owner_joins_the_status_warren_object_or_adds_one) {
  const wf::owner_ref me{"h:1", "http://h:1"};
  auto g = sample_status("billing");
  const auto with = wf::with_owner(warren::to_json(g), me);
  BOOST_TEST(with.ends_with(R"(,"owner":"h:1","owner_url":"http://h:1"}})"), with);
  BOOST_TEST(with.find(R"("warren":{"evaluated_at":1700000000123)") != std::string::npos, with);
  g.warren.reset();
  const auto added = wf::with_owner(warren::to_json(g), me);
  BOOST_TEST(added.ends_with(R"("totallag":30,"warren":{"owner":"h:1","owner_url":"http://h:1"}})"), added);
  BOOST_TEST(wf::with_owner("{}", me) == R"({"warren":{"owner":"h:1","owner_url":"http://h:1"}})");
}

BOOST_AUTO_TEST_CASE(null_value_is_a_tombstone_and_empty_key_is_rejected) {
  auto t = wf::decode(bytes("gone"), std::nullopt);
  BOOST_REQUIRE(std::holds_alternative<wf::tombstone>(t));
  BOOST_TEST(std::get<wf::tombstone>(t).group == "gone");
  auto e = wf::decode(bytes(""), std::nullopt);
  BOOST_REQUIRE(std::holds_alternative<wf::decode_error>(e));
  BOOST_TEST(std::get<wf::decode_error>(e) == wf::decode_error::empty_key);
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected_with_its_reason) {
  const auto good = wf::encode_value(sample_record("g"));
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string v = good;
    auto at = v.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    return v.replace(at, from.size(), to);
  };
  struct row {
    std::string key, value;
    wf::decode_error want;
  };
  const std::vector<row> table{
      {"g", "not json", wf::decode_error::not_json},
      {"g", "[1,2]", wf::decode_error::not_object},
      {"g", std::string(100, '[') + std::string(100, ']'), wf::decode_error::not_json},
      {"g", replace(R"("v":2)", R"("v":3)"), wf::decode_error::bad_version},
      {"g", replace(R"("v":2)", R"("v":0)"), wf::decode_error::bad_version},
      {"g", R"({"v":1})", wf::decode_error::missing_field},
      {"g", R"({"v":2})", wf::decode_error::missing_field},
      {"g", replace(R"("evaluated_at":1700000000123)", R"("evaluated_at":"soon")"), wf::decode_error::bad_field},
      {"other", good, wf::decode_error::group_mismatch},
      {"g", replace(R"("status":"WARN")", R"("status":"SO-SO")"), wf::decode_error::bad_status},
      {"g", replace(R"("owner":{"id":"127.0.0.1:8001")", R"("owner":{"id":"")"), wf::decode_error::bad_field},
      {"g", replace(R"("incident":{)", R"("incident":[{)"), wf::decode_error::not_json},
  };
  for (const auto& r : table) {
    auto d = decode_text(r.key, r.value);
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<wf::decode_error>(d), r.value);
    BOOST_TEST(std::get<wf::decode_error>(d) == r.want, r.value);
  }
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash_the_decoder) {
  std::mt19937 rng(14);
  const auto good = wf::encode_value(sample_record("g"));
  for (int i = 0; i < 2000; ++i) {
    std::string v = good;
    for (int k = 0; k < 1 + i % 5; ++k) v[rng() % v.size()] = static_cast<char>(rng() % 256);
    if (i % 7 == 0) v.resize(rng() % v.size());
    auto d = decode_text("g", v);
    if (auto* r = std::get_if<wf::decoded_record>(&d)) BOOST_TEST(!r->record.status_json.empty());
  }
}

BOOST_AUTO_TEST_CASE(latest_record_wins_and_a_tombstone_removes_the_group) {
  wf::remote_status remote;
  auto rec = sample_record("billing");
  BOOST_TEST((remote.apply(decode_text("billing", wf::encode_value(rec)), 2, 10) == wf::remote_status::outcome::stored));
  rec.owner = {"h:2", "http://h:2"};
  BOOST_TEST((remote.apply(decode_text("billing", wf::encode_value(rec)), 2, 11) == wf::remote_status::outcome::replaced));
  BOOST_TEST(remote.find("billing")->owner.id == "h:2");
  // An older record (re-read) does not go back in time.
  auto old = sample_record("billing");
  BOOST_TEST((remote.apply(decode_text("billing", wf::encode_value(old)), 2, 5) == wf::remote_status::outcome::ignored));
  BOOST_TEST(remote.find("billing")->owner.id == "h:2");
  BOOST_TEST((remote.apply(decode_text("x", "garbage"), 2, 12) == wf::remote_status::outcome::ignored));
  BOOST_TEST((remote.apply(wf::decode(bytes("billing"), std::nullopt), 2, 13) == wf::remote_status::outcome::removed));
  BOOST_TEST(remote.size() == 0u);
  BOOST_TEST(!remote.find("billing"));
}

BOOST_AUTO_TEST_SUITE_END()
