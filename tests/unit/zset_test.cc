// The sorted set core without a server: both forms and the conversion at each limit, ranks and
// range bounds, rank removal, the dump (round trip and corrupt input), and a random differential
// against std::set in both forms (with the large form's invariants checked as it goes).
#include "modules/zset/zset.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace pylon::zset {
namespace {

using Ordered = std::set<std::pair<double, std::string>>;

std::vector<std::pair<std::string, double>> Contents(const ZSet& z, bool reverse = false) {
  std::vector<std::pair<std::string, double>> out;
  z.Walk(0, reverse, [&](std::string_view m, double s) {
    out.emplace_back(std::string(m), s);
    return true;
  });
  return out;
}

TEST_CASE("zset: compact form orders by score then member", "[zset]") {
  const Limits limits;
  ZSet z;
  CHECK(z.Encoding() == "listpack");
  CHECK(z.Set("b", 1, limits));
  CHECK(z.Set("a", 1, limits));
  CHECK(z.Set("c", 0.5, limits));
  CHECK(z.Set("ab", 1, limits));
  CHECK_FALSE(z.Set("c", 2, limits));  // moved, not new
  using V = std::vector<std::pair<std::string, double>>;
  CHECK(Contents(z) == V{{"a", 1}, {"ab", 1}, {"b", 1}, {"c", 2}});
  CHECK(Contents(z, true) == V{{"c", 2}, {"b", 1}, {"ab", 1}, {"a", 1}});
  CHECK(*z.Rank("b") == 2);
  CHECK_FALSE(z.Rank("zz"));
  CHECK(*z.Score("ab") == 1);
  CHECK(z.Remove("ab"));
  CHECK_FALSE(z.Remove("ab"));
  CHECK(z.Size() == 3);
  CHECK(z.CheckInvariants());
}

TEST_CASE("zset: converts past the entry limit or the value limit, and compacts back", "[zset]") {
  const Limits limits{.max_listpack_entries = 4, .max_listpack_value = 8};
  ZSet z;
  for (int i = 0; i < 4; i++) z.Set("m" + std::to_string(i), i, limits);
  CHECK(z.Encoding() == "listpack");
  z.Set("m4", 4, limits);
  CHECK(z.Encoding() == "skiplist");
  CHECK(z.CheckInvariants());
  z.Remove("m4");
  CHECK(z.Encoding() == "skiplist");  // never back by itself, as Redis
  z.CompactIfSmall(limits);
  CHECK(z.Encoding() == "listpack");
  CHECK(Contents(z).size() == 4);

  ZSet longer;
  longer.Set("123456789", 1, limits);
  CHECK(longer.Encoding() == "skiplist");
  longer.CompactIfSmall(limits);
  CHECK(longer.Encoding() == "skiplist");  // the member is still too long
}

TEST_CASE("zset: score and lex bounds count the members below them", "[zset]") {
  for (const size_t entries : {size_t{128}, size_t{0}}) {
    const Limits limits{.max_listpack_entries = entries};
    ZSet z;
    for (int i = 0; i < 10; i++) z.Set(std::string(1, static_cast<char>('a' + i)), i, limits);
    CHECK(z.RanksBelow(ScoreBound{3, false}) == 3);
    CHECK(z.RanksBelow(ScoreBound{3, true}) == 4);
    CHECK(z.RanksUpTo(ScoreBound{3, false}) == 4);
    CHECK(z.RanksUpTo(ScoreBound{3, true}) == 3);
    CHECK(z.RanksBelow(ScoreBound{-INFINITY, false}) == 0);
    CHECK(z.RanksUpTo(ScoreBound{INFINITY, false}) == 10);

    ZSet lex;
    for (const char* m : {"a", "b", "bb", "c"}) lex.Set(m, 0, limits);
    using K = LexBound::Kind;
    CHECK(lex.RanksBelow(LexBound{K::kInclusive, "b"}) == 1);
    CHECK(lex.RanksBelow(LexBound{K::kExclusive, "b"}) == 2);
    CHECK(lex.RanksUpTo(LexBound{K::kInclusive, "bb"}) == 3);
    CHECK(lex.RanksUpTo(LexBound{K::kExclusive, "bb"}) == 2);
    CHECK(lex.RanksBelow(LexBound{K::kMinusInfinity, ""}) == 0);
    CHECK(lex.RanksUpTo(LexBound{K::kPlusInfinity, ""}) == 4);
    CHECK(lex.RanksBelow(LexBound{K::kPlusInfinity, ""}) == 4);
  }
}

TEST_CASE("zset: removing rank ranges in both forms", "[zset]") {
  for (const size_t entries : {size_t{128}, size_t{0}}) {
    const Limits limits{.max_listpack_entries = entries};
    ZSet z;
    for (int i = 0; i < 500 && (entries == 0 || i < 100); i++) z.Set(std::to_string(i), i, limits);
    const size_t n = z.Size();
    CHECK(z.RemoveRanks(10, 20) == 10);
    CHECK(z.Size() == n - 10);
    CHECK(z.At(10).second == 20);
    CHECK(z.RemoveRanks(0, n) == n - 10);
    CHECK(z.empty());
    CHECK(z.CheckInvariants());
  }
}

TEST_CASE("zset: serialize round trip in both forms", "[zset]") {
  for (const size_t entries : {size_t{128}, size_t{0}}) {
    const Limits limits{.max_listpack_entries = entries};
    ZSet z;
    for (int i = 0; i < 300; i++) z.Set("member" + std::to_string(i * 7 % 300), i % 13, limits);
    z.Set("inf", INFINITY, limits);
    z.Set("-inf", -INFINITY, limits);
    std::string dump;
    z.Serialize(&dump);
    std::optional<ZSet> back = ZSet::Deserialize(dump);
    REQUIRE(back);
    CHECK(back->Encoding() == z.Encoding());
    CHECK(Contents(*back) == Contents(z));
    CHECK(back->CheckInvariants());
  }
}

TEST_CASE("zset: corrupt dumps are refused", "[zset]") {
  for (const size_t entries : {size_t{128}, size_t{0}}) {
    const Limits limits{.max_listpack_entries = entries};
    ZSet z;
    z.Set("a", 1, limits);
    z.Set("b", 2, limits);
    std::string dump;
    z.Serialize(&dump);
    for (size_t cut = 0; cut < dump.size(); cut++) {
      CHECK_FALSE(ZSet::Deserialize(std::string_view(dump).substr(0, cut)));
    }
    CHECK_FALSE(ZSet::Deserialize(dump + "x"));
    std::string bad_format = dump;
    bad_format[0] = 9;
    CHECK_FALSE(ZSet::Deserialize(bad_format));
    // Out of order: swap the two scores.
    ZSet swapped;
    swapped.Set("a", 2, limits);
    swapped.Set("b", 1, limits);
    std::string out_of_order;
    swapped.Serialize(&out_of_order);
    std::swap_ranges(&out_of_order[6], &out_of_order[6 + 8], &out_of_order[6 + 8 + 4 + 1]);
    CHECK_FALSE(ZSet::Deserialize(out_of_order));
    // A member twice (same score) and a NaN score.
    std::string twice = dump;
    twice[6 + 8 + 4 + 1 + 12] = 'a';  // b -> a: same member, higher score
    CHECK_FALSE(ZSet::Deserialize(twice));
    std::string nan = dump;
    const double q = std::numeric_limits<double>::quiet_NaN();
    std::memcpy(&nan[6], &q, 8);
    CHECK_FALSE(ZSet::Deserialize(nan));
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; i++) {
    std::string garbage(rng() % 40, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    if (!garbage.empty()) garbage[0] = 1;
    ZSet::Deserialize(garbage);  // must not crash; anything accepted is checked below
    if (auto z = ZSet::Deserialize(garbage)) CHECK(z->CheckInvariants());
  }
}

TEST_CASE("zset: random operations agree with std::set", "[zset]") {
  for (const size_t entries : {size_t{128}, size_t{16}}) {
    const Limits limits{.max_listpack_entries = entries};
    std::mt19937_64 rng(entries);
    ZSet z;
    Ordered model;
    std::map<std::string, double> scores;
    for (int step = 0; step < 60000; step++) {
      const std::string member = "m" + std::to_string(rng() % 3000);
      const double score = static_cast<double>(rng() % 200) / 4;
      const int op = static_cast<int>(rng() % 10);
      if (op < 6) {
        const bool fresh = !scores.count(member);
        if (!fresh) model.erase({scores[member], member});
        scores[member] = score;
        model.insert({score, member});
        REQUIRE(z.Set(member, score, limits) == fresh);
      } else if (op < 9) {
        const bool present = scores.count(member) > 0;
        if (present) {
          model.erase({scores[member], member});
          scores.erase(member);
        }
        REQUIRE(z.Remove(member) == present);
      } else if (!model.empty()) {
        const size_t first = rng() % model.size();
        const size_t last = first + rng() % 5;
        auto it = std::next(model.begin(), static_cast<long>(first));
        size_t removed = 0;
        while (it != model.end() && removed < last - first) {
          scores.erase(it->second);
          it = model.erase(it);
          removed++;
        }
        REQUIRE(z.RemoveRanks(first, last) == removed);
      }
      REQUIRE(z.Size() == model.size());
      if (step % 997 == 0) {
        REQUIRE(z.CheckInvariants());
        std::vector<std::pair<std::string, double>> expected;
        for (const auto& [s, m] : model) expected.emplace_back(m, s);
        REQUIRE(Contents(z) == expected);
        // Ranks, bounds and reverse walks from a random rank.
        const double bound = static_cast<double>(rng() % 200) / 4;
        size_t below = 0, up_to = 0;
        for (const auto& [s, m] : model) {
          below += s < bound;
          up_to += s <= bound;
        }
        CHECK(z.RanksBelow(ScoreBound{bound, false}) == below);
        CHECK(z.RanksUpTo(ScoreBound{bound, false}) == up_to);
        CHECK(z.RanksBelow(ScoreBound{bound, true}) == up_to);
        if (!model.empty()) {
          const size_t r = rng() % model.size();
          const auto& nth = *std::next(model.begin(), static_cast<long>(r));
          CHECK(*z.Rank(nth.second) == r);
          CHECK(z.At(r).first == nth.second);
          size_t walked = 0;
          z.Walk(r, true, [&](std::string_view, double) { return ++walked < 1000000; });
          CHECK(walked == model.size() - r);
        }
      }
    }
  }
}

}  // namespace
}  // namespace pylon::zset
