// pylon-cachesim: the eviction policies of daemon/eviction.h at an equal number of keys, on a
// trace from pylon-cachegen --dump. It separates a policy's choices from what the server's
// memory accounting lets it hold: bench/cache.sh measures both together, at equal maxmemory.
//
//   pylon-cachegen --dump --trace zipf:0.8 | pylon-cachesim --capacity K [--warmup W]
//                                            [--policies "lru lfu sieve s3fifo"]
//
// Replay is cache-aside and strictly sequential: a request for a key in the cache is a hit (an
// access); a miss inserts the key, and then evicts while the cache holds more than K keys. The
// first W requests (default: a fifth) are not counted. Prints one line per policy: its name and
// miss ratio.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/eviction.h"

namespace {

using pylon::daemon::eviction::Handle;

uint64_t HashOf(Handle key) {  // splitmix64: the keys are small ids; the policies want hashes
  uint64_t z = key + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Replay(const std::string& name, const std::vector<uint64_t>& trace, size_t capacity,
              size_t warmup) {
  auto policy = pylon::daemon::eviction::MakePolicy(name, {}, HashOf);
  if (!policy) {
    std::fprintf(stderr, "pylon-cachesim: unknown policy %s\n", name.c_str());
    std::exit(2);
  }
  std::unordered_map<uint64_t, uint32_t> slots;  // key -> its slot in the policy
  slots.reserve(capacity * 2);
  uint64_t misses = 0, counted = 0;
  for (size_t i = 0; i < trace.size(); i++) {
    const uint64_t key = trace[i];
    policy->SetNow(static_cast<uint32_t>(i / 100000));  // a second per 100,000 requests
    const auto it = slots.find(key);
    const bool hit = it != slots.end();
    if (hit) {
      policy->Access(it->second);
    } else {
      slots.emplace(key, policy->Insert(key, HashOf(key)));
      while (slots.size() > capacity) slots.erase(*policy->Evict());
    }
    if (i >= warmup) {
      counted++;
      misses += !hit;
    }
    if (i % 1024 == 0) policy->Age(64);
  }
  return counted ? static_cast<double>(misses) / static_cast<double>(counted) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t capacity = 0;
  long long warmup = -1;
  std::string policies = "lru lfu sieve s3fifo";
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "pylon-cachesim: %s needs a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--capacity") {
      capacity = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--warmup") {
      warmup = std::strtoll(v.c_str(), nullptr, 10);
    } else if (a == "--policies") {
      policies = v;
    } else {
      std::fprintf(stderr, "pylon-cachesim: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (capacity == 0) {
    std::fprintf(stderr, "pylon-cachesim: --capacity K (keys, > 0) is required\n");
    return 2;
  }
  std::vector<uint64_t> trace;
  for (uint64_t key; std::cin >> key;) trace.push_back(key);
  const size_t warm = warmup >= 0 ? static_cast<size_t>(warmup) : trace.size() / 5;
  std::istringstream names(policies);
  for (std::string name; names >> name;) {
    std::printf("%s %.4f\n", name.c_str(), Replay(name, trace, capacity, warm));
  }
  return 0;
}
