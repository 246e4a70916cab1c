// Maglev hashing: Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer"
// (NSDI 2016), section 3.4. A lookup table of M entries (M prime) maps a key hash to a node in
// O(1); adding or removing a node changes few entries, though a little more than the ideal
// (pylon-ringstat measures it).
//
// Each node walks its own permutation of the table, entry (offset + j * skip) mod M, with offset
// and skip from two XXH3-64 hashes of its name (skip in [1, M-1], so, M being prime, the walk
// visits every entry); nodes take turns claiming their next unclaimed entry until the table is
// full. Weights: in each round every node earns its weight in credit and takes a turn whenever its
// credit reaches the largest weight (paying that much), so a node's entries are proportional to
// its weight; with equal weights this is the paper's round robin, and entry counts differ by at
// most one. A node whose weight is below total/M may get no entry at all (share 0).
// Key: XXH3-64 of the key, mod M. Replicas: walk the table forward from the key's entry, taking
// nodes not yet picked; adjacent entries are claimed by unrelated permutations, so the next
// distinct nodes are spread like independent draws. Owner O(1); replicas expected O(count) entries
// while count is well below the node count (at worst the whole table).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "modules/ring/node.h"

namespace pylon::ring {

inline constexpr uint32_t kDefaultMaglevTableSize = 65537;
inline constexpr uint32_t kMaxMaglevTableSize = 16777213;  // the largest prime below 2^24
// The most node visits a build may take (Ring::CheckCapacity): 2^26, about 0.1 s.
inline constexpr uint64_t kMaxMaglevBuildSteps = uint64_t{1} << 26;

bool IsPrime(uint32_t n);

class MaglevTable {
 public:
  // `table_size` must be prime and at least the number of nodes.
  static MaglevTable Build(std::span<const Node> nodes, uint32_t table_size);

  void Locate(std::string_view key, DistinctPick& pick) const;
  // Each node's exact share: its entries over the table size.
  std::vector<double> Shares() const;

  const std::vector<uint32_t>& entries() const { return entries_; }

 private:
  std::vector<uint32_t> entries_;
  size_t node_count_ = 0;
};

}  // namespace pylon::ring
