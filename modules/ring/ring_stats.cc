#include "modules/ring/ring_stats.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace pylon::ring {

void SyntheticKey(uint64_t i, std::string* key) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), i).ptr;
  key->assign("key:");
  key->append(digits, end);
}

std::vector<uint32_t> OwnersOfKeys(const Ring& ring, uint64_t key_count) {
  std::vector<uint32_t> owners(key_count);
  std::vector<uint32_t> located;
  std::string key;
  for (uint64_t i = 0; i < key_count; i++) {
    SyntheticKey(i, &key);
    ring.LocateInto(key, 1, &located);
    owners[i] = located.at(0);
  }
  return owners;
}

Balance MeasureBalance(const Ring& ring, const std::vector<uint32_t>& owners) {
  Balance balance;
  balance.keys_per_node.assign(ring.size(), 0);
  for (uint32_t owner : owners) balance.keys_per_node[owner]++;
  uint64_t total_weight = 0;
  for (const Node& node : ring.nodes()) total_weight += node.weight;

  double sum_squares = 0;
  for (size_t i = 0; i < ring.size(); i++) {
    const double fair = static_cast<double>(owners.size()) * ring.nodes()[i].weight /
                        static_cast<double>(total_weight);
    const double load = static_cast<double>(balance.keys_per_node[i]) / fair;
    balance.max_load = std::max(balance.max_load, load);
    sum_squares += (load - 1) * (load - 1);
  }
  balance.stddev_load = std::sqrt(sum_squares / static_cast<double>(ring.size()));
  return balance;
}

double MovedFraction(const Ring& before, const std::vector<uint32_t>& owners_before,
                     const Ring& after, const std::vector<uint32_t>& owners_after) {
  // Where each node of `before` sits in `after`, if it is still there.
  constexpr uint32_t kGone = UINT32_MAX;
  std::vector<uint32_t> position_after(before.size(), kGone);
  for (uint32_t i = 0; i < before.size(); i++) {
    for (uint32_t j = 0; j < after.size(); j++) {
      if (after.nodes()[j].name == before.nodes()[i].name) position_after[i] = j;
    }
  }
  uint64_t moved = 0;
  for (size_t k = 0; k < owners_before.size(); k++) {
    moved += position_after[owners_before[k]] != owners_after[k];
  }
  return static_cast<double>(moved) / static_cast<double>(owners_before.size());
}

}  // namespace pylon::ring
