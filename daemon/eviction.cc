#include "daemon/eviction.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace pylon::daemon::eviction {

// --- slots and lists ------------------------------------------------------------------------

uint32_t Policy::NewSlot(Handle handle) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  nodes_[slot] = Node{.handle = handle, .seconds = now_seconds_};
  size_++;
  return slot;
}

void Policy::FreeSlot(uint32_t slot) {
  free_slots_.push_back(slot);
  size_--;
}

void Policy::PushHead(List& list, uint32_t slot) {
  Node& n = nodes_[slot];
  n.prev = kNoSlot;
  n.next = list.head;
  if (list.head != kNoSlot) nodes_[list.head].prev = slot;
  list.head = slot;
  if (list.tail == kNoSlot) list.tail = slot;
  list.count++;
}

void Policy::Unlink(List& list, uint32_t slot) {
  Node& n = nodes_[slot];
  (n.prev != kNoSlot ? nodes_[n.prev].next : list.head) = n.next;
  (n.next != kNoSlot ? nodes_[n.next].prev : list.tail) = n.prev;
  n.prev = n.next = kNoSlot;
  list.count--;
}

namespace {

// --- LRU: one list, the least recently used at the tail -------------------------------------

class Lru final : public Policy {
 public:
  std::string_view name() const override { return "lru"; }
  uint32_t Insert(Handle handle, uint64_t) override {
    const uint32_t slot = NewSlot(handle);
    PushHead(list_, slot);
    return slot;
  }
  void Access(uint32_t slot) override {
    Stamp(slot);
    Unlink(list_, slot);
    PushHead(list_, slot);
  }
  void Remove(uint32_t slot) override {
    Unlink(list_, slot);
    FreeSlot(slot);
  }
  std::optional<Handle> Evict() override {
    if (list_.tail == kNoSlot) return std::nullopt;
    const uint32_t slot = list_.tail;
    const Handle h = nodes_[slot].handle;
    Remove(slot);
    return h;
  }

 private:
  List list_;
};

// --- LFU: Redis's 8-bit logarithmic counter, one list per counter value ---------------------
//
// A hit raises the counter with probability 1 / ((counter - 5) * log_factor + 1), and each
// decay_minutes of idleness takes one off (applied when the key is next touched, and by Age for
// keys nobody touches). The victim is the least recently used key of the lowest counter: found
// through a bitmap of the lists that are not empty, O(1).

constexpr uint8_t kLfuInitial = 5;  // as Redis's LFU_INIT_VAL: new keys are not evicted at once

class Lfu final : public Policy {
 public:
  explicit Lfu(LfuParams params) : params_(params) {}
  std::string_view name() const override { return "lfu"; }

  uint32_t Insert(Handle handle, uint64_t) override {
    const uint32_t slot = NewSlot(handle);
    nodes_[slot].state = kLfuInitial;
    nodes_[slot].minutes = static_cast<uint16_t>(minutes());
    Link(slot);
    return slot;
  }
  void Access(uint32_t slot) override {
    Node& n = nodes_[slot];
    Stamp(slot);
    Unlink(slot);
    n.state = Increment(Decayed(n));
    n.minutes = static_cast<uint16_t>(minutes());
    Link(slot);
  }
  void Remove(uint32_t slot) override {
    Unlink(slot);
    FreeSlot(slot);
  }
  std::optional<Handle> Evict() override {
    for (size_t w = 0; w < nonempty_.size(); w++) {
      if (nonempty_[w] == 0) continue;
      const uint32_t counter = static_cast<uint32_t>(w * 64 + __builtin_ctzll(nonempty_[w]));
      const uint32_t slot = lists_[counter].tail;
      const Handle h = nodes_[slot].handle;
      Remove(slot);
      return h;
    }
    return std::nullopt;
  }
  uint8_t Frequency(uint32_t slot) const override { return Decayed(nodes_[slot]); }

  // Applies idle decay to `budget` keys, round robin over the slots, so that keys nobody
  // touches sink to where eviction finds them.
  void Age(size_t budget) override {
    for (size_t i = 0; i < budget && !nodes_.empty(); i++) {
      age_cursor_ = (age_cursor_ + 1) % nodes_.size();
      Node& n = nodes_[age_cursor_];
      if (n.list == 0) continue;  // a free slot
      const uint8_t now = Decayed(n);
      if (now == n.state) continue;
      Unlink(age_cursor_);
      n.state = now;
      n.minutes = static_cast<uint16_t>(minutes());
      Link(static_cast<uint32_t>(age_cursor_));
    }
  }

