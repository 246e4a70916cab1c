// The keyspace's table: growth and shrinking by incremental rehash, deletion while resizing, and
// SCAN's guarantee (every key present for the whole scan is returned) across resizes.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "daemon/clock.h"
#include "daemon/keyspace.h"

using pylon::daemon::Clock;
using pylon::daemon::Entry;
using pylon::daemon::KeyRef;
using pylon::daemon::Keyspace;
using pylon::daemon::Lookup;
using pylon::daemon::Ttl;

namespace {

void Set(Keyspace& ks, const std::string& key, std::string_view value = "v") {
  KeyRef ref = ks.Locate(key, Lookup::kWrite);
  ks.SetString(ref, value, Entry::Encoding::kEmbstr, Ttl::Clear());
}

bool Del(Keyspace& ks, const std::string& key) {
  KeyRef ref = ks.Locate(key, Lookup::kWrite);
  return ks.Delete(ref);
}

std::string Key(std::string_view prefix, int i) { return std::string(prefix) + std::to_string(i); }

}  // namespace

TEST_CASE("the table grows by incremental rehash and every key stays findable", "[key_table]") {
  Clock clock(true);
  Keyspace ks(clock);
  bool saw_rehash = false;
  for (int i = 0; i < 100000; i++) {
    Set(ks, Key("k", i));
    saw_rehash = saw_rehash || ks.table().rehashing();
  }
  CHECK(saw_rehash);
  CHECK(ks.size() == 100000);
  // Load factor 1 at most once the resize finishes.
  ks.Rehash(1000000);
  CHECK_FALSE(ks.table().rehashing());
  CHECK(ks.table().bucket_count() >= ks.size());
  CHECK(ks.table().bucket_count() <= 2 * 131072);
  for (int i = 0; i < 100000; i += 7) REQUIRE(ks.Find(Key("k", i), Lookup::kPeek));
  CHECK_FALSE(ks.Find("k100000", Lookup::kPeek));
}

TEST_CASE("growth the check refuses waits until Redis's forced load factor", "[key_table]") {
  Clock clock(true);
  Keyspace ks(clock);
  bool allow = true;
  size_t asked = 0;
  ks.set_growth_check([&](size_t bytes) {
    asked = bytes;
    return allow;
  });
  for (int i = 0; i < 1024; i++) Set(ks, Key("k", i));
  while (ks.table().rehashing()) ks.Rehash(1000000);
  REQUIRE(ks.table().bucket_count() == 1024);
  CHECK(asked == 512 * 2 * sizeof(Entry*));  // the last growth asked for 1024 buckets
  // Over the limit: the table stays at 1024 buckets up to 1.618 keys per bucket (1657 keys).
  allow = false;
  for (int i = 1024; i < 1657; i++) Set(ks, Key("k", i));
  CHECK(!ks.table().rehashing());
  CHECK(ks.table().bucket_count() == 1024);
  CHECK(asked == 2048 * sizeof(Entry*));
  asked = 0;
  Set(ks, Key("k", 1657));  // past 1.618: grows without asking
  CHECK(ks.table().rehashing());
  CHECK(asked == 0);
  for (int i = 0; i <= 1657; i++) REQUIRE(ks.Find(Key("k", i), Lookup::kPeek) != nullptr);
}

TEST_CASE("keys can be deleted and replaced while the table is resizing", "[key_table]") {
  Clock clock(true);
  Keyspace ks(clock);
  int i = 0;
  // Insert until a resize is under way, then delete and overwrite in the middle of it.
  while (!ks.table().rehashing() || ks.size() < 1000) Set(ks, Key("k", i++));
  const int total = i;
  REQUIRE(ks.table().rehashing());
  for (int j = 0; j < total; j += 2) REQUIRE(Del(ks, Key("k", j)));
  for (int j = 1; j < total; j += 4) Set(ks, Key("k", j), "a much longer value than before");
  CHECK(ks.size() == static_cast<size_t>(total / 2));
  for (int j = 0; j < total; j++) {
    const Entry* e = ks.Find(Key("k", j), Lookup::kPeek);
    if (j % 2 == 0) {
      REQUIRE(e == nullptr);
    } else {
      REQUIRE(e != nullptr);
      CHECK(e->string() == (j % 4 == 1 ? "a much longer value than before" : "v"));
    }
  }
}

