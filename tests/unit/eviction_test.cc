// The eviction policies on hand-made sequences (each one's order, as its paper or Redis defines
// it), and on random operations: every item is in exactly one place, evicted at most once, and
// never after its owner removed it.
#include "daemon/eviction.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace pylon::daemon::eviction {
namespace {

// Items named by small numbers; hashes are the numbers mixed.
struct Cache {
  explicit Cache(std::string_view policy, LfuParams lfu = {})
      : p(MakePolicy(policy, lfu, [](Handle h) { return Hash(h); })) {
    REQUIRE(p);
  }
  void Add(Handle item) { slots[item] = p->Insert(item, Hash(item)); }
  void Hit(Handle item) { p->Access(slots.at(item)); }
  void Drop(Handle item) {
    p->Remove(slots.at(item));
    slots.erase(item);
  }
  Handle Victim() {
    auto h = p->Evict();
    REQUIRE(h);
    slots.erase(*h);
    return *h;
  }
  std::vector<Handle> EvictAll() {
    std::vector<Handle> out;
    while (p->size() > 0) out.push_back(Victim());
    CHECK(!p->Evict());
    return out;
  }
  static uint64_t Hash(Handle h) { return (h + 1) * 0x9E3779B97F4A7C15ULL; }

  std::unique_ptr<Policy> p;
  std::map<Handle, uint32_t> slots;
};

TEST_CASE("eviction lru: the least recently used first", "[eviction]") {
  Cache c("lru");
  for (Handle h : {1, 2, 3, 4}) c.Add(h);
  c.Hit(1);
  c.Hit(3);
  c.Drop(4);
  CHECK(c.EvictAll() == std::vector<Handle>{2, 1, 3});
}

TEST_CASE("eviction lfu: the lowest counter first, least recently used among equals; idle decay",
          "[eviction]") {
  // log factor 0: every hit counts (the probability is 1), so the order is exact.
  Cache c("lfu", {.log_factor = 0, .decay_minutes = 1});
  for (Handle h : {1, 2, 3, 4}) c.Add(h);
  for (int i = 0; i < 3; i++) c.Hit(1);  // counter 8
  c.Hit(2);                              // 6
  c.Hit(3);                              // 6, more recent than 2
  CHECK(c.p->Frequency(c.slots[1]) == 8);
  CHECK(c.p->Frequency(c.slots[4]) == 5);  // new keys start at 5, as Redis
  CHECK(c.Victim() == 4);
  CHECK(c.Victim() == 2);
  // Five idle minutes take five off every counter: 1 falls to 3, and 3 (6 -> 1) climbs back to
  // 4 with three hits. Only ageing moves 1 to its new list, where eviction finds it first.
  c.p->SetNow(5 * 60);
  CHECK(c.p->Frequency(c.slots[1]) == 3);
  for (int i = 0; i < 3; i++) c.Hit(3);
  CHECK(c.p->Frequency(c.slots[3]) == 4);
  c.p->Age(100);
  CHECK(c.Victim() == 1);
  CHECK(c.Victim() == 3);
  // Redis's log factor 10: 100,000 hits make a counter of about 142 (Redis's documented table;
  // the counter is a random walk: one run lands within about 20 of it).
  Cache r("lfu", {.log_factor = 10, .decay_minutes = 1});
  r.Add(7);
  for (int i = 0; i < 100000; i++) r.Hit(7);
  const int f = r.p->Frequency(r.slots[7]);
  CHECK(f > 120);
  CHECK(f < 175);
}

TEST_CASE("eviction sieve: the hand skips visited keys, clearing them, oldest to newest",
          "[eviction]") {
  Cache c("sieve");
  for (Handle h : {1, 2, 3, 4, 5}) c.Add(h);  // oldest 1 ... newest 5
  c.Hit(1);
  c.Hit(3);
  CHECK(c.Victim() == 2);  // 1 visited: cleared, kept
  c.Add(6);                // new keys enter at the newest end; the hand stays at 3
  CHECK(c.Victim() == 4);  // 3 visited: cleared
  c.Hit(5);
  CHECK(c.Victim() == 6);  // 5 visited; 6 is next towards the newest
  CHECK(c.Victim() == 1);  // the hand wrapped to the oldest: 1 was cleared on the first pass
  c.Drop(3);
  CHECK(c.EvictAll() == std::vector<Handle>{5});
}

TEST_CASE("eviction s3fifo: new keys pass through the small FIFO; hit ones stay, ghosts return",
          "[eviction]") {
  Cache c("s3fifo");
  // Ten keys: all enter the small FIFO (main is empty, so small is evicted from first).
  for (Handle h = 1; h <= 10; h++) c.Add(h);
  c.Hit(2);
  CHECK(c.Victim() == 1);  // never hit: out, into the ghost
  CHECK(c.Victim() == 3);  // 2 was hit: moved to main instead
  // 1 comes back: the ghost sends it to main directly.
  c.Add(1);
  // Small now holds 4..10 (7 keys), main holds 2 and 1: small is over a tenth: evicted from.
  for (Handle h = 4; h <= 10; h++) CHECK(c.Victim() == h);
  // Only main is left: a CLOCK. 2 carried its one hit over; 1 gets one: each goes round once.
  c.Hit(1);
  CHECK(c.Victim() == 2);
  CHECK(c.Victim() == 1);
}

TEST_CASE(
    "eviction: a scan of one-hit keys does not flush the hot set (s3fifo, sieve) as it "
    "does LRU's",
    "[eviction]") {
  for (const char* name : {"s3fifo", "sieve", "lru"}) {
    Cache c(name);
    constexpr Handle kHot = 90;  // S3-FIFO's main FIFO holds 90% of the cache
    for (Handle h = 0; h < kHot; h++) c.Add(h);
    for (int round = 0; round < 3; round++) {
      for (Handle h = 0; h < kHot; h++) c.Hit(h);
    }
    // A scan of 1000 new keys through a cache of 110 items.
    size_t hot_evicted = 0;
    for (Handle h = 1000; h < 2000; h++) {
      c.Add(h);
      if (c.p->size() > 110 && c.Victim() < kHot) hot_evicted++;
    }
    INFO(name << ": hot keys evicted by the scan: " << hot_evicted);
    if (std::string_view(name) == "lru") {
      CHECK(hot_evicted == kHot);
    } else {
      CHECK(hot_evicted == 0);
    }
  }
}

TEST_CASE("eviction: a policy grows by chunks, and costs 24 bytes a key (S3-FIFO: about 5 more)",
          "[eviction]") {
  for (const char* name : {"lru", "lfu", "sieve", "s3fifo"}) {
    INFO(name);
    Cache c(name);
    constexpr Handle kKeys = 100000;
    size_t before = c.p->overhead_bytes();
    for (Handle h = 0; h < kKeys; h++) {
      c.Add(h);
      if (h % 2) c.Hit(h);
      // Never a doubling: at most one chunk of 4096 slots at a time.
      REQUIRE(c.p->overhead_bytes() - before <= 4096 * 24 + 1024);
      before = c.p->overhead_bytes();
    }
    // Churn at a steady size: each new key evicts one (S3-FIFO's ghost fills up).
    for (Handle h = kKeys; h < 4 * kKeys; h++) {
      c.Add(h);
      if (h % 3 == 0) c.Hit(h);
      c.Victim();
    }
    const double per_key = static_cast<double>(c.p->overhead_bytes()) / kKeys;
    CHECK(per_key >= 24.0);
    CHECK(per_key <= (std::string_view(name) == "s3fifo" ? 24.0 + 6.0 : 25.0));
  }
}

TEST_CASE("eviction: random operations keep every item in one place, evicted once", "[eviction]") {
  for (const char* name : {"lru", "lfu", "sieve", "s3fifo"}) {
    INFO(name);
    Cache c(name, {.log_factor = 10, .decay_minutes = 1});
    std::mt19937_64 rng(42);
    std::set<Handle> live, gone;
    Handle next = 0;
    for (int step = 0; step < 50000; step++) {
      const int op = static_cast<int>(rng() % 10);
      if (op < 4 || live.empty()) {
        const Handle h = next++;
        c.Add(h);
        live.insert(h);
      } else if (op < 7) {
        auto it = live.begin();
        std::advance(it, static_cast<long>(rng() % std::min<size_t>(live.size(), 50)));
        c.Hit(*it);
      } else if (op < 8) {
        const Handle h = *live.begin();
        c.Drop(h);
        live.erase(h);
        gone.insert(h);
      } else {
        const Handle h = c.Victim();
        REQUIRE(live.count(h) == 1);  // live, and never evicted twice or after a drop
        live.erase(h);
        gone.insert(h);
      }
      if (step % 1000 == 0) c.p->SetNow(static_cast<uint32_t>(step / 1000 * 60));
      if (step % 100 == 0) c.p->Age(64);
      REQUIRE(c.p->size() == live.size());
    }
    const std::vector<Handle> rest = c.EvictAll();
    CHECK(std::set<Handle>(rest.begin(), rest.end()) == live);
    CHECK(rest.size() == live.size());
  }
}

}  // namespace
}  // namespace pylon::daemon::eviction