 private:
  // The counter after the idle minutes since it was last decayed (16-bit minutes wrap, as
  // Redis's LFUTimeElapsed).
  uint8_t Decayed(const Node& n) const {
    if (params_.decay_minutes <= 0) return n.state;
    const uint32_t now = minutes() & 0xFFFF;
    const uint32_t elapsed = now >= n.minutes ? now - n.minutes : 0xFFFF - n.minutes + now;
    const uint32_t periods = elapsed / static_cast<uint32_t>(params_.decay_minutes);
    return periods >= n.state ? 0 : static_cast<uint8_t>(n.state - periods);
  }
  uint8_t Increment(uint8_t counter) {
    if (counter == 255) return counter;
    const double base = counter > kLfuInitial ? counter - kLfuInitial : 0;
    const double p = 1.0 / (base * params_.log_factor + 1);
    return NextRandom() < p ? counter + 1 : counter;
  }
  double NextRandom() {
    // splitmix64: deterministic, so tests and simulations replay; uniform in [0, 1).
    uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }
  // list 0 marks a free slot: counter c lives in list c + 1.
  void Link(uint32_t slot) {
    Node& n = nodes_[slot];
    n.list = 1;
    PushHead(lists_[n.state], slot);
    nonempty_[n.state / 64] |= uint64_t{1} << (n.state % 64);
  }
  void Unlink(uint32_t slot) {
    Node& n = nodes_[slot];
    List& list = lists_[n.state];
    Policy::Unlink(list, slot);
    n.list = 0;
    if (list.count == 0) nonempty_[n.state / 64] &= ~(uint64_t{1} << (n.state % 64));
  }

  LfuParams params_;
  std::array<List, 256> lists_;
  std::array<uint64_t, 4> nonempty_{};
  size_t age_cursor_ = 0;
  uint64_t rng_ = 0;
};

// --- SIEVE: a FIFO with a visited bit and a hand that moves from the oldest to the newest ---
//
// A hit only sets the bit (no list move: cheap and scan-tolerant); eviction moves the hand
// towards the newest, clearing bits, and evicts the first key it finds unvisited.

class Sieve final : public Policy {
 public:
  std::string_view name() const override { return "sieve"; }
  uint32_t Insert(Handle handle, uint64_t) override {
    const uint32_t slot = NewSlot(handle);
    PushHead(list_, slot);
    return slot;
  }
  void Access(uint32_t slot) override {
    Stamp(slot);
    nodes_[slot].state = 1;
  }
  void Remove(uint32_t slot) override {
    if (hand_ == slot) hand_ = nodes_[slot].prev;
    Unlink(list_, slot);
    FreeSlot(slot);
  }
  std::optional<Handle> Evict() override {
    if (list_.tail == kNoSlot) return std::nullopt;
    uint32_t slot = hand_ != kNoSlot ? hand_ : list_.tail;
    while (nodes_[slot].state) {
      nodes_[slot].state = 0;
      slot = nodes_[slot].prev != kNoSlot ? nodes_[slot].prev : list_.tail;
    }
    const Handle h = nodes_[slot].handle;
    hand_ = nodes_[slot].prev;
    Unlink(list_, slot);
    FreeSlot(slot);
    return h;
  }

 private:
  List list_;
  uint32_t hand_ = kNoSlot;  // the next to look at; kNoSlot: start at the oldest
};

// --- S3-FIFO: a small FIFO for new keys, a main FIFO, and a ghost of keys evicted young ------
//
// New keys enter the small FIFO (10% of the keys). Leaving it, a key hit at least once moves to
// the main FIFO; one never hit is evicted and remembered (its hash) in the ghost, so that if it
// comes back it goes straight to the main FIFO. The main FIFO is a CLOCK with a 2-bit counter:
// a key whose counter is above 0 goes back to the head with one less. One-hit wonders and scans
// pass through the small FIFO without disturbing the main one.

// A set of recently evicted hashes, bounded to about `limit` by age: an open-addressed table
// of (fingerprint, insertion number); an entry older than limit insertions counts as absent and
// is overwritten. No per-key allocation.
class Ghost {
 public:
  void Add(uint64_t hash, size_t limit) {
    Resize(limit);
    clock_++;
    Slot* victim = nullptr;
    for (size_t i = 0; i < kProbe; i++) {
      Slot& s = table_[(hash + i) & mask_];
      if (s.fingerprint == Fingerprint(hash) || !Live(s, limit)) {
        victim = &s;
        break;
      }
      if (!victim || s.added < victim->added) victim = &s;
    }
    *victim = {Fingerprint(hash), clock_};
  }
  // True (and forgets it) when the hash was added within the last `limit` additions.
  bool Take(uint64_t hash, size_t limit) {
    if (table_.empty()) return false;
    for (size_t i = 0; i < kProbe; i++) {
      Slot& s = table_[(hash + i) & mask_];
      if (s.fingerprint == Fingerprint(hash) && Live(s, limit)) {
        s = {};
        return true;
      }
    }
    return false;
  }
  size_t bytes() const { return table_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t fingerprint = 0;
    uint32_t added = 0;
  };
  static constexpr size_t kProbe = 8;
  static uint32_t Fingerprint(uint64_t hash) { return static_cast<uint32_t>(hash >> 32) | 1; }
  bool Live(const Slot& s, size_t limit) const {
    return s.fingerprint != 0 && clock_ - s.added < limit;
  }
  // About two slots per remembered key; grows (and forgets) when the limit has doubled.
  void Resize(size_t limit) {
    size_t want = 16;
    while (want < 2 * limit) want *= 2;
    if (want <= table_.size()) return;
    table_.assign(want, Slot{});
    mask_ = want - 1;
  }