TEST_CASE("the table shrinks when mostly empty", "[key_table]") {
  Clock clock(true);
  Keyspace ks(clock);
  for (int i = 0; i < 10000; i++) Set(ks, Key("k", i));
  ks.Rehash(1000000);
  const size_t big = ks.table().bucket_count();
  for (int i = 100; i < 10000; i++) Del(ks, Key("k", i));
  ks.Rehash(1000000);  // as the cron: starts the shrink and finishes it
  ks.Rehash(1000000);
  CHECK(ks.table().bucket_count() < big / 16);
  CHECK(ks.size() == 100);
  for (int i = 0; i < 100; i++) REQUIRE(ks.Find(Key("k", i), Lookup::kPeek));
}

TEST_CASE("a full SCAN returns every key present throughout while the table grows",
          "[key_table][scan]") {
  Clock clock(true);
  Keyspace ks(clock);
  for (int i = 0; i < 1000; i++) Set(ks, Key("old", i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int added = 0, steps = 0;
  do {
    cursor = ks.Scan(cursor, [&seen](const Entry* e) { seen.emplace(e->key()); });
    // Between the first 100 calls, enough new keys to double the table several times over;
    // after that the scan must reach its end over the grown table.
    if (steps < 100) {
      for (int j = 0; j < 200; j++) Set(ks, Key("new", added++));
    }
    steps++;
  } while (cursor != 0 && steps < 1000000);
  CHECK(cursor == 0);
  CHECK(added == 20000);  // the table grew from ~1k to over 16k buckets during the scan
  for (int i = 0; i < 1000; i++) REQUIRE(seen.count(Key("old", i)) == 1);
  CHECK(steps > 1);
}

TEST_CASE("a full SCAN returns every key present throughout while the table shrinks",
          "[key_table][scan]") {
  Clock clock(true);
  Keyspace ks(clock);
  for (int i = 0; i < 500; i++) Set(ks, Key("keep", i));
  for (int i = 0; i < 20000; i++) Set(ks, Key("drop", i));
  ks.Rehash(1000000);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = ks.Scan(cursor, [&seen](const Entry* e) { seen.emplace(e->key()); });
    if (++step == 50) {
      for (int i = 0; i < 20000; i++) Del(ks, Key("drop", i));
      ks.Rehash(0);  // starts the shrink; the scan goes on over two tables
      CHECK(ks.table().rehashing());
    }
  } while (cursor != 0);
  for (int i = 0; i < 500; i++) REQUIRE(seen.count(Key("keep", i)) == 1);
}

TEST_CASE("RANDOMKEY picks keys present, and skips expired ones", "[key_table]") {
  Clock clock(true);
  Keyspace ks(clock);
  CHECK(ks.RandomKey() == nullptr);
  for (int i = 0; i < 50; i++) Set(ks, Key("k", i));
  std::set<std::string> picked;
  for (int i = 0; i < 2000; i++) picked.emplace(ks.RandomKey()->key());
  CHECK(picked.size() == 50);  // each key has a 1/50 chance per pick: all seen
  KeyRef ref = ks.Locate("k0", Lookup::kWrite);
  ks.SetExpire(ref, clock.NowMs() + 10);
  for (int i = 1; i < 50; i++) Del(ks, Key("k", i));
  clock.Advance(11'000);
  CHECK(ks.RandomKey() == nullptr);
  CHECK(ks.size() == 0);
  CHECK(ks.stats().expired_keys == 1);
}
