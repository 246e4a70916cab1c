// A scalable Bloom filter as RedisBloom builds one (Almeida et al., "Scalable Bloom Filters",
// 2007): a chain of sub-filters. When the newest is full (it holds its capacity of items), a new
// one is added with EXPANSION times the capacity and half the error rate, so the chain's total
// false-positive rate stays under the rate asked for (error/2 + error/4 + ... < error). A
// non-scaling filter is one sub-filter with the whole error rate, and refuses items past its
// capacity.
//
// Each sub-filter has the standard optimal size: bits per item b = -ln(error) / ln(2)^2 (rounded
// up to whole 64-bit words, no power-of-two rounding) and k = ceil(ln(2) x b) hash functions.
// An item is hashed once (XXH3, 128 bits); its k positions in every sub-filter come from the two
// 64-bit halves by double hashing (Kirsch and Mitzenmacher): h1 + i x h2, mapped onto the
// sub-filter's bits by a multiply-shift instead of a division. So a lookup over many sub-filters
// costs one hash and k memory reads per sub-filter.
//
// Pure: no server, no clock. modules/bloom/bloom_value.h makes it a keyspace value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/large_buffer.h"

namespace pylon::bloom {

// An item's hash: computed once, used by every sub-filter.
struct ItemHash {
  uint64_t h1 = 0, h2 = 0;
};
ItemHash HashItem(std::string_view item);

// A sub-filter's bit array as 64-bit words, in memory that is created, prefaulted and released
// off the loop (common/large_buffer.h): a filter of hundreds of megabytes costs no stall to
// create or delete.
class Words {
 public:
  explicit Words(uint64_t count) : buffer_(count * sizeof(uint64_t)) {}
  uint64_t* data() const { return reinterpret_cast<uint64_t*>(buffer_.data()); }
  uint64_t size() const { return buffer_.size() / sizeof(uint64_t); }
  uint64_t& operator[](uint64_t i) const { return data()[i]; }

 private:
  common::LargeBuffer buffer_;
};

class SubFilter {
 public:
  SubFilter(uint64_t capacity, double error);
  // For a dump being read back: every field as written; false when they do not agree.
  static std::optional<SubFilter> FromParts(uint64_t capacity, double error, uint32_t hashes,
                                            uint64_t bits, uint64_t items);

  bool Contains(ItemHash h) const;
  // Sets the item's bits; true when at least one was clear (the item was new to this filter).
  bool Insert(ItemHash h);

  uint64_t capacity() const { return capacity_; }
  double error() const { return error_; }
  uint32_t hashes() const { return hashes_; }
  uint64_t bits() const { return bits_; }
  uint64_t items() const { return items_; }
  void set_items(uint64_t items) { items_ = items; }
  bool full() const { return items_ >= capacity_; }
  size_t bytes() const { return words_.size() * sizeof(uint64_t); }
  // Whether no bit was ever set (nothing inserted, nothing loaded): a dump need not carry the
  // bits, and a reader need not read them.
  bool clear() const { return clear_; }
  // The bit array as bytes (little-endian words), for dumps.
  std::string_view data() const { return {reinterpret_cast<const char*>(words_.data()), bytes()}; }
  char* mutable_data() {
    clear_ = false;
    return reinterpret_cast<char*>(words_.data());
  }

 private:
  SubFilter() = default;
  uint64_t Position(ItemHash h, uint32_t i) const {
    const uint64_t x = h.h1 + i * h.h2;
    return static_cast<uint64_t>((static_cast<unsigned __int128>(x) * bits_) >> 64);
  }

  uint64_t capacity_ = 0;
  double error_ = 0;
  uint32_t hashes_ = 0;
  uint64_t bits_ = 0;
  uint64_t items_ = 0;  // items this filter took (new to the whole chain when added)
  bool clear_ = true;
  Words words_{0};
};

// Bits per item and hash functions for an error rate (the formulas above).
double BitsPerItem(double error);
uint32_t HashesFor(double error);

class BloomFilter {
 public:
  // RedisBloom's defaults when BF.ADD or BF.INSERT creates a filter.
  static constexpr double kDefaultError = 0.01;
  static constexpr uint64_t kDefaultCapacity = 100;
  static constexpr uint32_t kDefaultExpansion = 2;
  // Limits that keep one request from taking the server down: the bytes a chain's bit arrays
  // may take at the most (2 GiB: about 1.8 billion items at 1 %; a dump must fit the log's
  // 32-bit record lengths; the server's bf-max-memory is the limit in force, 128 MB by
  // default), and how many sub-filters it may grow (each halves the error rate: past 64 the
  // rate is below 2^-64 of the one asked for).
  static constexpr uint64_t kMaxBytes = uint64_t{1} << 31;
  static constexpr size_t kMaxSubFilters = 64;

