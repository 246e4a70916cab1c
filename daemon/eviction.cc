#include "daemon/eviction.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace pylon::daemon::eviction {

// --- slots and lists ------------------------------------------------------------------------

uint32_t Policy::NewSlot(Handle handle) {
  uint32_t slot = free_head_;
  if (slot != kNoSlot) {
    free_head_ = node(slot).next;
  } else {
    slot = slot_count_++;
    if ((slot >> kChunkBits) == chunks_.size()) chunks_.push_back(std::make_unique<Node[]>(kChunk));
  }
  node(slot) = Node{.handle = handle, .seconds = now_seconds_, .list = 1};
  size_++;
  return slot;
}

void Policy::FreeSlot(uint32_t slot) {
  Node& n = node(slot);
  n.list = 0;
  n.next = free_head_;
  free_head_ = slot;
  size_--;
}

void Policy::PushHead(List& list, uint32_t slot) {
  Node& n = node(slot);
  n.prev = kNoSlot;
  n.next = list.head;
  if (list.head != kNoSlot) node(list.head).prev = slot;
  list.head = slot;
  if (list.tail == kNoSlot) list.tail = slot;
  list.count++;
}

void Policy::Unlink(List& list, uint32_t slot) {
  Node& n = node(slot);
  (n.prev != kNoSlot ? node(n.prev).next : list.head) = n.next;
  (n.next != kNoSlot ? node(n.next).prev : list.tail) = n.prev;
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
    const Handle h = node(slot).handle;
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
    node(slot).state = kLfuInitial;
    node(slot).minutes = static_cast<uint16_t>(minutes());
    Link(slot);
    return slot;
  }
  void Access(uint32_t slot) override {
    Node& n = node(slot);
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
      const Handle h = node(slot).handle;
      Remove(slot);
      return h;
    }
    return std::nullopt;
  }
  uint8_t Frequency(uint32_t slot) const override { return Decayed(node(slot)); }

  // Applies idle decay to `budget` keys, round robin over the slots, so that keys nobody
  // touches sink to where eviction finds them.
  void Age(size_t budget) override {
    for (size_t i = 0; i < budget && slot_count_ > 0; i++) {
      age_cursor_ = (age_cursor_ + 1) % slot_count_;
      Node& n = node(age_cursor_);
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
  // Counter c lives in lists_[c].
  void Link(uint32_t slot) {
    Node& n = node(slot);
    PushHead(lists_[n.state], slot);
    nonempty_[n.state / 64] |= uint64_t{1} << (n.state % 64);
  }
  void Unlink(uint32_t slot) {
    Node& n = node(slot);
    List& list = lists_[n.state];
    Policy::Unlink(list, slot);
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
    node(slot).state = 1;
  }
  void Remove(uint32_t slot) override {
    if (hand_ == slot) hand_ = node(slot).prev;
    Unlink(list_, slot);
    FreeSlot(slot);
  }
  std::optional<Handle> Evict() override {
    if (list_.tail == kNoSlot) return std::nullopt;
    uint32_t slot = hand_ != kNoSlot ? hand_ : list_.tail;
    while (node(slot).state) {
      node(slot).state = 0;
      slot = node(slot).prev != kNoSlot ? node(slot).prev : list_.tail;
    }
    const Handle h = node(slot).handle;
    hand_ = node(slot).prev;
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

// The hashes of about the last `limit` keys evicted from the small FIFO. An open-addressed table
// of 4-byte slots, 1.25 per remembered key: a 24-bit fingerprint and the 8-bit generation it was
// added in, a generation being limit / 8 additions. A slot older than 8 generations counts as
// empty and is overwritten; when all probed slots are live the oldest goes. Approximate by
// design (a fingerprint may collide: a new key then starts in the main FIFO), and no per-key
// allocation.
class Ghost {
 public:
  void Add(uint64_t hash, size_t limit) {
    Fit(limit);
    if (++added_in_generation_ >= std::max<size_t>(limit / kGenerations, 1)) {
      generation_++;
      added_in_generation_ = 0;
    }
    const uint32_t fp = Fingerprint(hash);
    const size_t start = Start(hash);
    uint32_t* victim = nullptr;
    for (size_t i = 0; i < kProbe; i++) {
      uint32_t& s = table_[(start + i) % table_.size()];
      if ((s >> 8) == fp || !Live(s)) {
        victim = &s;
        break;
      }
      if (!victim || Age(s) > Age(*victim)) victim = &s;
    }
    *victim = fp << 8 | generation_;
  }
  // True (and forgets it) when the hash was added within about the last `limit` additions.
  bool Take(uint64_t hash) {
    if (table_.empty()) return false;
    const uint32_t fp = Fingerprint(hash);
    const size_t start = Start(hash);
    for (size_t i = 0; i < kProbe; i++) {
      uint32_t& s = table_[(start + i) % table_.size()];
      if ((s >> 8) == fp && Live(s)) {
        s = 0;
        return true;
      }
    }
    return false;
  }
  size_t bytes() const { return table_.capacity() * sizeof(uint32_t); }

 private:
  static constexpr size_t kProbe = 8;
  static constexpr uint32_t kGenerations = 8;
  // 24 bits, never 0 (0 is an empty slot).
  static uint32_t Fingerprint(uint64_t hash) { return static_cast<uint32_t>(hash & 0xFFFFFF) | 1; }
  // Where the hash's probes start: its high bits mapped onto the table by multiply-shift
  // (Lemire's), so the table needs no power-of-two size.
  size_t Start(uint64_t hash) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * table_.size()) >> 64);
  }
  uint32_t Age(uint32_t slot) const { return (generation_ - slot) & 0xFF; }
  bool Live(uint32_t slot) const { return slot != 0 && Age(slot) < kGenerations; }
  // Sized for the limit (1.25 slots per key), resized (forgetting) when the limit has grown by
  // an eighth or halved: that happens while a cache fills, not once its size is steady.
  void Fit(size_t limit) {
    if (!table_.empty() && limit <= sized_for_ + sized_for_ / 8 && limit >= sized_for_ / 2) return;
    sized_for_ = limit;
    table_.assign(limit + limit / 4 + kProbe, 0);
    table_.shrink_to_fit();
  }

  std::vector<uint32_t> table_;
  size_t sized_for_ = 0;
  size_t added_in_generation_ = 0;
  uint8_t generation_ = 0;
};

