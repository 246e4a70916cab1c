// The hash core without a server: both forms, the conversions at each limit, the increments'
// rules, the dump (round trip and corrupt input), and a random differential against std::map.
#include "modules/hash/hash.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/arena_table.h"
#include "protocol/text.h"

namespace pylon::hash {
namespace {

std::map<std::string, std::string> Contents(const Hash& h) {
  std::map<std::string, std::string> out;
  h.ForEach([&](std::string_view f, std::string_view v) {
    CHECK(out.emplace(std::string(f), std::string(v)).second);
  });
  return out;
}

TEST_CASE("hash: compact form keeps insertion order and updates in place", "[hash]") {
  const Limits limits;
  Hash h;
  CHECK(h.Encoding() == "listpack");
  CHECK(h.Set("b", "1", limits));
  CHECK(h.Set("a", "2", limits));
  CHECK(h.Set("c", "3", limits));
  CHECK_FALSE(h.Set("a", "22", limits));  // longer value
  CHECK_FALSE(h.Set("a", "x", limits));   // shorter
  CHECK_FALSE(h.Set("a", "y", limits));   // same length
  CHECK(h.Size() == 3);
  CHECK(*h.Get("a") == "y");
  CHECK_FALSE(h.Get("z"));
  CHECK(h.StrLen("b") == 1);
  CHECK(h.StrLen("z") == 0);
  std::vector<std::string> order;
  h.ForEach([&](std::string_view f, std::string_view) { order.emplace_back(f); });
  CHECK(order == std::vector<std::string>{"b", "a", "c"});
  CHECK(h.Delete("a"));
  CHECK_FALSE(h.Delete("a"));
  CHECK_FALSE(h.Exists("a"));
  CHECK(h.Exists("c"));
  CHECK(h.Size() == 2);
  CHECK(h.Set("", "", limits));  // empty field and value are values like any other
  CHECK(h.Get("")->empty());
  CHECK(h.Encoding() == "listpack");
}

TEST_CASE("hash: converts past the entry limit and never back", "[hash]") {
  const Limits limits;  // 512 entries, as Redis 7.0's default
  CHECK(limits.max_listpack_entries == 512);
  Hash h;
  for (int i = 0; i < 512; i++) h.Set("f" + std::to_string(i), "v", limits);
  CHECK(h.Encoding() == "listpack");
  h.Set("f511", "again", limits);  // an update adds no field
  CHECK(h.Encoding() == "listpack");
  h.Set("f512", "v", limits);
  CHECK(h.Encoding() == "hashtable");
  CHECK(h.Size() == 513);
  CHECK(*h.Get("f511") == "again");
  for (int i = 0; i < 513; i++) h.Delete("f" + std::to_string(i));
  CHECK(h.Size() == 0);
  CHECK(h.Encoding() == "hashtable");
}

TEST_CASE("hash: converts for a field or value longer than the value limit", "[hash]") {
  const Limits limits;  // 64 bytes
  Hash a;
  a.Set("f", std::string(64, 'v'), limits);
  CHECK(a.Encoding() == "listpack");
  a.Set("f", std::string(65, 'v'), limits);
  CHECK(a.Encoding() == "hashtable");
  CHECK(a.Get("f")->size() == 65);
  Hash b;
  b.Set("x", "1", limits);
  b.Set(std::string(65, 'f'), "v", limits);
  CHECK(b.Encoding() == "hashtable");
  CHECK(Contents(b).size() == 2);
  // Small limits, as a config may set them.
  const Limits tiny{.max_listpack_entries = 2, .max_listpack_value = 3};
  Hash c;
  c.Set("a", "abc", tiny);
  c.Set("b", "abc", tiny);
  CHECK(c.Encoding() == "listpack");
  c.Set("c", "abc", tiny);
  CHECK(c.Encoding() == "hashtable");
}

TEST_CASE("hash: a long value's length prefix takes several bytes", "[hash]") {
  const Limits big{.max_listpack_entries = 128, .max_listpack_value = 100000};
  Hash h;
  h.Set("a", std::string(300, 'x'), big);
  h.Set("b", std::string(20000, 'y'), big);
  h.Set("c", "z", big);
  CHECK(h.Encoding() == "listpack");
  CHECK(h.Get("b")->size() == 20000);
  h.Set("b", "short", big);
  CHECK(*h.Get("b") == "short");
  CHECK(*h.Get("c") == "z");
  CHECK(h.Get("a")->size() == 300);
}

TEST_CASE("hash: IncrBy follows Redis's rules", "[hash]") {
  const Limits limits;
  Hash h;
  int64_t r = 0;
  CHECK(h.IncrBy("n", 5, limits, &r) == IncrStatus::kOk);
  CHECK(r == 5);
  CHECK(h.IncrBy("n", -7, limits, &r) == IncrStatus::kOk);
  CHECK(r == -2);
  CHECK(*h.Get("n") == "-2");
  h.Set("s", "abc", limits);
  CHECK(h.IncrBy("s", 1, limits, &r) == IncrStatus::kNotInteger);
  h.Set("s", " 1", limits);
  CHECK(h.IncrBy("s", 1, limits, &r) == IncrStatus::kNotInteger);
  h.Set("m", "9223372036854775807", limits);
  CHECK(h.IncrBy("m", 1, limits, &r) == IncrStatus::kOverflow);
  CHECK(h.IncrBy("m", 0, limits, &r) == IncrStatus::kOk);
  CHECK(h.IncrBy("m", INT64_MIN, limits, &r) == IncrStatus::kOk);
  CHECK(r == -1);
  h.Set("m", "-9223372036854775808", limits);
  CHECK(h.IncrBy("m", -1, limits, &r) == IncrStatus::kOverflow);
  CHECK(*h.Get("m") == "-9223372036854775808");
}

TEST_CASE("hash: IncrByFloat follows Redis's rules and formatting", "[hash]") {
  const Limits limits;
  Hash h;
  std::string_view r;
  CHECK(h.IncrByFloat("f", 10.5L, limits, &r) == IncrStatus::kOk);
  CHECK(r == "10.5");
  CHECK(h.IncrByFloat("f", 0.1L, limits, &r) == IncrStatus::kOk);
  CHECK(r == "10.6");
  h.Set("e", "5.0e3", limits);
  CHECK(h.IncrByFloat("e", 2.0e2L, limits, &r) == IncrStatus::kOk);
  CHECK(r == "5200");
  h.Set("s", "abc", limits);
  CHECK(h.IncrByFloat("s", 1, limits, &r) == IncrStatus::kNotFloat);
  h.Set("i", "inf", limits);
  CHECK(h.IncrByFloat("i", 1, limits, &r) == IncrStatus::kNanOrInf);
  h.Set("i", "1e4932", limits);
  CHECK(h.IncrByFloat("i", 1e4932L, limits, &r) == IncrStatus::kNanOrInf);
  CHECK(*h.Get("i") == "1e4932");
}

TEST_CASE("hash: serialize round trip in both forms", "[hash]") {
  const Limits limits;
  for (const int n : {0, 3, 600}) {
    Hash h;
    for (int i = 0; i < n; i++) h.Set("field" + std::to_string(i), std::to_string(i * 7), limits);
    std::string dump;
    h.Serialize(&dump);
    std::optional<Hash> back = Hash::Deserialize(dump);
    REQUIRE(back);
    CHECK(back->Encoding() == h.Encoding());
    CHECK(Contents(*back) == Contents(h));
    CHECK(back->Bytes() > 0);
  }
  // The form survives even where the content alone would pick the other.
  Hash h;
  h.Set("f", std::string(100, 'v'), limits);
  h.Set("f", "v", limits);
  std::string dump;
  h.Serialize(&dump);
  CHECK(Hash::Deserialize(dump)->Encoding() == "hashtable");
}

TEST_CASE("hash: corrupt dumps are refused", "[hash]") {
  const Limits limits;
  Hash h;
  h.Set("a", "1", limits);
  h.Set("b", "2", limits);
  std::string dump;
  h.Serialize(&dump);
  // Every truncation, and a byte too many.
  for (size_t n = 0; n < dump.size(); n++) CHECK_FALSE(Hash::Deserialize(dump.substr(0, n)));
  CHECK_FALSE(Hash::Deserialize(dump + "x"));
  std::string bad = dump;
  bad[0] = 9;  // format
  CHECK_FALSE(Hash::Deserialize(bad));
  bad = dump;
  bad[1] = 2;  // form
  CHECK_FALSE(Hash::Deserialize(bad));
  bad = dump;
  bad[2] = bad[3] = bad[4] = bad[5] = '\xff';  // count
  CHECK_FALSE(Hash::Deserialize(bad));
  // A field twice, in each form.
  for (const uint8_t large : {0, 1}) {
    std::string twice;
    twice.push_back(1);
    twice.push_back(static_cast<char>(large));
    const uint32_t count = 2;
    twice.append(reinterpret_cast<const char*>(&count), 4);
    for (int i = 0; i < 2; i++) {
      const uint32_t one = 1;
      twice.append(reinterpret_cast<const char*>(&one), 4).append("a");
      twice.append(reinterpret_cast<const char*>(&one), 4).append("v");
    }
    CHECK_FALSE(Hash::Deserialize(twice));
  }
  // Random bytes never crash.
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; i++) {
    std::string junk = dump;
    junk[rng() % junk.size()] = static_cast<char>(rng());
    if (std::optional<Hash> back = Hash::Deserialize(junk)) {
      back->ForEach([](std::string_view, std::string_view) {});
    }
  }
}

TEST_CASE("hash: random operations agree with std::map", "[hash]") {
  std::mt19937 rng(12345);
  // Small limits so both conversions happen often, and the defaults.
  for (const Limits limits :
       {Limits{.max_listpack_entries = 16, .max_listpack_value = 8}, Limits{}}) {
    for (int round = 0; round < 20; round++) {
      Hash h;
      std::map<std::string, std::string> model;
      for (int op = 0; op < 2000; op++) {
        const std::string field = "f" + std::to_string(rng() % 40);
        const std::string value(rng() % 12, static_cast<char>('a' + rng() % 26));
        switch (rng() % 6) {
          case 0:
          case 1: {
            const bool fresh = !model.contains(field);
            CHECK(h.Set(field, value, limits) == fresh);
            model[field] = value;
            break;
          }
          case 2:
            CHECK(h.Delete(field) == (model.erase(field) == 1));
            break;
          case 3: {
            int64_t r;
            const IncrStatus s = h.IncrBy(field, 3, limits, &r);
            auto it = model.find(field);
            if (it == model.end() || it->second.empty()) {
              if (it == model.end()) {
                CHECK(s == IncrStatus::kOk);
                model[field] = "3";
              } else {
                CHECK(s == IncrStatus::kNotInteger);
              }
            } else if (s == IncrStatus::kOk) {
              it->second = std::to_string(r);
            }
            break;
          }
          case 4: {
            auto it = model.find(field);
            const std::optional<std::string_view> got = h.Get(field);
            REQUIRE(got.has_value() == (it != model.end()));
            if (got) CHECK(*got == it->second);
            CHECK(h.StrLen(field) == (it == model.end() ? 0 : it->second.size()));
            break;
          }
          default:
            CHECK(h.Size() == model.size());
            break;
        }
      }
      CHECK(Contents(h) == model);
      std::string dump;
      h.Serialize(&dump);
      std::optional<Hash> back = Hash::Deserialize(dump);
      REQUIRE(back);
      CHECK(Contents(*back) == model);
    }
  }
}

// The large form: the arena table (common/arena_table.h) with [len][field][len][value] entries.
using common::ArenaMap;

std::map<std::string, std::string> Contents(const ArenaMap& table) {
  std::map<std::string, std::string> out;
  table.ForEach([&](std::string_view f, std::string_view v) {
    CHECK(out.emplace(std::string(f), std::string(v)).second);
  });
  return out;
}

TEST_CASE("hash: the large form agrees with std::map across resizes and compactions", "[hash]") {
  std::mt19937_64 rng(2024);
  ArenaMap table;
  std::map<std::string, std::string> model;
  auto random_text = [&](size_t max_short) {
    // Mostly short, some long, a few past the shared chunks' limit (a chunk of their own).
    const uint64_t kind = rng() % 200;
    const size_t len = kind < 180 ? rng() % max_short : kind < 199 ? 100 + rng() % 2000 : 20000;
    std::string t(len, 'x');
    for (char& c : t) c = static_cast<char>('a' + rng() % 4);
    if (len > 0) t[0] = static_cast<char>(rng());
    return t;
  };
  auto random_draws_are_entries = [&] {
    if (model.empty()) return;
    for (int i = 0; i < 50; i++) {
      const auto [f, v] = table.RandomEntry([&] { return rng(); });
      auto it = model.find(std::string(f));
      REQUIRE(it != model.end());
      CHECK(it->second == v);
    }
  };
  for (int round = 0; round < 3; round++) {
    // Grow: new fields, and value updates of the same and of other lengths (new arena entries).
    for (int i = 0; i < 6000; i++) {
      const std::string field = "f" + std::to_string(rng() % 5000);
      const std::string value = random_text(24);
      if (rng() % 8 == 0) {
        CHECK(table.Remove(field) == (model.erase(field) == 1));
        continue;
      }
      const bool fresh = !model.contains(field);
      CHECK(table.Put(field, value) == fresh);
      model[field] = value;
    }
    REQUIRE(table.size() == model.size());
    CHECK(Contents(table) == model);
    random_draws_are_entries();
    // Rewrite every value many times with other lengths: dead bytes pile up and get compacted,
    // so the arena stays within a few times the live bytes.
    size_t live = 0;
    for (int pass = 0; pass < 6; pass++) {
      live = 0;
      for (auto& [f, v] : model) {
        v = std::string(1 + (v.size() + pass + 1) % 30, static_cast<char>('A' + pass));
        CHECK_FALSE(table.Put(f, v));
        live += f.size() + v.size() + 2;
      }
    }
    CHECK(Contents(table) == model);
    CHECK(table.HeapBytes() < 3 * live + table.capacity() * 8 + 2 * 65536);
    // Remove most of them: the table shrinks and the arena compacts on the way.
    std::vector<std::string> fields;
    for (const auto& [f, v] : model) fields.push_back(f);
    for (size_t i = 0; i < fields.size(); i++) {
      if (i % 8 == 0) continue;
      CHECK(table.Remove(fields[i]));
      CHECK_FALSE(table.Remove(fields[i]));
      model.erase(fields[i]);
    }
    REQUIRE(table.size() == model.size());
    CHECK(table.capacity() <= 4 * model.size());  // shrunk when under 1/4 full
    CHECK(Contents(table) == model);
    for (const auto& [f, v] : model) CHECK(table.Get(f) == std::optional<std::string_view>(v));
    CHECK_FALSE(table.Get("absent"));
    random_draws_are_entries();
  }
  for (const auto& [f, v] : std::map<std::string, std::string>(model)) CHECK(table.Remove(f));
  CHECK(table.empty());
  CHECK(table.HeapBytes() == 0);
}

TEST_CASE("hash: random operations on a large hash agree with std::map", "[hash]") {
  std::mt19937 rng(99);
  const Limits limits{.max_listpack_entries = 4, .max_listpack_value = 8};
  Hash h;
  std::map<std::string, std::string> model;
  for (int op = 0; op < 40000; op++) {
    // The field range widens then narrows, so the table grows and then shrinks.
    const int range = op < 20000 ? 3000 : 200;
    const std::string field = "field:" + std::to_string(rng() % range);
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2: {
        const std::string value(rng() % 20, static_cast<char>('a' + rng() % 26));
        CHECK(h.Set(field, value, limits) == !model.contains(field));
        model[field] = value;
        break;
      }
      case 3:
      case 4:
        CHECK(h.Delete(field) == (model.erase(field) == 1));
        if (op >= 20000) {
          // Also drop the fields out of the narrowed range, so the table shrinks.
          const std::string old_field = "field:" + std::to_string(200 + rng() % 2800);
          CHECK(h.Delete(old_field) == (model.erase(old_field) == 1));
        }
        break;
      case 5: {
        int64_t r;
        const IncrStatus s = h.IncrBy(field, -7, limits, &r);
        auto it = model.find(field);
        int64_t old = 0;
        if (it == model.end() || protocol::ParseInt64(it->second, &old)) {
          REQUIRE(s == IncrStatus::kOk);
          CHECK(r == old - 7);
          model[field] = std::to_string(r);
        } else {
          CHECK(s == IncrStatus::kNotInteger);
        }
        break;
      }
      case 6: {
        std::string_view r;
        const IncrStatus s = h.IncrByFloat(field, 0.5L, limits, &r);
        auto it = model.find(field);
        long double old = 0;
        if (it == model.end() || protocol::ParseLongDouble(it->second, &old)) {
          REQUIRE(s == IncrStatus::kOk);
          model[field] = std::string(r);
        } else {
          CHECK(s == IncrStatus::kNotFloat);
        }
        break;
      }
      default: {
        const std::optional<std::string_view> got = h.Get(field);
        auto it = model.find(field);
        REQUIRE(got.has_value() == (it != model.end()));
        if (got) CHECK(*got == it->second);
        break;
      }
    }
    if (op % 5000 == 4999) {
      REQUIRE(h.Size() == model.size());
      CHECK(Contents(h) == model);
    }
  }
  CHECK(h.Encoding() == "hashtable");
  CHECK(Contents(h) == model);
  std::string dump;
  h.Serialize(&dump);
  std::optional<Hash> back = Hash::Deserialize(dump);
  REQUIRE(back);
  CHECK(back->Encoding() == "hashtable");
  CHECK(Contents(*back) == model);
}

