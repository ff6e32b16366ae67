// Decoder throughput on one core: prints records/s for a realistic __consumer_offsets mix and for
// offset commits alone. Numbers only, no assertions. Build in Release (-O2) for meaningful output.
//
// Mix (per 1000 records): 900 offset commits with key v1 (values: 450 v3, 350 v4, 50 v1, 30 v2,
// 20 v0), 40 group-metadata values (v3/v4, 3 members with 2-topic assignments), 50 offset
// tombstones, 10 group tombstones.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "service/offsets/decode.hpp"
#include "tests/support/offsets_encode.hpp"

namespace wo = warren::offsets;

namespace {

// Records live back to back in one buffer, as they do in a fetched batch.
struct input {
  std::span<const std::byte> key;
  std::optional<std::span<const std::byte>> value;
};

struct record_set {
  std::vector<std::byte> arena;
  std::vector<input> records;
};

record_set make_mix(std::size_t n, bool commits_only) {
  std::mt19937 rng(42);
  std::vector<std::string> groups;
  std::vector<std::string> topics;
  for (int i = 0; i < 200; ++i) groups.push_back("service-" + std::to_string(i) + "-consumer-group");
  for (int i = 0; i < 50; ++i) topics.push_back("events.domain-" + std::to_string(i) + ".v1");
  const std::vector<std::byte> subscription(40, std::byte{1});

  std::vector<wo::encoded_record> encoded;
  encoded.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& g = groups[rng() % groups.size()];
    const std::string& t = topics[rng() % topics.size()];
    const auto p = static_cast<std::int32_t>(rng() % 64);
    const auto slot = commits_only ? rng() % 900 : rng() % 1000;
    wo::encoded_record rec;
    if (slot < 900) {
      std::int16_t v = slot < 450 ? 3 : slot < 800 ? 4 : slot < 850 ? 1 : slot < 880 ? 2 : 0;
      wo::offset_commit c{g, t, p, static_cast<std::int64_t>(rng()) * 1000, 7, "", 1700000000000LL + static_cast<std::int64_t>(i),
                          v == 1 ? 1700086400000LL : -1, 1, v};
      rec = wo::encode(c);
    } else if (slot < 940) {
      wo::group_metadata gm;
      gm.group = g;
      gm.value_version = slot % 2 ? 3 : 4;
      gm.protocol_type = "consumer";
      gm.generation = 17;
      gm.protocol = "cooperative-sticky";
      gm.current_state_timestamp = 1700000000000LL;
      static const std::string ids[3] = {"consumer-1-2f1c0c6e-9a7b-4c1d-8e2f-000000000001",
                                         "consumer-2-2f1c0c6e-9a7b-4c1d-8e2f-000000000002",
                                         "consumer-3-2f1c0c6e-9a7b-4c1d-8e2f-000000000003"};
      gm.leader = ids[0];
      for (int m = 0; m < 3; ++m) {
        wo::member mm;
        mm.member_id = ids[m];
        mm.client_id = "consumer-1";
        mm.client_host = "/10.1.2.3";
        mm.rebalance_timeout = 300000;
        mm.session_timeout = 45000;
        mm.subscription = subscription;
        mm.assignment_version = 3;
        mm.assignment.push_back({t, {m, m + 3, m + 6, m + 9}});
        mm.assignment.push_back({topics[0], {m}});
        gm.members.push_back(std::move(mm));
      }
      rec = wo::encode(gm);
    } else if (slot < 990) {
      rec = wo::encode(wo::offset_tombstone{g, t, p, 1});
    } else {
      rec = wo::encode(wo::group_tombstone{g});
    }
    encoded.push_back(std::move(rec));
  }
  record_set out;
  std::size_t total = 0;
  for (const auto& r : encoded) total += r.key.size() + (r.value ? r.value->size() : 0);
  out.arena.reserve(total);  // no reallocation: the spans below stay valid
  for (const auto& r : encoded) {
    input in;
    const auto k = out.arena.size();
    out.arena.insert(out.arena.end(), r.key.begin(), r.key.end());
    in.key = std::span<const std::byte>(out.arena.data() + k, r.key.size());
    if (r.value) {
      const auto v = out.arena.size();
      out.arena.insert(out.arena.end(), r.value->begin(), r.value->end());
      in.value = std::span<const std::byte>(out.arena.data() + v, r.value->size());
    }
    out.records.push_back(in);
  }
  return out;
}

struct counts {
  std::uint64_t records = 0;
  std::uint64_t kinds[6] = {};
  std::int64_t sink = 0;
};

counts run(const std::vector<input>& mix, double seconds, double& elapsed) {
  counts c;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    for (const auto& in : mix) {
      const auto d = wo::decode(in.key, in.value);
      ++c.kinds[d.index()];
      if (const auto* oc = std::get_if<wo::offset_commit>(&d)) c.sink += oc->offset + static_cast<std::int64_t>(oc->group.size());
    }
    c.records += mix.size();
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= seconds) return c;
  }
}

void report(const char* name, const record_set& set) {
  const auto& mix = set.records;
  const std::size_t bytes = set.arena.size();
  double elapsed = 0;
  run(mix, 0.3, elapsed);  // warm-up
  const counts c = run(mix, 2.0, elapsed);
  const double rate = static_cast<double>(c.records) / elapsed;
  std::printf("%-22s %10.2f M records/s  %8.1f MB/s  (%llu records in %.2f s; commits %llu, "
              "offset tombstones %llu, group metadata %llu, group tombstones %llu, errors %llu; sink %lld)\n",
              name, rate / 1e6, rate * static_cast<double>(bytes) / static_cast<double>(mix.size()) / 1e6,
              static_cast<unsigned long long>(c.records), elapsed,
              static_cast<unsigned long long>(c.kinds[0]), static_cast<unsigned long long>(c.kinds[1]),
              static_cast<unsigned long long>(c.kinds[2]), static_cast<unsigned long long>(c.kinds[3]),
              static_cast<unsigned long long>(c.kinds[5]), static_cast<long long>(c.sink));
}

}  // namespace

int main() {
  // 16k records (~1.5 MB) per pass: larger than L2, like a real fetch batch stream.
  report("realistic mix", make_mix(16384, false));
  report("offset commits only", make_mix(16384, true));
  return 0;
}
