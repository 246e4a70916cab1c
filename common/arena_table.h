// The large form of a set (ArenaSet: members) and of a hash (ArenaMap: fields and their values):
// an open-addressing hash table of byte strings, built to cost far less per entry than Redis's
// dict (a 24-byte dictEntry, an sds string per key and per value with their headers and malloc
// rounding, and an 8-byte bucket pointer: about 56 bytes for a 16-byte member, 116 for a 16-byte
// field with a 16-byte value).
//
//  - Entries live back to back in an arena of chunks (up to 64 KiB each) as [varint length][key]
//    and, in a map, [varint length][value] after it: one byte of overhead per string under 128
//    bytes, no allocation per entry.
//  - The table is one array of 8-byte slots (linear probing, at most 3/4 full): 40 bits say
//    where the entry sits in the arena, 24 bits are a tag from its key's hash, so a probe that
//    meets another entry rejects it without touching the arena.
//  - Removal shifts the following entries back (no tombstones), so every entry lies between its
//    home slot and the next empty one. That keeps probes short, and lets SCAN visit "home
//    buckets" with Redis's reverse-binary cursor (common/scan_cursor.h): an entry present for a
//    whole scan is returned even if the table grows or shrinks in between, as Redis promises.
//  - A random entry is a random slot, retried until it holds one (the table is kept at least
//    1/4 full), so SPOP, SRANDMEMBER and HRANDFIELD are O(1) and uniform.
//  - A removed entry's arena bytes are dead until the arena is compacted, which happens when
//    dead bytes outnumber live ones (O(n), amortized over at least as many bytes removed). A
//    map's value that changes length is written as a new entry at the arena's end (the old one
//    dies); one of the same length is overwritten in place.
//
// Resizes are done at once (O(n)), not incrementally as Redis's dict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/scan_cursor.h"
#include "common/varint.h"

namespace pylon::common {

template <bool kWithValues>
class ArenaTable {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  bool Contains(std::string_view key) const { return Find(key, Hash(key)) != kNone; }
  // A set's insert: true when the key was not there.
  bool Insert(std::string_view key) requires(!kWithValues);
  // A map's insert or update: true when the key was not there. `value` must not point into the
  // table.
  bool Put(std::string_view key, std::string_view value) requires kWithValues;
  // The key's value, valid until the next change; nullopt when the key is absent.
  std::optional<std::string_view> Get(std::string_view key) const requires kWithValues {
    const size_t i = Find(key, Hash(key));
    if (i == kNone) return std::nullopt;
    return EntryAt(slots_[i]).value;
  }
  // True when the key was there.
  bool Remove(std::string_view key);
  // Room for n entries without a resize.
  void Reserve(size_t n);

