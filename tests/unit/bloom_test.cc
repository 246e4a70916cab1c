// The scalable Bloom filter: measured false-positive rates against the requested ones (before
// and after scaling), no false negatives, sizes from the formulas, and dumps (whole, and as
// SCANDUMP chunks) that answer the same.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <string>

#include "common/wire.h"
#include "modules/bloom/bloom_filter.h"

namespace pylon::bloom {
namespace {

std::string Item(const char* prefix, uint64_t i) { return prefix + std::to_string(i); }

// Adds `n` items "in:<i>" and returns the filter; every add must be new or a false positive.
BloomFilter Filled(BloomFilter::Options options, uint64_t n) {
  BloomFilter b(options);
  uint64_t added = 0;
  for (uint64_t i = 0; i < n; i++) {
    const auto r = b.Add(HashItem(Item("in:", i)));
    REQUIRE(r != BloomFilter::AddResult::kFull);
    added += r == BloomFilter::AddResult::kAdded;
  }
  CHECK(b.items() == added);
  return b;
}

// The share of `probes` items never added ("out:<i>") that the filter claims.
double FalsePositiveRate(const BloomFilter& b, uint64_t probes = 1000000) {
  uint64_t positives = 0;
  for (uint64_t i = 0; i < probes; i++) positives += b.Contains(HashItem(Item("out:", i)));
  return static_cast<double>(positives) / static_cast<double>(probes);
}

void CheckNoFalseNegatives(const BloomFilter& b, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) REQUIRE(b.Contains(HashItem(Item("in:", i))));
}

TEST_CASE("bloom: sizes follow the formulas; each sub-filter doubles and halves its error",
          "[bloom]") {
  CHECK(HashesFor(0.01) == 7);  // RedisBloom's documented figures
  CHECK(HashesFor(0.001) == 10);
  CHECK(HashesFor(0.0001) == 14);
  CHECK(BitsPerItem(0.01) == Approx(9.585).epsilon(0.001));
  CHECK(BitsPerItem(0.001) == Approx(14.378).epsilon(0.001));

  // Memory within 5 % of the formula n x -ln(e) / ln(2)^2 bits (here: within a word).
  BloomFilter big({.error = 0.001, .capacity = 10000000, .expansion = 2, .scaling = false});
  const double formula_bytes = 10000000 * BitsPerItem(0.001) / 8;
  CHECK(big.filters()[0].bytes() >= formula_bytes);
  CHECK(big.filters()[0].bytes() <= formula_bytes + 8);
  CHECK(static_cast<double>(big.bytes()) <= formula_bytes * 1.05);

  BloomFilter b = Filled({.error = 0.01, .capacity = 1000, .expansion = 2, .scaling = true}, 7000);
  REQUIRE(b.filters().size() == 3);  // 1000 + 2000 + 4000
  for (size_t i = 0; i < b.filters().size(); i++) {
    const SubFilter& f = b.filters()[i];
    CHECK(f.capacity() == 1000u << i);
    CHECK(f.error() == Approx(0.01 * std::pow(0.5, i + 1)));
    CHECK(f.hashes() == HashesFor(f.error()));
  }
  CHECK(b.capacity() == 7000);
}

TEST_CASE("bloom: false-positive rate within the requested one, at capacity and scaled 10x",
          "[bloom]") {
  // Tolerance: the rate asked for plus 10 % (k is rounded up to a whole number of hashes, which
  // puts a non-scaling filter at capacity up to ~1 % over it), plus four standard deviations
  // of a 1,000,000-probe estimate.
  auto bound = [](double error) { return error * 1.10 + 4 * std::sqrt(error / 1e6); };
  struct Case {
    double error;
    uint64_t capacity, items;
    bool scaling;
  };
  for (const Case c : {Case{0.01, 100000, 100000, false}, Case{0.001, 100000, 100000, false},
                       Case{0.1, 20000, 20000, false}, Case{0.01, 100000, 100000, true},
                       Case{0.01, 10000, 100000, true}, Case{0.001, 10000, 100000, true}}) {
    INFO("error " << c.error << ", capacity " << c.capacity << ", items " << c.items
                  << (c.scaling ? ", scaling" : ", non-scaling"));
    const BloomFilter b = Filled(
        {.error = c.error, .capacity = c.capacity, .expansion = 2, .scaling = c.scaling}, c.items);
    CheckNoFalseNegatives(b, c.items);
    const double rate = FalsePositiveRate(b);
    INFO("measured " << rate);
    CHECK(rate <= bound(c.error));
    // And not absurdly below: the filter is not oversized (a quarter of the rate at least, at
    // capacity of a non-scaling one).
    if (!c.scaling) CHECK(rate >= c.error / 4);
  }
}

TEST_CASE("bloom: a non-scaling filter refuses new items past its capacity", "[bloom]") {
  BloomFilter b({.error = 0.01, .capacity = 50, .expansion = 2, .scaling = false});
  uint64_t i = 0;
  while (b.items() < 50) b.Add(HashItem(Item("in:", i++)));
  BloomFilter::AddResult r = BloomFilter::AddResult::kExists;
  while (r == BloomFilter::AddResult::kExists) r = b.Add(HashItem(Item("in:", i++)));
  CHECK(r == BloomFilter::AddResult::kFull);
  CHECK(b.items() == 50);
  CHECK(b.Add(HashItem("in:0")) == BloomFilter::AddResult::kExists);  // still answers
}

TEST_CASE("bloom: options out of range are refused with RedisBloom's texts", "[bloom]") {
  using O = BloomFilter::Options;
  CHECK(BloomFilter::Invalid(O{.error = 0}) == "(0 < error rate range < 1)");
  CHECK(BloomFilter::Invalid(O{.error = 1}) == "(0 < error rate range < 1)");
  CHECK(BloomFilter::Invalid(O{.capacity = 0}) == "(capacity should be larger than 0)");
  CHECK(BloomFilter::Invalid(O{.expansion = 0}) == "expansion should be greater or equal to 1");
  CHECK(BloomFilter::Invalid(O{.error = 1e-9, .capacity = uint64_t{1} << 40}).has_value());
  CHECK(!BloomFilter::Invalid(O{}).has_value());
}

TEST_CASE("bloom: a dump, whole or in SCANDUMP chunks, restores a filter that answers the same",
          "[bloom]") {
  const BloomFilter b =
      Filled({.error = 0.01, .capacity = 2000, .expansion = 3, .scaling = true}, 30000);
  REQUIRE(b.filters().size() >= 3);

  std::string dump;
  b.Dump(&dump);
  const std::optional<BloomFilter> whole = BloomFilter::Restore(dump);
  REQUIRE(whole);

  std::string error;
  std::optional<BloomFilter> chunked = BloomFilter::FromHeader(b.EncodeHeader(), &error);
  REQUIRE(chunked);
  int chunks = 0;
  for (int64_t iter = 1;;) {
    int64_t next;
    const std::string_view data = b.Chunk(iter, &next);
    if (next == 0) break;
    REQUIRE(chunked->LoadChunk(next, data));
    iter = next;
    chunks++;
  }
  CHECK(chunks == static_cast<int>(b.filters().size()));  // one per sub-filter at this size

  for (const BloomFilter* copy : std::initializer_list<const BloomFilter*>{&*whole, &*chunked}) {
    CHECK(copy->items() == b.items());
    CHECK(copy->capacity() == b.capacity());
    CHECK(copy->filters().size() == b.filters().size());
    for (uint64_t i = 0; i < 30000; i++) REQUIRE(copy->Contains(HashItem(Item("in:", i))));
    for (uint64_t i = 0; i < 20000; i++) {
      const ItemHash h = HashItem(Item("out:", i));
      REQUIRE(copy->Contains(h) == b.Contains(h));
    }
  }
}

TEST_CASE("bloom: corrupt headers, dumps and chunks are refused", "[bloom]") {
  const BloomFilter b =
      Filled({.error = 0.01, .capacity = 100, .expansion = 2, .scaling = true}, 500);
  const std::string header = b.EncodeHeader();
  std::string error;
  CHECK(!BloomFilter::FromHeader("", &error));
  CHECK(error == "received bad data");
  CHECK(!BloomFilter::FromHeader(header.substr(0, header.size() - 1), &error));
  CHECK(!BloomFilter::FromHeader(header + "x", &error));
  std::string wrong_version = header;
  wrong_version[0] = 9;
  CHECK(!BloomFilter::FromHeader(wrong_version, &error));
  // A sub-filter whose sizes do not follow from its capacity and error: flip a byte of the
  // first one's bit count (after version, scaling, expansion, error, capacity, count,
  // capacity, error, hashes).
  std::string bad_bits = header;
  bad_bits[1 + 1 + 4 + 8 + 8 + 4 + 8 + 8 + 4] ^= 1;
  CHECK(!BloomFilter::FromHeader(bad_bits, &error));

  std::string dump;
  b.Dump(&dump);
  CHECK(!BloomFilter::Restore(dump.substr(0, dump.size() - 1)));
  CHECK(!BloomFilter::Restore(dump + "x"));

  std::optional<BloomFilter> target = BloomFilter::FromHeader(header, &error);
  REQUIRE(target);
  int64_t next;
  const std::string_view first = b.Chunk(1, &next);
  CHECK(!target->LoadChunk(next + 1, first));  // would run past its sub-filter
  CHECK(!target->LoadChunk(0, first));
  CHECK(!target->LoadChunk(next, ""));
  CHECK(target->LoadChunk(next, first));
  CHECK(b.Chunk(1 << 30, &next).empty());
  CHECK(next == 0);
}

TEST_CASE("bloom: a filter never written dumps by its parameters, whatever its size", "[bloom]") {
  const BloomFilter::Options options{.error = 0.001, .capacity = 10000000, .scaling = true};
  const BloomFilter reserved(options);
  REQUIRE(reserved.bytes() > (size_t{16} << 20));
  std::string dump;
  reserved.Dump(&dump);
  CHECK(dump.size() < 200);
  std::optional<BloomFilter> back = BloomFilter::Restore(dump);
  REQUIRE(back);
  CHECK(back->bytes() == reserved.bytes());
  CHECK(back->items() == 0);
  CHECK(FalsePositiveRate(*back, 10000) == 0);

  // A filter read from a SCANDUMP header with only its first sub-filter's chunks loaded: the
  // dump carries that sub-filter's bits and flags the others clear.
  const BloomFilter full =
      Filled({.error = 0.01, .capacity = 1000, .expansion = 2, .scaling = true}, 5000);
  REQUIRE(full.filters().size() == 3);
  std::string error;
  std::optional<BloomFilter> partial = BloomFilter::FromHeader(full.EncodeHeader(), &error);
  REQUIRE(partial);
  int64_t next;
  const std::string_view first = full.Chunk(1, &next);
  REQUIRE(first.size() == full.filters()[0].bytes());
  REQUIRE(partial->LoadChunk(next, first));
  dump.clear();
  partial->Dump(&dump);
  CHECK(dump.size() < first.size() + 200);
  back = BloomFilter::Restore(dump);
  REQUIRE(back);
  for (uint64_t i = 0; i < 2000; i++) {
    const ItemHash h = HashItem(Item("in:", i));
    REQUIRE(back->Contains(h) == partial->Contains(h));
  }

  // A dump of the first format (every bit, behind a version-1 header) still restores.
  std::string old_dump;
  common::wire::PutText(&old_dump, full.EncodeHeader());
  for (const SubFilter& f : full.filters()) old_dump.append(f.data());
  back = BloomFilter::Restore(old_dump);
  REQUIRE(back);
  CheckNoFalseNegatives(*back, 5000);
  CHECK(back->items() == full.items());

  // A sparse dump with a bad flag, or cut short, is refused.
  dump.clear();
  full.Dump(&dump);
  CHECK(BloomFilter::Restore(dump));
  uint32_t header_length;
  std::memcpy(&header_length, dump.data(), sizeof(header_length));
  std::string bad_flag = dump;
  bad_flag[sizeof(header_length) + header_length] = 7;
  CHECK(!BloomFilter::Restore(bad_flag));
  CHECK(!BloomFilter::Restore(dump.substr(0, sizeof(header_length) + header_length)));
}

TEST_CASE("bloom: what a reserve and an add will allocate is known before they allocate",
          "[bloom]") {
  const BloomFilter::Options options{.error = 0.01, .capacity = 1000, .expansion = 4};
  BloomFilter b(options);
  CHECK(BloomFilter::InitialBytes(options) == b.filters()[0].bytes());
  CHECK(b.GrowthBytes() == 0);  // the first sub-filter has room
  uint64_t i = 0;
  while (b.items() < 1000) b.Add(HashItem(Item("in:", i++)));
  const uint64_t growth = b.GrowthBytes();
  CHECK(growth > 3 * b.filters()[0].bytes());  // four times the capacity at half the error
  const size_t before = b.bytes();
  ItemHash h = HashItem(Item("in:", i++));
  while (b.Contains(h)) h = HashItem(Item("in:", i++));
  REQUIRE(b.Add(h) == BloomFilter::AddResult::kAdded);
  CHECK(b.filters().size() == 2);
  CHECK(b.filters()[1].bytes() == growth);
  CHECK(b.bytes() - before >= growth);

  BloomFilter fixed({.error = 0.01, .capacity = 10, .scaling = false});
  for (uint64_t j = 0; fixed.items() < 10; j++) fixed.Add(HashItem(Item("in:", j)));
  CHECK(fixed.GrowthBytes() == 0);  // may not grow: an add is refused, not allocated
}

}  // namespace
}  // namespace pylon::bloom
