#include "modules/bloom/bloom_filter.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "common/wire.h"

namespace pylon::bloom {

namespace wire = common::wire;

namespace {

constexpr double kTightening = 0.5;  // each new sub-filter's error rate, relative to the last
// Dump's flag before each sub-filter's bits.
constexpr uint8_t kBitsFollow = 0;
constexpr uint8_t kAllClear = 1;

uint64_t WordsFor(uint64_t bits) { return (bits + 63) / 64; }

// The bits a sub-filter of this capacity and error rate needs (at least one word).
uint64_t BitsFor(uint64_t capacity, double error) {
  const double bits = std::ceil(static_cast<double>(capacity) * BitsPerItem(error));
  return std::max<uint64_t>(static_cast<uint64_t>(bits), 64);
}

// Whether a sub-filter of this capacity and error rate would take the chain, already at
// `held` bytes, past kMaxBytes.
bool TooBig(uint64_t capacity, double error, uint64_t held = 0) {
  const double bytes = static_cast<double>(capacity) * BitsPerItem(error) / 8;
  return !(bytes + static_cast<double>(held) <= static_cast<double>(BloomFilter::kMaxBytes));
}

}  // namespace

ItemHash HashItem(std::string_view item) {
  const XXH128_hash_t h = XXH3_128bits(item.data(), item.size());
  // h2 odd: the k positions h1 + i x h2 then never repeat one another (mod 2^64).
  return {h.low64, h.high64 | 1};
}

double BitsPerItem(double error) {
  return -std::log(error) / (std::numbers::ln2 * std::numbers::ln2);
}

uint32_t HashesFor(double error) {
  return static_cast<uint32_t>(std::ceil(std::numbers::ln2 * BitsPerItem(error)));
}

// --- SubFilter ----------------------------------------------------------------------------------

SubFilter::SubFilter(uint64_t capacity, double error)
    : capacity_(capacity),
      error_(error),
      hashes_(HashesFor(error)),
      bits_(BitsFor(capacity, error)),
      words_(WordsFor(bits_)) {}

std::optional<SubFilter> SubFilter::FromParts(uint64_t capacity, double error, uint32_t hashes,
                                              uint64_t bits, uint64_t items) {
  if (capacity == 0 || !(error > 0 && error < 1) || TooBig(capacity, error)) return std::nullopt;
  if (hashes != HashesFor(error) || bits != BitsFor(capacity, error) || items > capacity) {
    return std::nullopt;
  }
  SubFilter f(capacity, error);
  f.items_ = items;
  return f;
}

bool SubFilter::Contains(ItemHash h) const {
  for (uint32_t i = 0; i < hashes_; i++) {
    const uint64_t p = Position(h, i);
    if (!(words_[p / 64] >> (p % 64) & 1)) return false;
  }
  return true;
}

bool SubFilter::Insert(ItemHash h) {
  bool fresh = false;
  for (uint32_t i = 0; i < hashes_; i++) {
    const uint64_t p = Position(h, i);
    const uint64_t mask = uint64_t{1} << (p % 64);
    fresh |= !(words_[p / 64] & mask);
    words_[p / 64] |= mask;
  }
  clear_ = false;
  return fresh;
}

// --- BloomFilter --------------------------------------------------------------------------------

std::optional<std::string> BloomFilter::Invalid(const Options& o) {
  if (!(o.error > 0 && o.error < 1)) return "(0 < error rate range < 1)";
  if (o.capacity < 1) return "(capacity should be larger than 0)";
  if (o.expansion < 1) return "expansion should be greater or equal to 1";
  const double first_error = o.scaling ? o.error * kTightening : o.error;
  if (TooBig(o.capacity, first_error)) return "capacity is too large for this error rate";
  return std::nullopt;
}

BloomFilter::BloomFilter(const Options& options) : options_(options) {
  filters_.emplace_back(options.capacity,
                        options.scaling ? options.error * kTightening : options.error);
}

BloomFilter::AddResult BloomFilter::Add(ItemHash h) {
  if (Contains(h)) return AddResult::kExists;
  if (filters_.back().full()) {
    const SubFilter& last = filters_.back();
    const double error = last.error() * kTightening;
    // Saturates instead of overflowing; too big is refused below.
    const uint64_t capacity = last.capacity() > UINT64_MAX / options_.expansion
                                  ? UINT64_MAX
                                  : last.capacity() * options_.expansion;
    if (!options_.scaling || filters_.size() >= kMaxSubFilters ||
        TooBig(capacity, error, total_bytes())) {
      return AddResult::kFull;
    }
    filters_.emplace_back(capacity, error);
  }
  SubFilter& f = filters_.back();
  // Contains said no, so at least one bit of the newest is clear: the item is new.
  f.Insert(h);
  f.set_items(f.items() + 1);
  items_++;
  return AddResult::kAdded;
}

bool BloomFilter::Contains(ItemHash h) const {
  // Newest first: it is the largest, so it holds most of the items.
  for (auto it = filters_.rbegin(); it != filters_.rend(); ++it) {
    if (it->Contains(h)) return true;
  }
  return false;
}

uint64_t BloomFilter::GrowthBytes() const {
  const SubFilter& last = filters_.back();
  if (!options_.scaling || !last.full() || filters_.size() >= kMaxSubFilters) return 0;
  const uint64_t capacity = last.capacity() > UINT64_MAX / options_.expansion
                                ? UINT64_MAX
                                : last.capacity() * options_.expansion;
  const double error = last.error() * kTightening;
  if (TooBig(capacity, error, total_bytes())) return 0;  // Add refuses it: kFull
  return WordsFor(BitsFor(capacity, error)) * sizeof(uint64_t);
}

uint64_t BloomFilter::InitialBytes(const Options& o) {
  const double error = o.scaling ? o.error * kTightening : o.error;
  return WordsFor(BitsFor(o.capacity, error)) * sizeof(uint64_t);
}

uint64_t BloomFilter::capacity() const {
  uint64_t total = 0;
  for (const SubFilter& f : filters_) total += f.capacity();
  return total;
}

size_t BloomFilter::bytes() const {
  return sizeof(*this) + filters_.capacity() * sizeof(SubFilter) + total_bytes();
}

uint64_t BloomFilter::total_bytes() const {
  uint64_t total = 0;
  for (const SubFilter& f : filters_) total += f.bytes();
  return total;
}

// --- dumps --------------------------------------------------------------------------------------

std::string BloomFilter::EncodeHeader(uint8_t version) const {
  std::string out;
  wire::Put(&out, version);
  wire::Put(&out, static_cast<uint8_t>(options_.scaling));
  wire::Put(&out, options_.expansion);
  wire::Put(&out, options_.error);
  wire::Put(&out, options_.capacity);
  wire::Put(&out, static_cast<uint32_t>(filters_.size()));
  for (const SubFilter& f : filters_) {
    wire::Put(&out, f.capacity());
    wire::Put(&out, f.error());
    wire::Put(&out, f.hashes());
    wire::Put(&out, f.bits());
    wire::Put(&out, f.items());
  }
  return out;
}

std::optional<BloomFilter> BloomFilter::FromHeader(std::string_view in, std::string* error) {
  uint8_t version, scaling;
  uint32_t count;
  BloomFilter b;
  if (!wire::Get(&in, &version) || (version != kChunkedVersion && version != kSparseVersion) ||
      !wire::Get(&in, &scaling) || scaling > 1 || !wire::Get(&in, &b.options_.expansion) ||
      !wire::Get(&in, &b.options_.error) || !wire::Get(&in, &b.options_.capacity) ||
      !wire::Get(&in, &count)) {
    *error = "received bad data";
    return std::nullopt;
  }
  b.options_.scaling = scaling == 1;
  if (Invalid(b.options_) || count == 0 || count > kMaxSubFilters ||
      (!b.options_.scaling && count != 1)) {
    *error = "received bad data";
    return std::nullopt;
  }
  for (uint32_t i = 0; i < count; i++) {
    uint64_t capacity, bits, items;
    double sub_error;
    uint32_t hashes;
    if (!wire::Get(&in, &capacity) || !wire::Get(&in, &sub_error) || !wire::Get(&in, &hashes) ||
        !wire::Get(&in, &bits) || !wire::Get(&in, &items)) {
      *error = "received bad data";
      return std::nullopt;
    }
    std::optional<SubFilter> f;
    if (!TooBig(capacity, sub_error, b.total_bytes())) {
      f = SubFilter::FromParts(capacity, sub_error, hashes, bits, items);
    }
    if (!f) {
      *error = "received bad data";
      return std::nullopt;
    }
    b.items_ += items;
    b.filters_.push_back(std::move(*f));
  }
  if (!in.empty()) {
    *error = "received bad data";
    return std::nullopt;
  }
  return b;
}

bool BloomFilter::Locate(uint64_t offset, size_t* filter, uint64_t* within) const {
  for (size_t i = 0; i < filters_.size(); i++) {
    if (offset < filters_[i].bytes()) {
      *filter = i;
      *within = offset;
      return true;
    }
    offset -= filters_[i].bytes();
  }
  return false;
}

std::string_view BloomFilter::Chunk(int64_t iter, int64_t* next) const {
  size_t i;
  uint64_t within;
  if (iter < 1 || !Locate(static_cast<uint64_t>(iter - 1), &i, &within)) {
    *next = 0;
    return {};
  }
  // A chunk stays inside one sub-filter's bit array.
  const std::string_view data = filters_[i].data().substr(within, kMaxChunk);
  *next = iter + static_cast<int64_t>(data.size());
  return data;
}

bool BloomFilter::LoadChunk(int64_t iter, std::string_view data) {
  const int64_t start = iter - 1 - static_cast<int64_t>(data.size());
  size_t i;
  uint64_t within;
  if (data.empty() || start < 0 || !Locate(static_cast<uint64_t>(start), &i, &within) ||
      within + data.size() > filters_[i].bytes()) {
    return false;
  }
  std::memcpy(filters_[i].mutable_data() + within, data.data(), data.size());
  return true;
}

void BloomFilter::Dump(std::string* out) const {
  wire::PutText(out, EncodeHeader(kSparseVersion));
  for (const SubFilter& f : filters_) {
    wire::Put(out, f.clear() ? kAllClear : kBitsFollow);
    if (!f.clear()) out->append(f.data());
  }
}

std::optional<BloomFilter> BloomFilter::Restore(std::string_view in) {
  std::string_view header;
  std::string error;
  if (!wire::GetText(&in, &header) || header.empty()) return std::nullopt;
  const bool sparse = static_cast<uint8_t>(header[0]) == kSparseVersion;
  std::optional<BloomFilter> b = FromHeader(header, &error);
  if (!b) return std::nullopt;
  for (SubFilter& f : b->filters_) {
    uint8_t flag = kBitsFollow;
    if (sparse && (!wire::Get(&in, &flag) || flag > kAllClear)) return std::nullopt;
    if (flag == kAllClear) continue;
    if (in.size() < f.bytes()) return std::nullopt;
    std::memcpy(f.mutable_data(), in.data(), f.bytes());
    in.remove_prefix(f.bytes());
  }
  if (!in.empty()) return std::nullopt;
  return b;
}

}  // namespace pylon::bloom
