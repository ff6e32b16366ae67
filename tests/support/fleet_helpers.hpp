#pragma once
// Test helpers for instances that share an offsets topic through a cluster-group (issue 14).
#include <cstddef>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "service/storage/snapshot.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/warren_process.hpp"

namespace warren::test {

/// Group names "<prefix><i>", `per` of them in each of `partitions` offsets-topic partitions (placed
/// by the name's Java hashCode, as Kafka's group coordinator places them), in the order found.
inline std::vector<std::string> groups_spread(const std::string& prefix, int partitions, int per) {
  std::map<int, int> in;
  std::vector<std::string> out;
  for (int i = 0; out.size() < static_cast<std::size_t>(partitions * per); ++i) {
    std::string g = prefix + std::to_string(i);
    if (in[warren::snapshot::offsets_partition_for(g, partitions)]++ < per) out.push_back(std::move(g));
  }
  return out;
}

/// How many offsets-topic partitions `w` owns now for `cluster` (/v3/health
/// offsets_sources[0].owned_partitions); 0 while its health cannot say.
inline std::size_t owned_partition_count(const warren_process& w, const char* cluster) {
  try {
    return at(parse_json(w.get("/v3/health").body), {"clusters", cluster, "offsets_sources", 0, "owned_partitions"})
        .as_array()
        .size();
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace warren::test
