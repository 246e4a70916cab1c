// Rendezvous (highest random weight) hashing: Thaler & Ravishankar, "Using Name-Based Mappings to
// Increase Hit Rates" (1998). Every node scores the key; the highest score owns it, and the next
// highest are the replicas, so Locate(key, n) is the top n scores.
//
// Weights by the logarithmic method (Schindelhauer & Schomaker, "Weighted Distributed Hash
// Tables", 2005): score = -weight / ln(h), h uniform in (0, 1) from XXH3-64 of the key seeded with
// the node's own XXH3-64 name hash. A node then wins with probability weight / total weight
// exactly, and adding or removing a node moves only the keys it wins or won.
// Lookups are O(nodes) (one key hash per node), plus O(nodes log count) to rank the top count.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "modules/ring/node.h"

namespace pylon::ring {

// A node's score for a key hash: -weight / ln(h) with h = (top 53 bits + 1/2) / 2^53.
double RendezvousScore(uint64_t key_hash, double weight);

class RendezvousTable {
 public:
  static RendezvousTable Build(std::span<const Node> nodes);

  void Locate(std::string_view key, DistinctPick& pick) const;
  // Each node's share: weight / total weight (exact in expectation over uniform key hashes).
  std::vector<double> Shares() const;

 private:
  std::vector<uint64_t> seeds_;
  std::vector<double> weights_;
};

}  // namespace pylon::ring
