#include "modules/ring/maglev.h"

#include <xxhash.h>

#include <algorithm>
#include <limits>

namespace pylon::ring {
namespace {

// Arbitrary fixed seeds: part of the table's definition, so never change them.
constexpr uint64_t kOffsetSeed = 0x6d61676c65762d6fULL;  // "maglev-o"
constexpr uint64_t kSkipSeed = 0x6d61676c65762d73ULL;    // "maglev-s"
constexpr uint32_t kUnclaimed = std::numeric_limits<uint32_t>::max();

// One node's walk through its permutation of the table.
struct Permutation {
  uint64_t offset;
  uint64_t skip;
  uint64_t next = 0;  // the j of the next entry to try

  uint32_t Entry(uint64_t j, uint64_t size) const {
    return static_cast<uint32_t>((offset + j * skip) % size);
  }
};

}  // namespace

bool IsPrime(uint32_t n) {
  if (n < 2) return false;
  for (uint32_t d = 2; uint64_t{d} * d <= n; d++) {
    if (n % d == 0) return false;
  }
  return true;
}

MaglevTable MaglevTable::Build(std::span<const Node> nodes, uint32_t table_size) {
  MaglevTable table;
  table.node_count_ = nodes.size();
  if (nodes.empty()) return table;
  table.entries_.assign(table_size, kUnclaimed);

  std::vector<Permutation> walks;
  uint32_t max_weight = 0;
  for (const Node& node : nodes) {
    const uint64_t offset = XXH3_64bits_withSeed(node.name.data(), node.name.size(), kOffsetSeed);
    const uint64_t skip = XXH3_64bits_withSeed(node.name.data(), node.name.size(), kSkipSeed);
    walks.push_back({offset % table_size, skip % (table_size - 1) + 1});
    max_weight = std::max(max_weight, node.weight);
  }

  std::vector<uint64_t> credit(nodes.size(), 0);
  uint32_t claimed = 0;
  while (claimed < table_size) {
    for (uint32_t node = 0; node < nodes.size() && claimed < table_size; node++) {
      credit[node] += nodes[node].weight;
      if (credit[node] < max_weight) continue;
      credit[node] -= max_weight;
      Permutation& walk = walks[node];
      uint32_t entry = walk.Entry(walk.next, table_size);
      while (table.entries_[entry] != kUnclaimed) entry = walk.Entry(++walk.next, table_size);
      table.entries_[entry] = node;
      walk.next++;
      claimed++;
    }
  }
  return table;
}

void MaglevTable::Locate(std::string_view key, DistinctPick& pick) const {
  if (entries_.empty()) return;
  const size_t start = XXH3_64bits(key.data(), key.size()) % entries_.size();
  for (size_t step = 0; step < entries_.size(); step++) {
    if (pick.Offer(entries_[(start + step) % entries_.size()])) return;
  }
}

std::vector<double> MaglevTable::Shares() const {
  std::vector<double> shares(node_count_, 0.0);
  for (uint32_t node : entries_) shares[node] += 1;  // counts first: exact fractions after
  for (double& share : shares) share /= static_cast<double>(entries_.size());
  return shares;
}

}  // namespace pylon::ring