  std::vector<Slot> table_;
  size_t mask_ = 0;
  uint32_t clock_ = 0;
};

class S3Fifo final : public Policy {
 public:
  std::string_view name() const override { return "s3fifo"; }
  uint32_t Insert(Handle handle, uint64_t hash) override {
    const uint32_t slot = NewSlot(handle);
    if (ghost_.Take(hash, GhostLimit())) {
      nodes_[slot].list = kMain;
      PushHead(main_, slot);
    } else {
      nodes_[slot].list = kSmall;
      PushHead(small_, slot);
    }
    hashes_.resize(std::max(hashes_.size(), size_t{slot} + 1));
    hashes_[slot] = hash;
    return slot;
  }
  void Access(uint32_t slot) override {
    Stamp(slot);
    uint8_t& freq = nodes_[slot].state;
    if (freq < 3) freq++;
  }
  void Remove(uint32_t slot) override {
    Unlink(ListOf(slot), slot);
    FreeSlot(slot);
  }
  std::optional<Handle> Evict() override {
    while (size_ > 0) {
      // The small FIFO keeps about a tenth of the keys; the main one the rest.
      const bool from_small =
          small_.count > 0 && (main_.count == 0 || small_.count * 10 >= small_.count + main_.count);
      const std::optional<Handle> h = from_small ? EvictSmall() : EvictMain();
      if (h) return h;
    }
    return std::nullopt;
  }
  size_t overhead_bytes() const override {
    return Policy::overhead_bytes() + hashes_.capacity() * sizeof(uint64_t) + ghost_.bytes();
  }

 private:
  static constexpr uint8_t kSmall = 1, kMain = 2;
  List& ListOf(uint32_t slot) { return nodes_[slot].list == kSmall ? small_ : main_; }
  size_t GhostLimit() const { return std::max<size_t>(main_.count, 16); }

  // The small FIFO's oldest: to main if it was hit, else out (remembered in the ghost).
  std::optional<Handle> EvictSmall() {
    const uint32_t slot = small_.tail;
    Unlink(small_, slot);
    if (nodes_[slot].state > 0) {  // its count goes with it (the paper's EVICTS)
      nodes_[slot].list = kMain;
      PushHead(main_, slot);
      return std::nullopt;
    }
    ghost_.Add(hashes_[slot], GhostLimit());
    const Handle h = nodes_[slot].handle;
    FreeSlot(slot);
    return h;
  }
  // The main FIFO's oldest: back to the head with one less if it was hit, else out.
  std::optional<Handle> EvictMain() {
    const uint32_t slot = main_.tail;
    Unlink(main_, slot);
    if (nodes_[slot].state > 0) {
      nodes_[slot].state--;
      PushHead(main_, slot);
      return std::nullopt;
    }
    const Handle h = nodes_[slot].handle;
    FreeSlot(slot);
    return h;
  }

  List small_, main_;
  std::vector<uint64_t> hashes_;  // by slot: for the ghost when a key leaves the small FIFO
  Ghost ghost_;
};

}  // namespace

std::unique_ptr<Policy> MakePolicy(std::string_view name, LfuParams lfu) {
  if (name == "lru") return std::make_unique<Lru>();
  if (name == "lfu") return std::make_unique<Lfu>(lfu);
  if (name == "sieve") return std::make_unique<Sieve>();
  if (name == "s3fifo") return std::make_unique<S3Fifo>();
  return nullptr;
}

}  // namespace pylon::daemon::eviction
