#include "modules/ring/rendezvous.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace pylon::ring {

double RendezvousScore(uint64_t key_hash, double weight) {
  // Strictly inside (0, 1), so the logarithm is finite and negative.
  const double h = (static_cast<double>(key_hash >> 11) + 0.5) * 0x1p-53;
  return -weight / std::log(h);
}

RendezvousTable RendezvousTable::Build(std::span<const Node> nodes) {
  RendezvousTable table;
  for (const Node& node : nodes) {
    table.seeds_.push_back(XXH3_64bits(node.name.data(), node.name.size()));
    table.weights_.push_back(node.weight);
  }
  return table;
}

void RendezvousTable::Locate(std::string_view key, DistinctPick& pick) const {
  struct Scored {
    double score;
    uint32_t node;
    // Highest score first; an exact tie (practically never) goes to the earlier node.
    bool Outranks(const Scored& other) const {
      return score != other.score ? score > other.score : node < other.node;
    }
  };
  const auto score = [&](uint32_t node) {
    const uint64_t hash = XXH3_64bits_withSeed(key.data(), key.size(), seeds_[node]);
    return Scored{RendezvousScore(hash, weights_[node]), node};
  };
  if (seeds_.empty() || pick.full()) return;
  if (pick.want() == 1) {  // The owner alone: a running maximum, no allocation.
    Scored best = score(0);
    for (uint32_t node = 1; node < seeds_.size(); node++) {
      if (const Scored s = score(node); s.Outranks(best)) best = s;
    }
    pick.Offer(best.node);
    return;
  }
  std::vector<Scored> scored;
  scored.reserve(seeds_.size());
  for (uint32_t node = 0; node < seeds_.size(); node++) scored.push_back(score(node));
  const auto ranked = scored.begin() + static_cast<ptrdiff_t>(pick.want());
  std::partial_sort(scored.begin(), ranked, scored.end(),
                    [](const Scored& a, const Scored& b) { return a.Outranks(b); });
  for (auto it = scored.begin(); it != ranked; ++it) pick.Offer(it->node);
}

std::vector<double> RendezvousTable::Shares() const {
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  std::vector<double> shares;
  for (double weight : weights_) shares.push_back(weight / total);
  return shares;
}

}  // namespace pylon::ring
