// pylon-ringstat: how evenly each ring algorithm of modules/ring spreads keys, and how many keys
// move when a node joins or leaves, as markdown tables.
//
//   pylon-ringstat [--nodes N] [--keys K]        (defaults: 10 nodes, 1,000,000 keys)
//
// Nodes are "node-0" .. "node-<N-1>" of weight 1; keys are "key:0" .. "key:<K-1>". Columns:
// max/mean keys per node; their standard deviation as a % of the mean; the % of keys whose owner
// changes when "node-<N>" is added (ideal 1/(N+1)), when the last-added node "node-<N-1>" is
// removed, and when the first node "node-0" is removed (ideal 1/N for both: they differ for jump,
// which can only drop its last bucket cleanly). Then the weighted case: node-0 of weight 2, whose
// fair share is 2/(N+1).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "modules/ring/ring.h"
#include "modules/ring/ring_stats.h"

namespace {

using pylon::ring::Algorithm;
using pylon::ring::Ring;

constexpr Algorithm kAlgorithms[] = {Algorithm::kKetama, Algorithm::kJump, Algorithm::kRendezvous,
                                     Algorithm::kMaglev};

std::string NodeName(size_t i) { return "node-" + std::to_string(i); }

Ring MakeRing(Algorithm algorithm, size_t nodes) {
  std::string error;
  std::optional<Ring> ring = Ring::Create({.algorithm = algorithm}, &error);
  for (size_t i = 0; ring && i < nodes; i++) {
    if (!ring->Add(NodeName(i), 1, &error)) ring.reset();
  }
  if (!ring) {
    std::fprintf(stderr, "pylon-ringstat: %s\n", error.c_str());
    std::exit(1);
  }
  return *ring;
}

double PercentMoved(const Ring& before, const std::vector<uint32_t>& owners, const Ring& after,
                    uint64_t keys) {
  return 100 * MovedFraction(before, owners, after, OwnersOfKeys(after, keys));
}

void PrintBalanceAndMovement(size_t nodes, uint64_t keys) {
  std::printf("## %zu nodes, %llu keys\n\n", nodes, static_cast<unsigned long long>(keys));
  std::printf(
      "| algorithm | max/mean | stddev (%% of mean) | moved on add (ideal %.2f%%) | moved on "
      "remove, last added (ideal %.2f%%) | moved on remove, first (ideal %.2f%%) |\n",
      100.0 / static_cast<double>(nodes + 1), 100.0 / static_cast<double>(nodes),
      100.0 / static_cast<double>(nodes));
  std::printf("|---|---|---|---|---|---|\n");
  for (Algorithm algorithm : kAlgorithms) {
    const Ring ring = MakeRing(algorithm, nodes);
    const std::vector<uint32_t> owners = OwnersOfKeys(ring, keys);
    const pylon::ring::Balance balance = MeasureBalance(ring, owners);

    std::string error;
    Ring grown = ring;
    grown.Add(NodeName(nodes), 1, &error);
    Ring without_last = ring;
    without_last.Remove(NodeName(nodes - 1));
    Ring without_first = ring;
    without_first.Remove(NodeName(0));
    std::printf("| %s | %.4f | %.2f | %.2f%% | %.2f%% | %.2f%% |\n",
                std::string(AlgorithmName(algorithm)).c_str(), balance.max_load,
                100 * balance.stddev_load, PercentMoved(ring, owners, grown, keys),
                PercentMoved(ring, owners, without_last, keys),
                PercentMoved(ring, owners, without_first, keys));
  }
}

void PrintWeighted(size_t nodes, uint64_t keys) {
  std::printf("\n## Weighted: node-0 of weight 2, %zu others of weight 1\n\n", nodes - 1);
  std::printf(
      "| algorithm | node-0's keys (ideal %.2f%%) | max load (keys / fair share) | stddev of "
      "load (%%) |\n",
      200.0 / static_cast<double>(nodes + 1));
  std::printf("|---|---|---|---|\n");
  for (Algorithm algorithm : kAlgorithms) {
    Ring ring = MakeRing(algorithm, nodes);
    std::string error;
    ring.SetWeight(NodeName(0), 2, &error);
    const pylon::ring::Balance balance = MeasureBalance(ring, OwnersOfKeys(ring, keys));
    std::printf("| %s | %.2f%% | %.4f | %.2f |\n", std::string(AlgorithmName(algorithm)).c_str(),
                100.0 * static_cast<double>(balance.keys_per_node[0]) / static_cast<double>(keys),
                balance.max_load, 100 * balance.stddev_load);
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t nodes = 10;
  uint64_t keys = 1'000'000;
  for (int i = 1; i < argc; i++) {
    const std::string option = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "pylon-ringstat: %s needs a value\n", option.c_str());
      return 2;
    }
    const unsigned long long value = std::strtoull(argv[++i], nullptr, 10);
    if (option == "--nodes") {
      nodes = value;
    } else if (option == "--keys") {
      keys = value;
    } else {
      std::fprintf(stderr, "pylon-ringstat: unknown option %s (--nodes N, --keys K)\n",
                   option.c_str());
      return 2;
    }
  }
  if (nodes < 2 || keys == 0) {
    std::fprintf(stderr, "pylon-ringstat: needs --nodes >= 2 and --keys >= 1\n");
    return 2;
  }
  PrintBalanceAndMovement(nodes, keys);
  PrintWeighted(nodes, keys);
  return 0;
}
