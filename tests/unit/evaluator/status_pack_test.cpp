// The evaluator's packed kept statuses (evaluator/status_pack.hpp): unpack gives back exactly what
// was packed, for statuses evaluated from a real store and for hand-built extremes.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "service/evaluator/rules.hpp"
#include "service/evaluator/status_pack.hpp"
#include "service/storage/model.hpp"

namespace warren {
namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

// A store with `groups` groups over two topics of `partitions` partitions; lags differ per partition,
// members own partitions, and group 0's partition 0 of topic "b" stops committing (STOP).
cluster_state busy_store(int groups, int partitions) {
  storage_options o;
  o.intervals = 10;
  cluster_state st(o);
  std::int64_t order = 0;
  for (int round = 0; round < 12; ++round) {
    const std::int64_t now = t0 + round * 30'000;
    for (const char* topic : {"a", "b-topic-with-a-long-name"})
      for (int p = 0; p < partitions; ++p)
        st.set_broker_offset({topic, partition_id{p}, partitions, offset_t{100'000 + round * 500 + p * 7}},
                             timestamp_ms{now});
    for (int g = 0; g < groups; ++g) {
      const std::string group = "group-" + std::to_string(g);
      for (const char* topic : {"a", "b-topic-with-a-long-name"})
        for (int p = 0; p < partitions; ++p) {
          if (g == 0 && p == 0 && topic[0] == 'b' && round > 3) continue;
          st.add_commit({group, topic, partition_id{p}, offset_t{99'000 + round * (400 + p) + g},
                         ++order, timestamp_ms{now - 100}},
                        timestamp_ms{now});
          if (round == 0)
            st.set_owner({group, topic, partition_id{p}, "/10.0.0." + std::to_string(p % 3),
                          "client-" + group + "-member-" + std::to_string(p % 3)},
                         timestamp_ms{now});
        }
    }
  }
  return st;
}

group_status round_trip(status_packer& packer, const group_status& s) {
  packed_status p;
  packer.pack(s, p);
  group_status back;
  packer.unpack(p, s.cluster, s.group, back);
  return back;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(status_pack)

BOOST_AUTO_TEST_CASE(statuses_evaluated_from_a_store_come_back_equal) {
  const auto st = busy_store(4, 40);
  status_packer packer;
  evaluator_options options;
  int statuses = 0;
  bool saw_problem = false, saw_owner = false;
  for (std::int64_t later : {0, 45'000, 900'000}) {
    const timestamp_ms now{t0 + 11 * 30'000 + later};
    for (const auto& g : st.groups()) {
      const auto view = st.view_group(g, now);
      BOOST_REQUIRE(view);
      const auto s = evaluate_group("c", g, *view, now, options);
      BOOST_REQUIRE_EQUAL(s.partitions.size(), 80u);
      saw_problem |= s.status != status_code::ok;
      saw_owner |= !s.partitions.front().owner.empty();
      BOOST_TEST((round_trip(packer, s) == s), g << " at +" << later);
      const auto problems = only_problems(s);
      BOOST_TEST((round_trip(packer, problems) == problems), g << " problems at +" << later);
      statuses += 2;
    }
  }
  BOOST_TEST(statuses == 24);
  BOOST_TEST(saw_problem);  // the fixture covers more than OK partitions
  BOOST_TEST(saw_owner);
}

// Issue 12 (/metrics): the partitions read in place are the unpacked ones, field by field, and the
// group comes without its partitions.
BOOST_AUTO_TEST_CASE(partitions_read_in_place_match_the_unpacked_ones) {
  const auto st = busy_store(3, 40);
  const timestamp_ms now{t0 + 11 * 30'000 + 45'000};
  status_packer packer;
  std::vector<partition_fields> fields;
  group_status head;
  for (const auto& g : st.groups()) {
    const auto s = evaluate_group("c", g, *st.view_group(g, now), now, evaluator_options{});
    packed_status p;
    packer.pack(s, p);
    packer.unpack(p, "c", g, head, fields);
    BOOST_TEST(head.partitions.empty());
    auto whole = s;
    whole.partitions.clear();
    BOOST_TEST((head == whole), g);
    BOOST_REQUIRE_EQUAL(fields.size(), s.partitions.size());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto& f = fields[i];
      const auto& e = s.partitions[i];
      const partition_status back{std::string(f.topic), f.partition, std::string(f.owner), std::string(f.client_id),
                                  f.status, f.start, f.end, f.current_lag, f.complete, f.warren};
      BOOST_TEST((back == e), g << " partition " << i);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_kept_status_is_a_fraction_of_its_struct) {
  // 80 partitions with owners, client ids, both samples and the warren object: the struct costs 336
  // bytes per partition before its strings; packed it must stay under 80.
  const auto st = busy_store(1, 40);
  const timestamp_ms now{t0 + 11 * 30'000 + 1000};
  const auto s = evaluate_group("c", "group-0", *st.view_group("group-0", now), now, evaluator_options{});
  status_packer packer;
  packed_status p;
  packer.pack(s, p);
  BOOST_TEST_MESSAGE("packed " << p.size() << " bytes for " << s.partitions.size() << " partitions");
  BOOST_TEST(p.size() < 80 * s.partitions.size());
  BOOST_TEST(p.heap_bytes() <= p.size() + p.size() / 4 + 33);  // kept without std::string's slack
}

BOOST_AUTO_TEST_CASE(extremes_and_absent_fields_come_back_equal) {
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  constexpr auto top = std::numeric_limits<std::uint64_t>::max();
  group_status s;
  s.cluster = "cluster";
  s.group = std::string("g\0roup", 6);
  s.status = status_code::rewind;
  s.complete = 0.25f;
  s.partition_count = 7;
  s.totallag = top;
  partition_status full;
  full.topic = "t";
  full.partition = std::numeric_limits<std::int32_t>::min();
  full.owner = "";
  full.client_id = std::string(300, 'x');
  full.status = status_code::stall;
  full.complete = -std::numeric_limits<float>::infinity();
  full.current_lag = top;
  full.start = consumer_offset{lo, hi, lo, hi, top};
  full.end = consumer_offset{hi, lo, hi, lo, std::nullopt};
  partition_time_lag w;
  w.log_end_offset = lo;
  w.log_start_offset = hi;
  w.time_lag = {hi, lo, time_lag_method::exact, true};
  w.consume_rate = std::numeric_limits<float>::max();
  w.produce_rate = std::numeric_limits<float>::denorm_min();
  w.time_to_drain_s = 0.0f;
  w.retention_ms = lo;
  w.unread_deleted_in_ms = hi;
  w.records_lost = top;
  full.warren = w;
  s.partitions.push_back(full);
  partition_status bare;  // no samples, no warren object
  bare.topic = "t";
  bare.partition = std::numeric_limits<std::int32_t>::max();
  s.partitions.push_back(bare);
  for (int i = 0; i < 200; ++i) {  // more than 127 distinct strings: indexes of two varint bytes
    partition_status p = bare;
    p.topic = "topic-" + std::to_string(i % 150);
    p.client_id = "client-" + std::to_string(i);
    p.start = consumer_offset{i, -i, i * 1000, i * 1000 - 5, std::nullopt};
    s.partitions.push_back(p);
  }
  s.maxlag = full;
  group_time_lag gw;
  gw.evaluated_at = lo;
  gw.max_time_lag_ms = hi;
  gw.max_time_lag_lower_bound = true;
  gw.max_time_lag_topic = "topic-149";
  gw.max_time_lag_partition = -1;
  gw.sum_time_lag_ms = lo;
  gw.time_to_drain_s = 1e30f;
  gw.unread_deleted_in_ms = 0;
  gw.data_loss_partitions = 0xffffffffu;
  s.warren = gw;

  status_packer packer;
  BOOST_TEST((round_trip(packer, s) == s));
  {  // without the partitions: everything else, exactly
    packed_status p;
    packer.pack(s, p);
    group_status head = s;
    packer.unpack(p, s.cluster, s.group, head, false);
    auto expected = s;
    expected.partitions.clear();
    BOOST_TEST((head == expected));
    BOOST_TEST(head.maxlag.has_value());
  }

  group_status empty;  // NOTFOUND shape: no partitions, no maxlag, no warren
  empty.cluster = "c";
  empty.group = "g";
  BOOST_TEST((round_trip(packer, empty) == empty));

  // Unpacking into an object that held a bigger status leaves nothing of it behind.
  packed_status small;
  packer.pack(empty, small);
  group_status reused = s;
  packer.unpack(small, "c", "g", reused);
  BOOST_TEST((reused == empty));
}

BOOST_AUTO_TEST_CASE(same_content_ignores_only_the_evaluation_time) {
  const auto st = busy_store(1, 5);
  const timestamp_ms now{t0 + 11 * 30'000 + 1000};
  auto a = evaluate_group("c", "group-0", *st.view_group("group-0", now), now, evaluator_options{});
  BOOST_REQUIRE(a.warren);
  auto b = a;
  b.warren->evaluated_at += 5000;
  status_packer packer;
  packed_status pa, pb;
  packer.pack(a, pa);
  packer.pack(b, pb);
  BOOST_TEST(pa.same_content(pb));
  group_status back;
  packer.unpack(pb, "c", "group-0", back);
  BOOST_TEST(back.warren->evaluated_at == b.warren->evaluated_at);

  b.partitions.back().end->offset += 1;
  packer.pack(b, pb);
  BOOST_TEST(!pa.same_content(pb));
  b = a;
  b.partitions.front().warren->time_lag.lag_ms += 1;
  packer.pack(b, pb);
  BOOST_TEST(!pa.same_content(pb));
  b = a;
  const auto other = a.status == status_code::warn ? status_code::ok : status_code::warn;
  b.status = other;
  packer.pack(b, pb);
  BOOST_TEST(!pa.same_content(pb));
  BOOST_TEST((pb.status() == other));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