  struct Options {
    double error = kDefaultError;
    uint64_t capacity = kDefaultCapacity;
    uint32_t expansion = kDefaultExpansion;
    bool scaling = true;
  };
  // Checks options (0 < error < 1, capacity >= 1, expansion >= 1, the first sub-filter within
  // kMaxBytes); an error message without the "ERR " prefix, or nullopt when valid.
  static std::optional<std::string> Invalid(const Options& options);
  explicit BloomFilter(const Options& options);

  enum class AddResult { kAdded, kExists, kFull };
  // kExists when a sub-filter may hold it already; kFull when the newest is full and the chain
  // may not grow (non-scaling, or kMaxSubFilters reached, or past kMaxBytes).
  AddResult Add(ItemHash h);
  bool Contains(ItemHash h) const;

  const Options& options() const { return options_; }
  const std::vector<SubFilter>& filters() const { return filters_; }
  uint64_t items() const { return items_; }
  // Items the chain holds before it must grow: the sum of its sub-filters' capacities.
  uint64_t capacity() const;
  // The bytes an Add of a new item would allocate now: the next sub-filter's when the newest is
  // full and the chain may grow, else 0. Lets the caller hold it against its memory limits
  // before anything is allocated.
  uint64_t GrowthBytes() const;
  // The bytes a filter with these options takes when created (its first sub-filter's bits).
  static uint64_t InitialBytes(const Options& options);
  // Bytes held: the bit arrays and the bookkeeping (what BF.INFO SIZE and MEMORY USAGE say).
  size_t bytes() const;

  // SCANDUMP / LOADCHUNK, and the keyspace's dumps. The header holds the options and every
  // sub-filter's parameters; the bits follow as chunks of at most kMaxChunk bytes, each with
  // the iterator that names it: 1 + the offset just past its last byte in the concatenated
  // bit arrays (as RedisBloom's iterators work). A dump is the header then every chunk.
  static constexpr size_t kMaxChunk = 16 * 1024 * 1024;
  std::string EncodeHeader() const { return EncodeHeader(kChunkedVersion); }
  // The chunk after iterator `iter` (1 for the first), and its own iterator; an empty chunk
  // and iterator 0 past the end.
  std::string_view Chunk(int64_t iter, int64_t* next) const;
  // A filter from a header, its bits all clear; nullopt (with a reason) when the header is bad.
  static std::optional<BloomFilter> FromHeader(std::string_view header, std::string* error);
  // Writes a chunk that Chunk returned with iterator `iter`; false when it does not fit.
  bool LoadChunk(int64_t iter, std::string_view data);
  // The whole filter as one string (header and bits), and back. A sub-filter that never had a
  // bit set is dumped without its bits: a filter just reserved is logged by its parameters,
  // a few dozen bytes whatever its size.
  void Dump(std::string* out) const;
  static std::optional<BloomFilter> Restore(std::string_view dump);

 private:
  // A header's version says how the bits follow it: chunk by chunk, every bit (SCANDUMP's, and
  // dumps written before sparse dumps), or each sub-filter's bits behind a flag that says
  // whether it has any (Dump's).
  static constexpr uint8_t kChunkedVersion = 1;
  static constexpr uint8_t kSparseVersion = 2;
  std::string EncodeHeader(uint8_t version) const;

  BloomFilter() = default;
  // Where the concatenated bit arrays' byte `offset` lives: sub-filter index and offset in it.
  bool Locate(uint64_t offset, size_t* filter, uint64_t* within) const;
  uint64_t total_bytes() const;

  Options options_;
  std::vector<SubFilter> filters_;
  uint64_t items_ = 0;
};

}  // namespace pylon::bloom
