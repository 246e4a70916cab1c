// The large form of a set: an open-addressing hash set of byte strings, built to cost far less
// per member than Redis's dict (a 24-byte dictEntry, an sds string with its header and malloc
// rounding, and an 8-byte bucket pointer: about 56 bytes for a 16-byte member).
//
//  - Members live back to back in an arena of chunks (up to 64 KiB each) as [varint length]
//    [bytes]: one byte of overhead for a member under 64 bytes, no allocation per member.
//  - The table is one array of 8-byte slots (linear probing, at most 3/4 full): 40 bits say
//    where the member sits in the arena, 24 bits are a tag from its hash, so a probe that meets
//    another member rejects it without touching the arena.
//  - Removal shifts the following members back (no tombstones), so every member lies between its
//    home slot and the next empty one. That keeps probes short, and lets SSCAN visit "home
//    buckets" with Redis's reverse-binary cursor: a member present for a whole scan is returned
//    even if the table grows or shrinks in between, as Redis promises.
//  - A random member is a random slot, retried until it holds one (the table is kept at least
//    1/4 full), so SPOP and SRANDMEMBER are O(1) and uniform.
//  - A removed member's arena bytes are dead until the arena is compacted, which happens when
//    dead bytes outnumber live ones (O(n), amortized over at least as many bytes removed).
//
// Resizes are done at once (O(n)), not incrementally as Redis's dict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/scan_cursor.h"

namespace pylon::set {

class MemberTable {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  bool Contains(std::string_view member) const { return Find(member, Hash(member)) != kNone; }
  // True when the member was not there.
  bool Insert(std::string_view member);
  // True when the member was there.
  bool Remove(std::string_view member);
  // Room for n members without a resize.
  void Reserve(size_t n);

  // fn(std::string_view) for every member, in table order. fn must not change the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const uint64_t slot : slots_) {
      if (slot) fn(MemberAt(slot));
    }
  }

  // A uniformly random member (the table must not be empty); random() gives 64 random bits.
  // Valid until the next change.
  template <typename Random>
  std::string_view RandomMember(Random&& random) const {
    const size_t mask = slots_.size() - 1;
    for (;;) {
      const uint64_t slot = slots_[random() & mask];
      if (slot) return MemberAt(slot);
    }
  }

  // One SSCAN step: fn(member) for the members whose home is the cursor's bucket, and the next
  // cursor (0 when the scan is complete).
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    if (size_ == 0) return 0;
    const size_t mask = slots_.size() - 1;
    const size_t home = cursor & mask;
    for (size_t i = home; slots_[i]; i = (i + 1) & mask) {
      const std::string_view m = MemberAt(slots_[i]);
      if ((Hash(m) & mask) == home) fn(m);
    }
    return common::NextScanCursor(cursor, mask);
  }

  // Heap bytes owned (the slots, the arena and its chunk list), O(1).
  size_t HeapBytes() const;
  // Slots in the table (for tests of growth and shrinking).
  size_t capacity() const { return slots_.size(); }

 private:
  static constexpr size_t kNone = SIZE_MAX;
  static constexpr int kRefBits = 40;
  static constexpr uint64_t kRefMask = (uint64_t{1} << kRefBits) - 1;
  static constexpr size_t kChunkBytes = size_t{1} << 16;
  static constexpr size_t kMinCapacity = 8;
  // A member whose entry is over this gets a chunk of its own, freed with it.
  static constexpr size_t kOwnChunkBytes = kChunkBytes / 4;

  static uint64_t Hash(std::string_view member);
  static uint64_t TagOf(uint64_t hash) { return hash >> kRefBits; }
  // Where a slot's member is in the arena: chunk * kChunkBytes + offset, plus one (0 is empty).
  static uint64_t RefOf(uint64_t slot) { return (slot & kRefMask) - 1; }
  std::string_view MemberAt(uint64_t slot) const;
  // Index of the member's slot, or kNone.
  size_t Find(std::string_view member, uint64_t hash) const;
  // Copies the member into the arena and returns its slot value.
  uint64_t Store(std::string_view member, uint64_t hash);
  // The arena bytes of a removed member become dead (or its own chunk is freed).
  void Release(uint64_t slot);
  size_t EntryBytes(std::string_view member) const;
  // The fewest slots (a power of two) that hold n members at most 3/4 full.
  static size_t FittingCapacity(size_t n);
  void Resize(size_t capacity);
  // Copies the live members into a fresh arena when dead bytes outnumber live ones.
  void MaybeCompact();
  void Compact();

  std::vector<uint64_t> slots_;  // a power of two in size, or empty
  size_t size_ = 0;
  std::vector<std::string> chunks_;  // the arena; the last one grows in place up to kChunkBytes
  bool last_chunk_open_ = false;     // whether the last chunk takes more members
  size_t arena_heap_bytes_ = 0;      // capacity of every chunk
  size_t arena_used_bytes_ = 0;      // entry bytes written to shared chunks, dead ones included
  size_t arena_live_bytes_ = 0;      // entry bytes of the members in shared chunks
};

}  // namespace pylon::set
