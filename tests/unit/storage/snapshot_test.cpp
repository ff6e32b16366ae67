// Store snapshots (issue 14): the codec (round trip, every corruption and truncation rejected,
// version checks), Java's String.hashCode / Kafka's partitionFor, and cluster_state's
// export/import/forget_offsets_partition.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "service/storage/model.hpp"
#include "service/storage/snapshot.hpp"

namespace warren {
namespace {

constexpr std::int64_t now_ms = 1'700'000'000'000;
const timestamp_ms now{now_ms};
constexpr std::int32_t offsets_partitions = 5;

storage_options options(int intervals = 4) {
  storage_options o;
  o.intervals = intervals;
  return o;
}

void broker(cluster_state& s, std::string_view topic, std::int32_t partitions, std::int64_t end) {
  for (std::int32_t p = 0; p < partitions; ++p)
    s.set_broker_offset({topic, partition_id{p}, partitions, offset_t{end + p}}, now);
}

commit_outcome commit(cluster_state& s, std::string_view group, std::string_view topic, std::int32_t partition,
                      std::int64_t offset, std::int64_t order, std::int64_t ts) {
  return s.add_commit({.group = group,
                       .topic = topic,
                       .partition = partition_id{partition},
                       .offset = offset_t{offset},
                       .order = order,
                       .timestamp = timestamp_ms{ts}},
                      now);
}

// Groups over several offsets partitions, full and partial windows, backfilled (null-lag)
// samples, owners and client ids, an owner-only partition, a group with no topic (owner held for
// an unknown topic) and a ring that spans more than 2^32 ms (the wide encoding).
cluster_state populated() {
  cluster_state s(options());
  broker(s, "orders", 4, 1000);
  broker(s, "clicks", 2, 50);
  std::int64_t order = 100;
  for (int g = 0; g < 12; ++g) {
    const std::string group = "group-" + std::to_string(g);
    for (int i = 0; i < 2 + g % 5; ++i)
      commit(s, group, "orders", g % 4, 10 * i + g, order += 3, now_ms - 60'000 + 1000 * i);
    if (g % 3 == 0) commit(s, group, "clicks", 1, 7, order += 3, now_ms - 30'000);
    if (g % 4 == 1) s.set_owner({group, "orders", partition_id{g % 4}, "/10.0.0." + std::to_string(g), "client-" + std::to_string(g)}, now);
  }
  commit(s, "group-5", "orders", 1, 5, 101, now_ms - 90'000);  // backfill: lag null
  s.set_owner({"owner-only", "clicks", partition_id{0}, "/10.9.9.9", "lonely"}, now);
  s.set_owner({"no-topic", "not-known-yet", partition_id{0}, "/10.1.1.1", "c"}, now);
  commit(s, "wide", "orders", 2, 1, 10, now_ms - 5'000'000'000);
  commit(s, "wide", "orders", 2, 2, 11, now_ms - 1000);
  return s;
}

snapshot::image export_image(const cluster_state& s, std::int32_t count = offsets_partitions) {
  snapshot::image img;
  img.head.cluster = "local";
  img.head.offsets_topic = "__consumer_offsets";
  img.head.intervals = static_cast<std::uint32_t>(s.options().intervals);
  img.head.partition_count = static_cast<std::uint32_t>(count);
  img.head.written_at_ms = now_ms;
  auto buckets = s.groups_by_offsets_partition(count);
  for (std::int32_t p = 0; p < count; ++p) {
    snapshot::partition_image part;
    part.next_offset = 1000 + p;
    s.export_groups(buckets[static_cast<std::size_t>(p)], part);
    img.partitions.push_back(std::move(part));
  }
  return img;
}

// Everything the endpoints read of one group: the whole group_view, field by field.
void check_same_view(const cluster_state& a, const cluster_state& b, const std::string& group) {
  BOOST_TEST_CONTEXT("group " << group) {
    auto va = a.view_group(group, now);
    auto vb = b.view_group(group, now);
    BOOST_REQUIRE_EQUAL(va.has_value(), vb.has_value());
    if (!va) return;
    BOOST_TEST(va->last_commit == vb->last_commit);
    BOOST_TEST(va->topics == vb->topics, boost::test_tools::per_element());
    BOOST_TEST((va->samples == vb->samples));
    BOOST_TEST(va->broker_offsets == vb->broker_offsets, boost::test_tools::per_element());
    BOOST_REQUIRE_EQUAL(va->partitions.size(), vb->partitions.size());
    for (std::size_t i = 0; i < va->partitions.size(); ++i) {
      const auto& x = va->partitions[i];
      const auto& y = vb->partitions[i];
      BOOST_TEST(x.topic == y.topic);
      BOOST_TEST(x.partition == y.partition);
      BOOST_TEST(x.owner == y.owner);
      BOOST_TEST(x.client_id == y.client_id);
      BOOST_TEST(x.ring_length == y.ring_length);
      BOOST_TEST(x.window_begin == y.window_begin);
      BOOST_TEST(x.window_size == y.window_size);
      BOOST_TEST(x.broker_size == y.broker_size);
      BOOST_TEST(x.current_lag == y.current_lag);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_format)

BOOST_AUTO_TEST_CASE(java_string_hash_matches_java) {
  // Printed by OpenJDK 17 (String.hashCode of the same UTF-8 text decoded as Java does).
  struct row {
    std::string text;
    std::int32_t hash;
    std::int32_t partition_of_50;
  };
  const std::vector<row> table = {
      {"", 0, 0},
      {"a", 97, 47},
      {"hello", 99162322, 22},
      {"test-group", 627841412, 12},
      {"console-consumer-12345", 158455506, 6},
      {"burrow-local", -1035156967, 17},
      {"polygenelubricants", INT32_MIN, 0},  // Utils.abs(MIN_VALUE) = 0
      {"GydZG_", INT32_MIN, 0},
      {"DESIGNING WORKHOUSES", INT32_MIN, 0},
      {"gr\xc3\xbc\xc3\x9f" "e", 98768023, 23},
      {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x82\xb0\xe3\x83\xab\xe3\x83\xbc\xe3\x83\x97", -305235731, 31},
      {"emoji-\xf0\x9f\x98\x80", 1164511306, 6},  // a surrogate pair in UTF-16
  };
  for (const auto& r : table) {
    BOOST_TEST_CONTEXT("text " << r.text) {
      BOOST_TEST(snapshot::java_string_hash(r.text) == r.hash);
      BOOST_TEST(snapshot::offsets_partition_for(r.text, 50) == r.partition_of_50);
    }
  }
  // Malformed UTF-8 hashes as U+FFFD per bad byte (never crashes, always in range).
  BOOST_TEST(snapshot::java_string_hash("\xff") == 0xFFFD);
  BOOST_TEST(snapshot::java_string_hash("\xe6\x97") == 31 * 0xFFFD + 0xFFFD);
}

BOOST_AUTO_TEST_CASE(image_round_trips_through_bytes) {
  const auto img = export_image(populated());
  const std::string bytes = snapshot::encode(img);
  auto back = snapshot::decode(bytes);
  BOOST_REQUIRE_MESSAGE(back.value, back.error);
  BOOST_TEST((*back.value == img));
  // Groups sit in the section Kafka would write their commits to.
  for (std::size_t p = 0; p < img.partitions.size(); ++p)
    for (const auto& g : img.partitions[p].groups)
      BOOST_TEST(snapshot::offsets_partition_for(g.name, offsets_partitions) == static_cast<std::int32_t>(p));
}

BOOST_AUTO_TEST_CASE(every_corrupted_byte_is_rejected_and_nothing_is_loaded) {
  const std::string bytes = snapshot::encode(export_image(populated()));
  BOOST_TEST_MESSAGE("snapshot of the populated state: " << bytes.size() << " bytes");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ flip);
      auto r = snapshot::decode(bad);
      if (r.value) BOOST_FAIL("byte " << i << " ^ " << int(flip) << " accepted");
      BOOST_CHECK(!r.error.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(every_truncation_is_rejected) {
  const std::string bytes = snapshot::encode(export_image(populated()));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = snapshot::decode(std::string_view(bytes).substr(0, n));
    if (r.value) BOOST_FAIL("truncation to " << n << " bytes accepted");
  }
  // Appended garbage too.
  BOOST_TEST(!snapshot::decode(bytes + "x").value);
}

BOOST_AUTO_TEST_CASE(other_versions_and_wrong_magic_are_rejected_by_name) {
  auto img = export_image(populated());
  for (std::uint32_t v : {0u, 2u, 0xFFFFFFFFu}) {
    img.head.version = v;
    auto r = snapshot::decode(snapshot::encode(img));  // a valid checksum over another version
    BOOST_TEST(!r.value);
    BOOST_TEST(r.error.find("version") != std::string::npos, r.error);
  }
  img.head.version = snapshot::format_version;
  std::string bytes = snapshot::encode(img);
  bytes[0] = 'X';
  auto r = snapshot::decode(bytes);
  BOOST_TEST(!r.value);
  BOOST_TEST(r.error.find("magic") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(a_valid_checksum_over_inconsistent_content_is_rejected) {
  auto img = export_image(populated());
  {  // a group in another offsets partition's section
    auto bad = img;
    std::size_t from = 0;
    while (bad.partitions[from].groups.empty()) ++from;
    auto g = bad.partitions[from].groups.front();
    auto& to = bad.partitions[(from + 1) % bad.partitions.size()].groups;
    to.insert(to.begin(), g);
    BOOST_TEST(!snapshot::decode(snapshot::encode(bad)).value);
  }
  {  // a window longer than intervals, or out of order
    auto bad = img;
    for (auto& p : bad.partitions)
      for (auto& g : p.groups)
        for (auto& t : g.topics)
          for (auto& s : t.slots)
            if (s.window.size() >= 2) std::swap(s.window[0], s.window[1]);
    BOOST_TEST(!snapshot::decode(snapshot::encode(bad)).value);
    bad = img;
    bad.head.intervals = 1;
    BOOST_TEST(!snapshot::decode(snapshot::encode(bad)).value);
  }
  {  // partition count 0
    auto bad = img;
    bad.head.partition_count = 0;
    bad.partitions.clear();
    BOOST_TEST(!snapshot::decode(snapshot::encode(bad)).value);
  }
}

BOOST_AUTO_TEST_CASE(files_are_replaced_atomically) {
  const auto dir = std::filesystem::temp_directory_path() / ("warren-snapshot-unit-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  BOOST_TEST(snapshot::check_dir(dir / "sub") == "");
  const auto path = snapshot::file_for(dir / "sub", "my/cluster");
  BOOST_TEST(path.filename().string() == "my%2fcluster.snapshot");
  const auto img = export_image(populated());
  std::vector<std::string> chunks{snapshot::encode_header(img.head)};
  for (const auto& p : img.partitions) snapshot::encode_partition(p, chunks.emplace_back());
  BOOST_TEST(snapshot::write_file(path, chunks) == "");
  std::string err;
  auto bytes = snapshot::read_file(path, err);
  BOOST_REQUIRE(bytes);
  BOOST_TEST(*bytes == snapshot::encode(img));  // chunked write = one-piece encode
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
  BOOST_TEST(!snapshot::read_file(dir / "missing.snapshot", err));
  BOOST_TEST(err == "");
  BOOST_TEST(snapshot::check_dir(path) != "");  // a file, not a directory
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(snapshot_model)

BOOST_AUTO_TEST_CASE(import_restores_every_view_the_endpoints_read) {
  const cluster_state before = populated();
  auto decoded = snapshot::decode(snapshot::encode(export_image(before)));
  BOOST_REQUIRE(decoded.value);
  cluster_state after(options());
  auto r = after.import_snapshot(*decoded.value, now);
  BOOST_TEST(r.groups == before.group_count());
  // Broker data is not in the snapshot: the poller's first round brings the same log-end offsets.
  broker(after, "orders", 4, 1000);
  broker(after, "clicks", 2, 50);
  BOOST_TEST(after.groups() == before.groups(), boost::test_tools::per_element());
  BOOST_TEST(after.tracked_partitions() == before.tracked_partitions());
  for (const auto* topic : {"orders", "clicks", "not-known-yet"})
    BOOST_TEST(after.groups_of_topic(topic) == before.groups_of_topic(topic), boost::test_tools::per_element());
  for (const auto& g : before.groups()) check_same_view(before, after, g);
  // The restored rings keep working like the originals (Burrow rule 6 on the next commit).
  cluster_state live = populated();
  BOOST_TEST(int(commit(after, "group-3", "orders", 3, 999, 10'000, now_ms)) ==
             int(commit(live, "group-3", "orders", 3, 999, 10'000, now_ms)));
  BOOST_TEST(int(commit(after, "group-3", "orders", 3, 1, 10'000, now_ms)) == int(commit_outcome::dropped_duplicate));
  check_same_view(live, after, "group-3");
}

BOOST_AUTO_TEST_CASE(import_reapplies_todays_filters_and_expiry) {
  auto img = *snapshot::decode(snapshot::encode(export_image(populated()))).value;
  auto o = options();
  o.group_denylist = "^group-1";  // group-1, group-10, group-11
  cluster_state filtered(o);
  auto r = filtered.import_snapshot(img, now);
  BOOST_TEST(r.skipped_filtered == 3u);
  BOOST_TEST(!filtered.has_group("group-10"));
  BOOST_TEST(filtered.has_group("group-2"));

  // Expiry works on restored groups as on the originals: the same groups go at the same time.
  auto o2 = options();
  o2.expire_group_s = 45;  // the commits of 60 s ago are expired, the "wide" group's 1 s old one is not
  cluster_state expiring(o2);
  auto r2 = expiring.import_snapshot(img, now);
  BOOST_TEST(r2.groups == populated().group_count());
  BOOST_TEST(r2.expired > 0u);
  const auto gone = expiring.expire(now);
  BOOST_TEST(gone.size() == r2.expired);
  BOOST_TEST(std::count(gone.begin(), gone.end(), "owner-only") == 1);  // never committed
  BOOST_TEST(expiring.has_group("wide"));
}

BOOST_AUTO_TEST_CASE(import_refuses_other_intervals_and_a_non_empty_state) {
  auto img = *snapshot::decode(snapshot::encode(export_image(populated()))).value;
  cluster_state other(options(10));
  BOOST_CHECK_THROW(other.import_snapshot(img, now), std::logic_error);
  BOOST_TEST(other.group_count() == 0u);
  cluster_state busy = populated();
  BOOST_CHECK_THROW(busy.import_snapshot(img, now), std::logic_error);
}

BOOST_AUTO_TEST_CASE(forget_offsets_partition_drops_exactly_its_groups) {
  cluster_state s = populated();
  const auto all = s.groups();
  const auto buckets = s.groups_by_offsets_partition(offsets_partitions);
  std::size_t non_empty = 0;
  for (const auto& b : buckets) non_empty += b.empty() ? 0 : 1;
  BOOST_REQUIRE_GE(non_empty, 3u);  // the fixture spreads over several partitions
  std::size_t p = 0;
  while (buckets[p].empty()) ++p;
  auto removed = s.forget_offsets_partition(static_cast<std::int32_t>(p), offsets_partitions);
  BOOST_TEST(removed == buckets[p], boost::test_tools::per_element());
  for (const auto& g : all) {
    const bool in_p = snapshot::offsets_partition_for(g, offsets_partitions) == static_cast<std::int32_t>(p);
    BOOST_TEST(s.has_group(g) == !in_p, g);
  }
  for (const auto& g : s.groups_of_topic("orders"))  // the consumer index forgot them too
    BOOST_TEST(snapshot::offsets_partition_for(g, offsets_partitions) != static_cast<std::int32_t>(p));
  BOOST_TEST(s.forget_offsets_partition(static_cast<std::int32_t>(p), offsets_partitions).empty());
  BOOST_TEST(s.forget_offsets_partition(offsets_partitions, offsets_partitions).empty());  // out of range
  BOOST_TEST(s.forget_offsets_partition(0, 0).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren
