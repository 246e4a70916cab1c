// The set core without a server: the intset (widths, order), the encoding rules (Redis's
// string2ll, set-max-intset-entries, one way), the member table against std::set (growth,
// shrinking, compaction, big members), SSCAN's guarantee across resizes, random draws, memory per
// member, and the dump (round trip and corrupt input).
#include "modules/set/set.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "modules/set/set_value.h"

namespace pylon::set {
namespace {

std::set<std::string> Contents(const Set& s) {
  std::set<std::string> out;
  s.ForEach([&](std::string_view m) { CHECK(out.emplace(m).second); });
  return out;
}

std::vector<std::string> Order(const Set& s) {
  std::vector<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

TEST_CASE("set: intset keeps ascending order and widens as Redis's", "[set]") {
  IntSet ints;
  CHECK(ints.width() == 2);
  CHECK(ints.Insert(5));
  CHECK(ints.Insert(-3));
  CHECK_FALSE(ints.Insert(5));
  CHECK(ints.width() == 2);
  CHECK(ints.Insert(70000));  // past int16
  CHECK(ints.width() == 4);
  CHECK(ints.Insert(INT64_MIN));
  CHECK(ints.width() == 8);
  CHECK(ints.size() == 4);
  CHECK(ints.At(0) == INT64_MIN);
  CHECK(ints.At(1) == -3);
  CHECK(ints.At(2) == 5);
  CHECK(ints.At(3) == 70000);
  CHECK(ints.Contains(70000));
  CHECK_FALSE(ints.Contains(70001));
  CHECK(ints.Remove(INT64_MIN));
  CHECK_FALSE(ints.Remove(INT64_MIN));
  CHECK(ints.width() == 8);  // never narrows back
  CHECK(ints.size() == 3);
  CHECK_FALSE(ints.Append(4));  // not above the largest
  CHECK(ints.Append(INT64_MAX));
  CHECK(ints.At(3) == INT64_MAX);
}

TEST_CASE("set: integers by string2ll stay an intset, sorted", "[set]") {
  const Limits limits;
  Set s;
  CHECK(s.Encoding() == "intset");
  for (const char* m : {"3", "-1", "10", "0", "-9223372036854775808", "9223372036854775807"}) {
    CHECK(s.Add(m, limits));
  }
  CHECK_FALSE(s.Add("10", limits));
  CHECK(s.Encoding() == "intset");
  CHECK(Order(s) == std::vector<std::string>{"-9223372036854775808", "-1", "0", "3", "10",
                                             "9223372036854775807"});
  CHECK(s.Contains("3"));
  CHECK_FALSE(s.Contains("03"));  // not an integer: cannot be in an intset
  CHECK_FALSE(s.Remove("+3"));
  CHECK(s.Remove("3"));
  CHECK(s.Size() == 5);
}

TEST_CASE("set: a member that is not string2ll's integer makes a hash table", "[set]") {
  const Limits limits;
  for (const char* m : {"-0", "+1", " 1", "1 ", "01", "a", "", "9223372036854775808", "1.0"}) {
    Set s;
    CHECK(s.Add("1", limits));
    CHECK(s.Add(m, limits));
    CHECK(s.Encoding() == "hashtable");
    CHECK(Contents(s) == std::set<std::string>{"1", m});
    // One way: removing it does not make an intset again.
    CHECK(s.Remove(m));
    CHECK(s.Encoding() == "hashtable");
    CHECK(s.Contains("1"));
  }
}

TEST_CASE("set: set-max-intset-entries converts past the limit, never back", "[set]") {
  const Limits limits{.max_intset_entries = 4};
  Set s;
  for (int i = 0; i < 4; i++) CHECK(s.Add(std::to_string(i), limits));
  CHECK(s.Encoding() == "intset");
  CHECK_FALSE(s.Add("2", limits));  // not new: stays
  CHECK(s.Encoding() == "intset");
  CHECK(s.Add("4", limits));
  CHECK(s.Encoding() == "hashtable");
  CHECK(Contents(s) == std::set<std::string>{"0", "1", "2", "3", "4"});
  for (int i = 0; i < 4; i++) CHECK(s.Remove(std::to_string(i)));
  CHECK(s.Encoding() == "hashtable");
  Set zero;
  CHECK(zero.Add("1", Limits{.max_intset_entries = 0}));
  CHECK(zero.Encoding() == "hashtable");
}

TEST_CASE("set: member table against std::set, with growth, shrinking and compaction", "[set]") {
  std::mt19937_64 rng(42);
  MemberTable table;
  std::set<std::string> model;
  auto random_member = [&] {
    // Mostly short members, some long, a few past the shared chunks' limit.
    const uint64_t kind = rng() % 100;
    const size_t len = kind < 90 ? rng() % 20 : kind < 99 ? 100 + rng() % 2000 : 20000;
    std::string m(len, 'x');
    for (char& c : m) c = static_cast<char>('a' + rng() % 4);
    if (len > 0) m[0] = static_cast<char>(rng());
    return m;
  };
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 4000; i++) {
      const std::string m = random_member();
      CHECK(table.Insert(m) == model.insert(m).second);
    }
    REQUIRE(table.size() == model.size());
    // Remove most of them: the table shrinks and the arena compacts on the way.
    std::vector<std::string> members(model.begin(), model.end());
    for (size_t i = 0; i < members.size(); i++) {
      if (i % 8 == 0) continue;
      CHECK(table.Remove(members[i]));
      CHECK_FALSE(table.Remove(members[i]));
      model.erase(members[i]);
    }
    REQUIRE(table.size() == model.size());
    CHECK(table.capacity() <= 4 * model.size());  // shrunk when under 1/4 full
    std::set<std::string> seen;
    table.ForEach([&](std::string_view m) { CHECK(seen.emplace(m).second); });
    CHECK(seen == model);
    for (const std::string& m : model) CHECK(table.Contains(m));
  }
  for (const std::string& m : std::set<std::string>(model)) CHECK(table.Remove(m));
  CHECK(table.empty());
  CHECK(table.HeapBytes() == 0);
}

TEST_CASE("set: a scan returns every member present throughout, across resizes", "[set]") {
  MemberTable table;
  for (int i = 0; i < 1000; i++) table.Insert("m" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0, added = 0;
  do {
    cursor = table.Scan(cursor, [&](std::string_view m) { seen.emplace(m); });
    // Grow the table during the first calls and shrink it during later ones.
    if (calls < 20) {
      for (int j = 0; j < 200; j++) table.Insert("new" + std::to_string(added++));
    } else if (calls == 40) {
      for (int j = 0; j < added; j++) table.Remove("new" + std::to_string(j));
    }
    calls++;
  } while (cursor != 0);
  for (int i = 0; i < 1000; i++) CHECK(seen.count("m" + std::to_string(i)) == 1);
  CHECK(calls > 1);
  // An intset answers all at once.
  Set ints;
  for (int i = 0; i < 10; i++) ints.Add(std::to_string(i), Limits{});
  std::vector<std::string> all;
  CHECK(ints.Scan(0, 2, [&](std::string_view m) { all.emplace_back(m); }) == 0);
  CHECK(all.size() == 10);
}

TEST_CASE("set: random members are members, and every one comes up", "[set]") {
  std::mt19937_64 rng(7);
  auto random = [&] { return rng(); };
  for (const bool ints : {true, false}) {
    Set s;
    for (int i = 0; i < 50; i++) s.Add((ints ? "" : "k") + std::to_string(i), Limits{});
    CHECK(s.is_intset() == ints);
    std::set<std::string> drawn;
    IntText text;
    for (int i = 0; i < 5000; i++) {
      const std::string m(s.RandomMember(random, &text));
      CHECK(s.Contains(m));
      drawn.insert(m);
    }
    CHECK(drawn.size() == 50);
  }
}

TEST_CASE("set: a million 16-byte members cost under 0.75 x Redis's 56 bytes each", "[set]") {
  MemberTable table;
  constexpr size_t kMembers = 1000000;
  char buf[17];
  size_t inserted = 0;
  for (size_t i = 0; i < kMembers; i++) {
    snprintf(buf, sizeof(buf), "member:%09zu", i);
    inserted += table.Insert(std::string_view(buf, 16));
  }
  REQUIRE(inserted == kMembers);
  const double per_member = static_cast<double>(table.HeapBytes()) / kMembers;
  INFO("bytes per member: " << per_member);
  CHECK(per_member < 0.75 * 56);
}

TEST_CASE("set: dumps round-trip in both encodings", "[set]") {
  for (const bool ints : {true, false}) {
    Set s;
    for (int i = -300; i < 300; i += 3) {
      s.Add((ints ? "" : "x") + std::to_string(i * 1000), Limits{.max_intset_entries = 1000});
    }
    std::string dump;
    s.Serialize(&dump);
    std::optional<Set> back = Set::Deserialize(dump);
    REQUIRE(back);
    CHECK(back->Encoding() == s.Encoding());
    CHECK(Contents(*back) == Contents(s));
    if (ints) CHECK(Order(*back) == Order(s));
    // Every truncation, and any trailing byte, is refused.
    for (size_t n = 0; n < dump.size(); n++) CHECK_FALSE(Set::Deserialize(dump.substr(0, n)));
    CHECK_FALSE(Set::Deserialize(dump + "x"));
  }
}

TEST_CASE("set: corrupt dumps are refused", "[set]") {
  const auto header = [](uint8_t intset, uint64_t count) {
    std::string d;
    d.push_back(1);
    d.push_back(static_cast<char>(intset));
    d.append(reinterpret_cast<const char*>(&count), 8);
    return d;
  };
  const auto int64 = [](int64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
  const auto text = [](std::string_view s) {
    const auto n = static_cast<uint32_t>(s.size());
    return std::string(reinterpret_cast<const char*>(&n), 4) + std::string(s);
  };
  CHECK(Set::Deserialize(header(1, 2) + int64(1) + int64(2)));
  CHECK_FALSE(Set::Deserialize(header(1, 2) + int64(2) + int64(1)));  // out of order
  CHECK_FALSE(Set::Deserialize(header(1, 2) + int64(2) + int64(2)));  // twice
  CHECK(Set::Deserialize(header(0, 2) + text("a") + text("b")));
  CHECK_FALSE(Set::Deserialize(header(0, 2) + text("a") + text("a")));  // twice
  CHECK_FALSE(Set::Deserialize(header(0, 3) + text("a") + text("b")));  // count too large
  CHECK_FALSE(Set::Deserialize(header(0, UINT64_MAX) + text("a")));
  CHECK_FALSE(Set::Deserialize(header(2, 0)));  // no such encoding
  std::string bad_format = header(0, 0);
  bad_format[0] = 9;
  CHECK_FALSE(Set::Deserialize(bad_format));
  CHECK_FALSE(Set::Deserialize(""));
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; i++) {
    std::string garbage(rng() % 40, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    std::optional<Set> s = Set::Deserialize(garbage);  // refused or a valid set: never a crash
    if (s) CHECK(Contents(*s).size() == s->Size());
  }
}

TEST_CASE("set: the logged changes replay onto the dump to the same set", "[set]") {
  const Limits limits{.max_intset_entries = 3};
  SetValue live;
  live.Add("1", limits);
  live.Add("2", limits);
  std::string base;
  live.Dump(&base);
  live.change_recorder()->Start();
  live.Add("3", limits);
  live.Add("4", limits);  // converts, under the limit logged with it
  live.Add("x", limits);
  CHECK_FALSE(live.Add("x", limits));  // no change, nothing logged
  live.Remove("1");
  std::string ops;
  REQUIRE(live.change_recorder()->Take(&ops));
  CHECK(ops.size() < 100);  // the members, not the set

  std::optional<Set> restored = Set::Deserialize(base);
  REQUIRE(restored);
  SetValue replica(std::move(*restored));
  REQUIRE(replica.ApplyChanges(ops));
  CHECK(Contents(replica.set()) == Contents(live.set()));
  CHECK(replica.set().Encoding() == "hashtable");

  // Operations that do not apply as logged (an add of a member already there, a removal of an
  // absent one, truncated bytes, an unknown kind) are refused.
  std::optional<Set> again = Set::Deserialize(base);
  SetValue twice(std::move(*again));
  REQUIRE(twice.ApplyChanges(ops));
  CHECK_FALSE(twice.ApplyChanges(ops));
  std::optional<Set> fresh = Set::Deserialize(base);
  SetValue cut(std::move(*fresh));
  CHECK_FALSE(cut.ApplyChanges(ops.substr(0, ops.size() - 1)));
  std::optional<Set> other = Set::Deserialize(base);
  SetValue unknown(std::move(*other));
  CHECK_FALSE(unknown.ApplyChanges(std::string("\x09\0\0\0\0", 5)));
}

}  // namespace
}  // namespace pylon::set
