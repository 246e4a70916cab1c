#include "modules/ring/ketama.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "modules/ring/md5.h"

namespace pylon::ring {

uint32_t KetamaPointCount(uint32_t weight, uint64_t total_weight, size_t server_count,
                          uint32_t points_per_server) {
  // Float, and in this order, because twemproxy and libmemcached compute it so: a double here
  // would round some shares across an integer differently and shift a server by four points.
  const float share = static_cast<float>(weight) / static_cast<float>(total_weight);
  const float hashes =
      share * static_cast<float>(points_per_server) / 4.0f * static_cast<float>(server_count);
  return static_cast<uint32_t>(std::floor(hashes + 0.0000000001f)) * 4;
}

uint32_t KetamaKeyHash(std::string_view key) { return Md5Word(Md5(key), 0); }

KetamaContinuum KetamaContinuum::Build(std::span<const Node> nodes, uint32_t points_per_server) {
  KetamaContinuum continuum;
  continuum.node_count_ = nodes.size();
  uint64_t total_weight = 0;
  for (const Node& node : nodes) total_weight += node.weight;

  std::string label;
  for (uint32_t index = 0; index < nodes.size(); index++) {
    const Node& node = nodes[index];
    const uint32_t points =
        KetamaPointCount(node.weight, total_weight, nodes.size(), points_per_server);
    for (uint32_t hash = 0; hash < points / 4; hash++) {
      label = node.name;
      label += '-';
      label += std::to_string(hash);
      const Md5Digest digest = Md5(label);
      for (unsigned word = 0; word < 4; word++) {
        continuum.points_.push_back({Md5Word(digest, word), index});
      }
    }
  }
  std::sort(continuum.points_.begin(), continuum.points_.end(),
            [](const KetamaPoint& a, const KetamaPoint& b) {
              return a.value != b.value ? a.value < b.value : a.node < b.node;
            });
  return continuum;
}

size_t KetamaContinuum::Successor(uint32_t hash) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const KetamaPoint& p, uint32_t h) { return p.value < h; });
  return it == points_.end() ? 0 : static_cast<size_t>(it - points_.begin());
}

void KetamaContinuum::Locate(std::string_view key, DistinctPick& pick) const {
  if (points_.empty()) return;
  const size_t start = Successor(KetamaKeyHash(key));
  for (size_t step = 0; step < points_.size(); step++) {
    if (pick.Offer(points_[(start + step) % points_.size()].node)) return;
  }
}

std::vector<double> KetamaContinuum::Shares() const {
  std::vector<double> shares(node_count_, 0.0);
  if (points_.empty()) return shares;
  constexpr double kPositions = 4294967296.0;  // 2^32
  // Point 0 owns the wrap-around arc: every hash above the last point and up to its own value.
  shares[points_[0].node] += (kPositions - points_.back().value + points_[0].value) / kPositions;
  for (size_t i = 1; i < points_.size(); i++) {
    shares[points_[i].node] += (points_[i].value - points_[i - 1].value) / kPositions;
  }
  return shares;
}

}  // namespace pylon::ring
