// A Redis hash (field -> value), as Redis 7.0 keeps one: small hashes in one contiguous buffer of
// length-prefixed field/value pairs (Redis's listpack: a linear scan over a few cache lines beats
// hashing for a handful of fields, and costs two bytes of overhead per pair instead of a node),
// converted to a hash table once a field count or a field/value length passes its limit: the
// arena table sets use too (common/arena_table.h: [len][field][len][value] entries in an arena,
// 8-byte slots, about 50 bytes for a 16-byte field and value where Redis's dict takes 116). Like
// Redis, a hash never converts back: a hash that once grew large tends to grow again, and
// converting back and forth at a boundary would cost O(n) per operation.
//
// Pure: no keyspace, no protocol; the limits come from the caller (the server's config).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/arena_table.h"

namespace pylon::hash {

// Redis's hash-max-listpack-entries and hash-max-listpack-value.
struct Limits {
  size_t max_listpack_entries = 512;
  size_t max_listpack_value = 64;
};

// Outcomes of the increments, mapped to Redis's error texts by the commands.
enum class IncrStatus {
  kOk,
  kNotInteger,  // the stored value is not an integer (HINCRBY)
  kOverflow,    // the sum leaves int64 (HINCRBY)
  kNotFloat,    // the stored value is not a float (HINCRBYFLOAT)
  kNanOrInf,    // the sum is NaN or infinite (HINCRBYFLOAT)
};

class Hash {
 public:
  Hash() = default;

  // Sets field to value; true when the field is new. May convert to the large form.
  bool Set(std::string_view field, std::string_view value, const Limits& limits);
  // The value, valid until the next change; nullopt when the field is absent.
  std::optional<std::string_view> Get(std::string_view field) const;
  bool Delete(std::string_view field);
  bool Exists(std::string_view field) const { return Get(field).has_value(); }
  size_t Size() const { return large_ ? table_.size() : count_; }
  bool empty() const { return Size() == 0; }
  // The value's length, 0 when the field is absent (HSTRLEN).
  size_t StrLen(std::string_view field) const;

  // fn(field, value) for every field: in insertion order in the compact form, in the table's
  // order in the large one (as Redis, whose order is its dict's).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (large_) {
      table_.ForEach(fn);
      return;
    }
    const char* p = buf_.data();
    const char* end = p + buf_.size();
    while (p < end) {
      const std::string_view f = ReadText(&p);
      const std::string_view v = ReadText(&p);
      fn(f, v);
    }
  }

  // One HSCAN step: calls fn(field, value) for the fields under `cursor` and returns the next
  // cursor (0: done). The compact form is returned whole in one step, as Redis does a listpack.
  // The large form visits the table's buckets in Redis's reverse-binary order until about
  // `count` fields were found (as Redis's dictScan loop): a field present for the whole scan is
  // returned even if the table grows or shrinks between steps (one may come twice, which SCAN
  // allows).
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    if (!large_) {
      ForEach(fn);
      return 0;
    }
    return table_.ScanBatch(cursor, count, fn);
  }

  // A field chosen at random, as HRANDFIELD draws one; the hash must not be empty. `random()`
  // gives uniform 64-bit numbers. The large form draws a random slot until one holds a field
  // (O(1): the table is kept at least 1/4 full); the compact form counts to a random pair.
  template <typename Random>
  std::pair<std::string_view, std::string_view> RandomField(Random&& random) const {
    if (large_) return table_.RandomEntry(random);
    size_t skip = random() % count_;
    std::pair<std::string_view, std::string_view> out;
    ForEach([&](std::string_view f, std::string_view v) {
      if (skip-- == 0) out = {f, v};
    });
    return out;
  }

  // HINCRBY: adds delta to the field's integer (0 when absent); *result is the sum.
  IncrStatus IncrBy(std::string_view field, int64_t delta, const Limits& limits, int64_t* result);
  // HINCRBYFLOAT: adds delta (finite) to the field's number (0 when absent); *result is the sum
  // as stored (Redis's %.17Lf-style text), valid until the next change.
  IncrStatus IncrByFloat(std::string_view field, long double delta, const Limits& limits,
                         std::string_view* result);

  // Bytes this hash owns (itself included), O(1): MEMORY USAGE and the keyspace's accounting.
  size_t Bytes() const;
  // What OBJECT ENCODING answers: "listpack" or "hashtable".
  std::string_view Encoding() const { return large_ ? "hashtable" : "listpack"; }
  bool large() const { return large_; }

  // Appends a compact binary form; Deserialize reads it back, nullopt for anything corrupt
  // (truncated, a count the bytes cannot hold, a field twice, trailing bytes).
  void Serialize(std::string* out) const;
  static std::optional<Hash> Deserialize(std::string_view in);

 private:
  // A length prefix in the compact buffer: 7 bits a byte, so lengths up to 127 take one byte.
  static void PutText(std::string* out, std::string_view s);
  static std::string_view ReadText(const char** p);
  // Offset of the field's entry in buf_, or npos.
  size_t FindCompact(std::string_view field) const;
  void ConvertToLarge();
  // Heap bytes a std::string owns beyond its own object (0 while it fits inline).
  static size_t HeapBytes(const std::string& s);

  bool large_ = false;
  size_t count_ = 0;        // compact form: pairs in buf_
  std::string buf_;         // compact form: [len][field][len][value]...
  common::ArenaMap table_;  // large form
};

}  // namespace pylon::hash