  // fn(key) for a set, fn(key, value) for a map, for every entry in table order. fn must not
  // change the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const uint64_t slot : slots_) {
      if (slot) Visit(fn, slot);
    }
  }

  // A uniformly random member (the table must not be empty); random() gives 64 random bits.
  // Valid until the next change.
  template <typename Random>
  std::string_view RandomMember(Random&& random) const requires(!kWithValues) {
    return EntryAt(RandomSlot(random)).key;
  }
  // A uniformly random (key, value), as RandomMember.
  template <typename Random>
  std::pair<std::string_view, std::string_view> RandomEntry(Random&& random) const requires
      kWithValues {
    const Entry e = EntryAt(RandomSlot(random));
    return {e.key, e.value};
  }

  // One SCAN step: fn as ForEach's for the entries whose home is the cursor's bucket, and the
  // next cursor (0 when the scan is complete).
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    if (size_ == 0) return 0;
    const size_t mask = slots_.size() - 1;
    const size_t home = cursor & mask;
    for (size_t i = home; slots_[i]; i = (i + 1) & mask) {
      if ((Hash(KeyAt(slots_[i])) & mask) == home) Visit(fn, slots_[i]);
    }
    return NextScanCursor(cursor, mask);
  }

  // One SSCAN/HSCAN step, as Redis's: buckets from the cursor until `count` entries were found
  // or 10 x count buckets visited. Returns the next cursor (0 when the scan is complete).
  template <typename Fn>
  uint64_t ScanBatch(uint64_t cursor, uint64_t count, Fn&& fn) const {
    uint64_t found = 0;
    uint64_t steps = count > UINT64_MAX / 10 ? UINT64_MAX : count * 10;
    const auto counted = [&](auto... entry) {
      fn(entry...);
      found++;
    };
    do {
      cursor = Scan(cursor, counted);
    } while (cursor != 0 && steps-- > 0 && found < count);
    return cursor;
  }

  // Heap bytes owned (the slots, the arena and its chunk list), O(1).
  size_t HeapBytes() const;
  // Slots in the table (for tests of growth and shrinking).
  size_t capacity() const { return slots_.size(); }

 private:
  struct Entry {
    std::string_view key;
    std::string_view value;  // empty in a set
  };

  static constexpr size_t kNone = SIZE_MAX;
  static constexpr int kRefBits = 40;
  static constexpr uint64_t kRefMask = (uint64_t{1} << kRefBits) - 1;
  static constexpr size_t kChunkBytes = size_t{1} << 16;
  static constexpr size_t kMinCapacity = 8;
  // An entry over this gets a chunk of its own, freed with it.
  static constexpr size_t kOwnChunkBytes = kChunkBytes / 4;

  static uint64_t Hash(std::string_view key);
  static uint64_t TagOf(uint64_t hash) { return hash >> kRefBits; }
  // Where a slot's entry is in the arena: chunk * kChunkBytes + offset, plus one (0 is empty).
  static uint64_t RefOf(uint64_t slot) { return (slot & kRefMask) - 1; }
  static size_t EntryBytes(size_t key_size, size_t value_size);
  const char* At(uint64_t ref) const {
    return chunks_[ref / kChunkBytes].data() + ref % kChunkBytes;
  }
  std::string_view KeyAt(uint64_t slot) const {
    const char* p = At(RefOf(slot));
    const size_t n = VarintRead(&p);
    return {p, n};
  }
  Entry EntryAt(uint64_t slot) const {
    Entry e;
    e.key = KeyAt(slot);
    if constexpr (kWithValues) {
      const char* p = e.key.data() + e.key.size();
      const size_t n = VarintRead(&p);
      e.value = {p, n};
    }
    return e;
  }
  template <typename Fn>
  void Visit(Fn& fn, uint64_t slot) const {
    const Entry e = EntryAt(slot);
    if constexpr (kWithValues) {
      fn(e.key, e.value);
    } else {
      fn(e.key);
    }
  }
  template <typename Random>
  uint64_t RandomSlot(Random& random) const {
    const size_t mask = slots_.size() - 1;
    for (;;) {
      const uint64_t slot = slots_[random() & mask];
      if (slot) return slot;
    }
  }
  // Index of the key's slot, or kNone.
  size_t Find(std::string_view key, uint64_t hash) const;
  // Index of the key's slot, or of the empty slot where it goes (the table has room).
  size_t FindOrEmpty(std::string_view key, uint64_t hash) const;
  // Makes room for one more entry (grows at 3/4 full).
  void GrowForOne();
  // `bytes` of room at the arena's end, returned as a ref. Existing entries keep their refs but
  // the open chunk may move: views into the arena taken before are stale.
  uint64_t Allocate(size_t bytes);
  // Writes an entry at a ref Allocate gave for exactly its bytes.
  void WriteEntry(uint64_t ref, std::string_view key, std::string_view value);
  // Copies the entry into the arena and returns its slot value.
  uint64_t Store(std::string_view key, std::string_view value, uint64_t hash);
  // The arena bytes of a removed entry become dead (or its own chunk is freed).
  void Release(uint64_t slot);
  // The fewest slots (a power of two) that hold n entries at most 3/4 full.
  static size_t FittingCapacity(size_t n);
  void Resize(size_t capacity);
  // Copies the live entries into a fresh arena when dead bytes outnumber live ones.
  void MaybeCompact();
  void Compact();

  std::vector<uint64_t> slots_;  // a power of two in size, or empty
  size_t size_ = 0;
  std::vector<std::string> chunks_;  // the arena; the last one grows in place up to kChunkBytes
  bool last_chunk_open_ = false;     // whether the last chunk takes more entries
  size_t arena_heap_bytes_ = 0;      // capacity of every chunk
  size_t arena_used_bytes_ = 0;      // entry bytes written to shared chunks, dead ones included
  size_t arena_live_bytes_ = 0;      // entry bytes of the entries in shared chunks
};

// A set's members.
using ArenaSet = ArenaTable<false>;
// A hash's fields and values.
using ArenaMap = ArenaTable<true>;

}  // namespace pylon::common
