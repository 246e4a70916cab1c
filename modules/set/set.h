// A Redis set, as Redis 7.0 keeps one: an intset (intset.h) while every member is an integer
// (by Redis's string2ll: "-0", "+1", " 1" and "01" are not) and there are at most
// set-max-intset-entries of them; a hash table (common/arena_table.h, shared with hashes)
// otherwise. Like Redis 7.0 a set never converts back (7.0 has no listpack sets: those came
// in 7.2).
//
// Pure: no keyspace, no protocol; the limit and the randomness come from the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/arena_table.h"
#include "modules/set/intset.h"
#include "protocol/text.h"

namespace pylon::set {

// Redis's set-max-intset-entries.
struct Limits {
  size_t max_intset_entries = 512;
};

// The large form: members in an arena, slots of 8 bytes.
using MemberTable = common::ArenaSet;

// Room for a member formatted from an intset (an int64 in decimal).
struct IntText {
  char buf[24];
};

class Set {
 public:
  bool Add(std::string_view member, const Limits& limits);
  bool Remove(std::string_view member);
  bool Contains(std::string_view member) const;
  size_t Size() const { return intset_ ? ints_.size() : table_.size(); }
  bool empty() const { return Size() == 0; }

  // fn(std::string_view) for every member: ascending for an intset (as Redis), in table order
  // otherwise. fn must not change the set.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (intset_) {
      IntText text;
      ints_.ForEach([&](int64_t v) { fn(Format(v, &text)); });
    } else {
      table_.ForEach(fn);
    }
  }

  // A uniformly random member (the set must not be empty): the view points into *text for an
  // intset, into the set otherwise (valid until the next change).
  template <typename Random>
  std::string_view RandomMember(Random&& random, IntText* text) const {
    if (intset_) return Format(ints_.At(random() % ints_.size()), text);
    return table_.RandomMember(random);
  }

  // One SSCAN step, as Redis: an intset answers every member at once and cursor 0; a table
  // visits buckets from the cursor until `count` members are found or 10 x count buckets were
  // visited. Returns the next cursor.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, uint64_t count, Fn&& fn) const {
    if (intset_) {
      ForEach(fn);
      return 0;
    }
    return table_.ScanBatch(cursor, count, fn);
  }

  // Bytes this set owns (itself included), O(1): MEMORY USAGE and the keyspace's accounting.
  size_t Bytes() const { return sizeof(*this) + ints_.HeapBytes() + table_.HeapBytes(); }
  // What OBJECT ENCODING answers.
  std::string_view Encoding() const { return intset_ ? "intset" : "hashtable"; }
  bool is_intset() const { return intset_; }

  // Appends a compact binary form; Deserialize reads it back, nullopt for anything corrupt
  // (truncated, a count the bytes cannot hold, a member twice, an intset out of order, trailing
  // bytes). The encoding is kept as dumped.
  void Serialize(std::string* out) const;
  static std::optional<Set> Deserialize(std::string_view in);

 private:
  static std::string_view Format(int64_t v, IntText* text) {
    return {text->buf, protocol::FormatInt64(v, text->buf)};
  }
  void ConvertToTable(size_t extra);

  bool intset_ = true;
  IntSet ints_;
  MemberTable table_;
};

}  // namespace pylon::set