class S3Fifo final : public Policy {
 public:
  explicit S3Fifo(HashOf hash_of) : hash_of_(std::move(hash_of)) {}
  std::string_view name() const override { return "s3fifo"; }
  uint32_t Insert(Handle handle, uint64_t hash) override {
    const uint32_t slot = NewSlot(handle);
    if (ghost_.Take(hash)) {
      node(slot).list = kMain;
      PushHead(main_, slot);
    } else {
      node(slot).list = kSmall;
      PushHead(small_, slot);
    }
    return slot;
  }
  void Access(uint32_t slot) override {
    Stamp(slot);
    uint8_t& freq = node(slot).state;
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
  size_t overhead_bytes() const override { return Policy::overhead_bytes() + ghost_.bytes(); }

 private:
  static constexpr uint8_t kSmall = 1, kMain = 2;
  List& ListOf(uint32_t slot) { return node(slot).list == kSmall ? small_ : main_; }

  // The small FIFO's oldest: to main if it was hit, else out (remembered in the ghost).
  std::optional<Handle> EvictSmall() {
    const uint32_t slot = small_.tail;
    Unlink(small_, slot);
    if (node(slot).state > 0) {  // its count goes with it (the paper's EVICTS)
      node(slot).list = kMain;
      PushHead(main_, slot);
      return std::nullopt;
    }
    const Handle h = node(slot).handle;
    ghost_.Add(hash_of_(h), std::max<size_t>(main_.count, 16));
    FreeSlot(slot);
    return h;
  }
  // The main FIFO's oldest: back to the head with one less if it was hit, else out.
  std::optional<Handle> EvictMain() {
    const uint32_t slot = main_.tail;
    Unlink(main_, slot);
    if (node(slot).state > 0) {
      node(slot).state--;
      PushHead(main_, slot);
      return std::nullopt;
    }
    const Handle h = node(slot).handle;
    FreeSlot(slot);
    return h;
  }

  HashOf hash_of_;
  List small_, main_;
  Ghost ghost_;
};

}  // namespace

std::unique_ptr<Policy> MakePolicy(std::string_view name, LfuParams lfu, HashOf hash_of) {
  if (name == "lru") return std::make_unique<Lru>();
  if (name == "lfu") return std::make_unique<Lfu>(lfu);
  if (name == "sieve") return std::make_unique<Sieve>();
  if (name == "s3fifo") return std::make_unique<S3Fifo>(std::move(hash_of));
  return nullptr;
}

}  // namespace pylon::daemon::eviction
