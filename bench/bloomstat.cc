// pylon-bloomstat: the false-positive rate of pylond's Bloom filters (modules/bloom/
// bloom_filter.h) as measured, for several error rates and capacities, filled to capacity and
// (scaling filters) ten times past it. A markdown table on stdout; bench/bloom.sh includes it.
//
//   pylon-bloomstat [--probes N]     absent items looked up per row, at least [1000000]
//
// A row probes at least 1,000 / error items, so that about 1,000 false positives are expected:
// the measured rate is then within about 3 % (one standard deviation) of the true one.
// Items added are "in:<i>", items probed "out:<i>": never added, so every positive is false.
// Every added item is looked up too: a false negative fails the run (exit 1).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "modules/bloom/bloom_filter.h"

namespace {

using pylon::bloom::BloomFilter;
using pylon::bloom::HashItem;

struct Row {
  double error;
  uint64_t capacity, items;
  bool scaling;
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t probes = 1000000;
  if (argc == 3 && std::string(argv[1]) == "--probes") {
    probes = std::strtoull(argv[2], nullptr, 10);
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: pylon-bloomstat [--probes N]\n");
    return 2;
  }
  const Row rows[] = {
      {0.1, 100000, 100000, false},    {0.01, 100000, 100000, false},
      {0.001, 100000, 100000, false},  {0.0001, 100000, 100000, false},
      {0.01, 1000000, 1000000, false}, {0.01, 100000, 100000, true},
      {0.01, 10000, 100000, true},     {0.001, 10000, 100000, true},
      {0.01, 100000, 1000000, true},
  };
  std::printf(
      "| error | capacity | items added | kind | sub-filters | bits per item | "
      "absent items probed | measured false positives | measured / error |\n");
  std::printf("|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    BloomFilter b({.error = r.error, .capacity = r.capacity, .expansion = 2, .scaling = r.scaling});
    for (uint64_t i = 0; i < r.items; i++) b.Add(HashItem("in:" + std::to_string(i)));
    for (uint64_t i = 0; i < r.items; i++) {
      if (!b.Contains(HashItem("in:" + std::to_string(i)))) {
        std::fprintf(stderr, "pylon-bloomstat: false negative for in:%llu\n",
                     static_cast<unsigned long long>(i));
        return 1;
      }
    }
    const uint64_t row_probes = std::max<uint64_t>(probes, static_cast<uint64_t>(1000 / r.error));
    uint64_t positives = 0;
    for (uint64_t i = 0; i < row_probes; i++)
      positives += b.Contains(HashItem("out:" + std::to_string(i)));
    const double rate = static_cast<double>(positives) / static_cast<double>(row_probes);
    uint64_t bits = 0;
    for (const auto& f : b.filters()) bits += f.bits();
    std::printf("| %g | %llu | %llu | %s | %zu | %.2f | %llu | %.6f | %.3f |\n", r.error,
                static_cast<unsigned long long>(r.capacity),
                static_cast<unsigned long long>(r.items), r.scaling ? "scaling" : "non-scaling",
                b.filters().size(), static_cast<double>(bits) / static_cast<double>(b.items()),
                static_cast<unsigned long long>(row_probes), rate, rate / r.error);
  }
  return 0;
}