TEST_CASE("hash: HSCAN of a large hash returns every field present throughout, across resizes",
          "[hash]") {
  const Limits limits;
  Hash h;
  for (int i = 0; i < 1000; i++) h.Set("f" + std::to_string(i), "v" + std::to_string(i), limits);
  REQUIRE(h.Encoding() == "hashtable");
  std::map<std::string, std::string> seen;
  uint64_t cursor = 0;
  int calls = 0, added = 0;
  do {
    cursor = h.Scan(cursor, 10, [&](std::string_view f, std::string_view v) {
      seen[std::string(f)] = std::string(v);
    });
    // Grow the table during the first calls, rewrite values (new arena entries), then shrink.
    if (calls < 20) {
      for (int j = 0; j < 300; j++) h.Set("new" + std::to_string(added++), "x", limits);
    } else if (calls == 30) {
      for (int j = 0; j < 1000; j += 3) h.Set("f" + std::to_string(j), "rewritten", limits);
    } else if (calls == 40) {
      for (int j = 0; j < added; j++) h.Delete("new" + std::to_string(j));
    }
    calls++;
  } while (cursor != 0);
  for (int i = 0; i < 1000; i++) {
    const auto it = seen.find("f" + std::to_string(i));
    REQUIRE(it != seen.end());
    CHECK((it->second == "v" + std::to_string(i) || it->second == "rewritten"));
  }
  CHECK(calls > 20);
  // COUNT bounds a step: about `count` fields, never the whole table at once.
  size_t first_step = 0;
  h.Scan(0, 10, [&](std::string_view, std::string_view) { first_step++; });
  CHECK(first_step < 100);
}

TEST_CASE("hash: a million 16-byte fields and values cost under 0.75 x Redis's 116 bytes each",
          "[hash]") {
  const Limits limits;
  Hash h;
  constexpr size_t kFields = 1000000;
  char buf[17];
  size_t inserted = 0;
  for (size_t i = 0; i < kFields; i++) {
    snprintf(buf, sizeof(buf), "m:%014zu", i);
    inserted += h.Set(std::string_view(buf, 16), std::string_view(buf, 16), limits);
  }
  REQUIRE(inserted == kFields);
  const double per_field = static_cast<double>(h.Bytes()) / kFields;
  INFO("bytes per field: " << per_field);
  CHECK(per_field < 0.75 * 116);
  // Updating every value to another length (a new arena entry each) keeps it within bounds.
  for (size_t i = 0; i < kFields; i += 2) {
    snprintf(buf, sizeof(buf), "m:%014zu", i);
    h.Set(std::string_view(buf, 16), "short", limits);
  }
  CHECK(static_cast<double>(h.Bytes()) / kFields < 0.75 * 116);
}

}  // namespace
}  // namespace pylon::hash
