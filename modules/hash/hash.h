// A Redis hash (field -> value), as Redis 7.0 keeps one: small hashes in one contiguous buffer of
// length-prefixed field/value pairs (Redis's listpack: a linear scan over a few cache lines beats
// hashing for a handful of fields, and costs two bytes of overhead per pair instead of a node),
// converted to a hash table once a field count or a field/value length passes its limit. Like
// Redis, a hash never converts back: a hash that once grew large tends to grow again, and
// converting back and forth at a boundary would cost O(n) per operation.
//
// Pure: no keyspace, no protocol; the limits come from the caller (the server's config).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

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
  size_t Size() const { return large_ ? map_.size() : count_; }
  bool empty() const { return Size() == 0; }
  // The value's length, 0 when the field is absent (HSTRLEN).
  size_t StrLen(std::string_view field) const;

  // fn(field, value) for every field: in insertion order in the compact form, in the table's
  // order in the large one (as Redis, whose order is its dict's).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (large_) {
      for (const auto& [f, v] : map_) fn(std::string_view(f), std::string_view(v));
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
  // The large form walks the table's buckets, about `count` fields a step; the cursor carries a
  // tag of the table's size, and a cursor from before the table grew starts over (fields may
  // then come twice, which SCAN allows; none present throughout is missed).
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    if (!large_) {
      ForEach(fn);
      return 0;
    }
    const size_t buckets = map_.bucket_count();
    size_t bucket = cursor >> kScanTagBits;
    if ((cursor & kScanTagMask) != ScanTag() || bucket >= buckets) bucket = 0;
    size_t seen = 0;
    for (; bucket < buckets && seen < count; bucket++) {
      for (auto it = map_.begin(bucket); it != map_.end(bucket); ++it) {
        fn(std::string_view(it->first), std::string_view(it->second));
        seen++;
      }
    }
    return bucket >= buckets ? 0 : (uint64_t{bucket} << kScanTagBits) | ScanTag();
  }

  // A field chosen at random, as HRANDFIELD draws one; the hash must not be empty. `random()`
  // gives uniform 64-bit numbers. The large form picks a non-empty bucket, then a field in it,
  // as Redis's dictGetRandomKey (O(1) on average); the compact form counts to a random pair.
  template <typename Random>
  std::pair<std::string_view, std::string_view> RandomField(Random&& random) const {
    if (large_) {
      const size_t buckets = map_.bucket_count();
      size_t bucket;
      do {
        bucket = random() % buckets;
      } while (map_.bucket_size(bucket) == 0);
      auto it = map_.begin(bucket);
      for (size_t skip = random() % map_.bucket_size(bucket); skip > 0; skip--) ++it;
      return {it->first, it->second};
    }
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
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, std::string, TextHash, std::equal_to<>>;

  static constexpr int kScanTagBits = 8;
  static constexpr uint64_t kScanTagMask = (uint64_t{1} << kScanTagBits) - 1;
  // Never 0, so that cursor 0 always means "from the start".
  uint64_t ScanTag() const { return map_.bucket_count() % kScanTagMask + 1; }

  // A length prefix in the compact buffer: 7 bits a byte, so lengths up to 127 take one byte.
  static void PutText(std::string* out, std::string_view s);
  static std::string_view ReadText(const char** p);
  // Offset of the field's entry in buf_, or npos.
  size_t FindCompact(std::string_view field) const;
  void ConvertToLarge();
  // Heap bytes a std::string owns beyond its own object (0 while it fits inline).
  static size_t HeapBytes(const std::string& s);

  bool large_ = false;
  size_t count_ = 0;       // compact form: pairs in buf_
  std::string buf_;        // compact form: [len][field][len][value]...
  Map map_;                // large form
  size_t heap_bytes_ = 0;  // large form: HeapBytes of every field and value in map_
};

}  // namespace pylon::hash
