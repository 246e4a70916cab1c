// The hash table behind the keyspace: chained buckets threaded through the entries themselves
// (no separate node allocation), power-of-two sizes, and incremental resizing as Redis's dict
// does it: while growing or shrinking there are two tables, and every lookup moves a bucket or
// so from the old one to the new one, the cron moves more, so no single command pays for a
// whole rehash. Scanning uses Redis's reverse-binary cursor, which returns every entry present
// for a whole scan even across resizes (possibly more than once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/scan_cursor.h"
#include "daemon/entry.h"

namespace pylon::daemon {

class KeyTable {
 public:
  explicit KeyTable(uint64_t seed);
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  uint64_t Hash(std::string_view key) const;

  // Where an entry sits: the link (a bucket head or an entry's next field) that points at it,
  // and which of the two tables holds it. Valid until the table next changes or rehashes.
  struct Slot {
    Entry** link = nullptr;
    int table = 0;
    explicit operator bool() const { return link != nullptr; }
  };

  // The key's slot; an empty Slot if absent.
  Slot Find(std::string_view key, uint64_t hash) const;
  // Adds an entry whose key is absent and returns its slot. May start a resize (which moves
  // nothing yet).
  Slot Insert(Entry* entry, uint64_t hash);
  // Asked before the table grows at load factor 1, with the bytes the new bucket array takes:
  // false defers the growth until the load reaches kForcedGrowthLoad. As Redis does over
  // maxmemory: doubling the array there would evict a burst of keys to pay for it.
  void set_growth_check(std::function<bool(size_t bytes)> check) {
    growth_check_ = std::move(check);
  }
  // Removes the entry at `slot` and returns it.
  Entry* Unlink(Slot slot);
  // Points `slot` at `replacement`, a moved copy of the entry there (same key, same chain
  // link: a realloc keeps next_, a fresh copy must copy it).
  static void Replace(Slot slot, Entry* replacement) { *slot.link = replacement; }

  // Moves up to `buckets` buckets to the new table while resizing (visiting at most ten times
  // as many empty ones). Returns false once no resize is in progress.
  bool RehashStep(int buckets);
  // Starts shrinking when the table is under 10% full (as Redis's cron does).
  void MaybeShrink();

  size_t size() const { return used_[0] + used_[1]; }
  size_t bucket_count() const { return Capacity(0) + Capacity(1); }
  bool rehashing() const { return rehash_index_ >= 0; }

  // One step of a scan: calls fn(Entry*) for the entries under `cursor` and returns the next
  // cursor, 0 when the scan is complete.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const;
  // Every entry, in table order. fn must not change the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const;
  // A random entry (nullptr if empty), chosen as Redis's dictGetRandomKey does (a random
  // non-empty bucket, then a random entry of its chain);
  // `random` returns 64 random bits.
  template <typename Random>
  Entry* RandomEntry(Random&& random) const;

  // Forgets every entry (the caller frees them first) and returns to the initial size.
  void Reset();

 private:
  static constexpr int kInitialExponent = 2;  // 4 buckets
  // Redis's HASHTABLE_MAX_LOAD_FACTOR: past it the table grows whatever the check says.
  static constexpr double kForcedGrowthLoad = 1.618;

  size_t Capacity(int t) const { return buckets_[t] ? size_t{1} << exponent_[t] : 0; }
  size_t Mask(int t) const { return Capacity(t) - 1; }
  void StartResize(size_t min_capacity);
  bool MayGrow() const;
  void FinishRehashIfDone();
  template <typename Fn>
  static void VisitChain(const Entry* head, Fn& fn);

  Entry** buckets_[2] = {nullptr, nullptr};
  int exponent_[2] = {0, 0};
  size_t used_[2] = {0, 0};
  // Next bucket of table 0 to move while resizing; -1 when not resizing.
  int64_t rehash_index_ = -1;
  uint64_t seed_;
  std::function<bool(size_t)> growth_check_;
};

// --- templates -------------------------------------------------------------------------------

template <typename Fn>
void KeyTable::VisitChain(const Entry* head, Fn& fn) {
  while (head) {
    const Entry* next = head->next_;
    fn(const_cast<Entry*>(head));
    head = next;
  }
}

template <typename Fn>
uint64_t KeyTable::Scan(uint64_t v, Fn&& fn) const {
  using common::NextScanCursor;
  if (size() == 0) return 0;
  if (!rehashing()) {
    const uint64_t m0 = Mask(0);
    VisitChain(buckets_[0][v & m0], fn);
    return NextScanCursor(v, m0);
  }
  int small = Capacity(0) <= Capacity(1) ? 0 : 1;
  int large = 1 - small;
  const uint64_t m0 = Mask(small), m1 = Mask(large);
  VisitChain(buckets_[small][v & m0], fn);
  // Then every bucket of the larger table that the smaller one's bucket expands into.
  do {
    VisitChain(buckets_[large][v & m1], fn);
    v = NextScanCursor(v, m1);
  } while (v & (m0 ^ m1));
  return v;
}

template <typename Fn>
void KeyTable::ForEach(Fn&& fn) const {
  for (int t = 0; t < 2; t++) {
    for (size_t i = 0; i < Capacity(t); i++) VisitChain(buckets_[t][i], fn);
  }
}

template <typename Random>
Entry* KeyTable::RandomEntry(Random&& random) const {
  if (size() == 0) return nullptr;
  // A random non-empty bucket (while resizing, only the part of table 0 not yet moved counts),
  // then a random entry of its chain.
  Entry* head = nullptr;
  if (rehashing()) {
    const uint64_t first = static_cast<uint64_t>(rehash_index_);
    const uint64_t span = Capacity(0) + Capacity(1) - first;
    while (!head) {
      uint64_t h = first + random() % span;
      head = h >= Capacity(0) ? buckets_[1][h - Capacity(0)] : buckets_[0][h];
    }
  } else {
    while (!head) head = buckets_[0][random() & Mask(0)];
  }
  size_t length = 0;
  for (Entry* e = head; e; e = e->next_) length++;
  size_t pick = random() % length;
  while (pick--) head = head->next_;
  return head;
}

}  // namespace pylon::daemon
