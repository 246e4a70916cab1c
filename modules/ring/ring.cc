#include "modules/ring/ring.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace pylon::ring {
namespace {

constexpr std::array<std::string_view, 4> kAlgorithmNames = {"ketama", "jump", "rendezvous",
                                                             "maglev"};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::string CheckOptions(const Options& options) {
  // Below 4 every server would round down to no points (0 selects the default).
  if (options.vnodes != 0 && (options.vnodes < 4 || options.vnodes > kMaxVnodes)) {
    return "VNODES must be between 4 and " + std::to_string(kMaxVnodes);
  }
  if (!IsPrime(options.maglev_table_size) || options.maglev_table_size > kMaxMaglevTableSize) {
    return "maglev table size must be a prime no larger than " +
           std::to_string(kMaxMaglevTableSize);
  }
  return "";
}

std::string_view AlgorithmName(Algorithm algorithm) {
  return kAlgorithmNames[static_cast<size_t>(algorithm)];
}

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  for (size_t i = 0; i < kAlgorithmNames.size(); i++) {
    if (EqualsIgnoringCase(name, kAlgorithmNames[i])) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

std::string CheckWeight(int64_t weight) {
  if (weight < 1 || weight > kMaxWeight) {
    return "weight must be an integer between 1 and " + std::to_string(kMaxWeight);
  }
  return "";
}

std::optional<Ring> Ring::Create(const Options& options, std::string* error) {
  if (std::string problem = CheckOptions(options); !problem.empty()) {
    *error = std::move(problem);
    return std::nullopt;
  }
  return Ring(options);
}

std::optional<uint32_t> Ring::Find(std::string_view name) const {
  for (uint32_t i = 0; i < nodes_.size(); i++) {
    if (nodes_[i].name == name) return i;
  }
  return std::nullopt;
}

uint64_t Ring::TotalWeight() const {
  uint64_t total = 0;
  for (const Node& node : nodes_) total += node.weight;
  return total;
}

uint32_t Ring::MaxWeight(std::optional<uint32_t> except, uint32_t instead) const {
  uint32_t max = 0;
  for (uint32_t i = 0; i < nodes_.size(); i++) {
    max = std::max(max, except == i ? instead : nodes_[i].weight);
  }
  return max;
}

std::string Ring::CheckCapacity(size_t node_count, uint64_t total_weight,
                                uint32_t max_weight) const {
  if (node_count > kMaxNodes) {
    return "a ring holds at most " + std::to_string(kMaxNodes) + " nodes";
  }
  switch (options_.algorithm) {
    case Algorithm::kKetama: {
      const uint64_t per_server = options_.vnodes ? options_.vnodes : kKetamaPointsPerServer;
      if (node_count * per_server > kMaxKetamaPoints) {
        return "a ketama ring holds at most " + std::to_string(kMaxKetamaPoints) +
               " points (nodes x VNODES)";
      }
      break;
    }
    case Algorithm::kJump:
      if (total_weight > kMaxJumpBuckets) {
        return "a jump ring holds at most " + std::to_string(kMaxJumpBuckets) +
               " buckets (the sum of the weights)";
      }
      break;
    case Algorithm::kMaglev: {
      if (node_count > options_.maglev_table_size) {
        return "a maglev table of " + std::to_string(options_.maglev_table_size) +
               " entries holds at most that many nodes";
      }
      // The build goes round the nodes until the table is full, a node claiming an entry each
      // time its credit reaches the largest weight: about TABLESIZE x max / total rounds of
      // every node. Equal weights make that TABLESIZE steps; one heavy node among many light
      // ones makes it TABLESIZE x nodes (minutes at the limits): bounded here.
      const unsigned __int128 steps = static_cast<unsigned __int128>(node_count) *
                                      options_.maglev_table_size * max_weight /
                                      std::max<uint64_t>(total_weight, 1);
      if (steps > kMaxMaglevBuildSteps) {
        return "a maglev table with these weights takes too long to build (nodes x TABLESIZE x "
               "largest weight / total weight may be at most " +
               std::to_string(kMaxMaglevBuildSteps) + ")";
      }
      break;
    }
    case Algorithm::kRendezvous:
      break;
  }
  return "";
}

bool Ring::Add(std::string_view name, int64_t weight, std::string* error) {
  if (Contains(name)) return SetWeight(name, weight, error);
  if (name.empty()) {
    *error = "node name must not be empty";
    return false;
  }
  std::string problem = CheckWeight(weight);
  if (problem.empty()) {
    problem = CheckCapacity(nodes_.size() + 1, TotalWeight() + weight,
                            std::max(MaxWeight(), static_cast<uint32_t>(weight)));
  }
  if (!problem.empty()) {
    *error = std::move(problem);
    return false;
  }
  const auto index = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back({std::string(name), static_cast<uint32_t>(weight)});
  if (options_.algorithm == Algorithm::kJump) jump().Append(index, nodes_.back().weight);
  RebuildUnlessDeferred();
  return true;
}

bool Ring::Remove(std::string_view name) {
  const std::optional<uint32_t> index = Find(name);
  if (!index) return false;
  if (options_.algorithm == Algorithm::kJump) jump().RemoveNode(*index);
  nodes_.erase(nodes_.begin() + *index);
  RebuildUnlessDeferred();
  return true;
}

bool Ring::SetWeight(std::string_view name, int64_t weight, std::string* error) {
  const std::optional<uint32_t> index = Find(name);
  std::string problem = index ? CheckWeight(weight) : "no such node";
  if (problem.empty()) {
    problem = CheckCapacity(nodes_.size(), TotalWeight() - nodes_[*index].weight + weight,
                            MaxWeight(*index, static_cast<uint32_t>(weight)));
  }
  if (!problem.empty()) {
    *error = std::move(problem);
    return false;
  }
  Node& node = nodes_[*index];
  const auto new_weight = static_cast<uint32_t>(weight);
  if (new_weight == node.weight) return true;
  if (options_.algorithm == Algorithm::kJump) {
    if (new_weight > node.weight) {
      jump().Append(*index, new_weight - node.weight);
    } else {
      jump().RemoveCopies(*index, node.weight - new_weight);
    }
  }
  node.weight = new_weight;
  RebuildUnlessDeferred();
  return true;
}

void Ring::Rebuild() {
  builds_++;
  switch (options_.algorithm) {
    case Algorithm::kKetama:
      placement_ = KetamaContinuum::Build(
          nodes_, options_.vnodes ? options_.vnodes : kKetamaPointsPerServer);
      break;
    case Algorithm::kJump:
      if (!std::holds_alternative<JumpBuckets>(placement_)) placement_ = JumpBuckets{};
      break;
    case Algorithm::kRendezvous:
      placement_ = RendezvousTable::Build(nodes_);
      break;
    case Algorithm::kMaglev:
      placement_ = MaglevTable::Build(nodes_, options_.maglev_table_size);
      break;
  }
}

void Ring::LocateInto(std::string_view key, size_t count, std::vector<uint32_t>* out) const {
  DistinctPick pick(count, nodes_.size(), out);
  if (pick.full()) return;  // empty ring or count 0
  std::visit([&](const auto& placement) { placement.Locate(key, pick); }, placement_);
  pick.FillMissing();
}

std::vector<std::string_view> Ring::Locate(std::string_view key, size_t count) const {
  std::vector<uint32_t> indices;
  LocateInto(key, count, &indices);
  std::vector<std::string_view> names;
  names.reserve(indices.size());
  for (uint32_t index : indices) names.push_back(nodes_[index].name);
  return names;
}

std::vector<double> Ring::Shares() const {
  return std::visit([](const auto& placement) { return placement.Shares(); }, placement_);
}

std::span<const KetamaPoint> Ring::ketama_points() const {
  if (const auto* continuum = std::get_if<KetamaContinuum>(&placement_)) return continuum->points();
  return {};
}

}  // namespace pylon::ring
