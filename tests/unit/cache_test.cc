// The cache entry's rules without a server: the lease protocol's decisions (one token per miss,
// a stale token refused), and the tag index as entries are stored, renamed and deleted.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>

#include "daemon/clock.h"
#include "daemon/family_state.h"
#include "daemon/keyspace.h"
#include "modules/cache/cache_value.h"

namespace pylon::cache {
namespace {

constexpr int64_t T0 = 1'700'000'000'000;

TEST_CASE("cache: FETCH decides hit, stale (one refresher), wait or miss", "[cache]") {
  CacheFamilyState family;
  CHECK(DecideFetch(nullptr, T0) == FetchOutcome::kMiss);
  CacheValue placeholder(family);
  placeholder.lease_token = NewLeaseToken();
  placeholder.lease_until_ms = T0 + 100;
  CHECK(DecideFetch(&placeholder, T0) == FetchOutcome::kWait);
  CHECK(DecideFetch(&placeholder, T0 + 99) == FetchOutcome::kWait);
  CHECK(DecideFetch(&placeholder, T0 + 100) == FetchOutcome::kMiss);  // its filler gave up

  CacheValue v(family);
  v.has_data = true;
  v.fresh_until_ms = T0 + 1000;
  CHECK(DecideFetch(&v, T0 + 999) == FetchOutcome::kHit);
  CHECK(DecideFetch(&v, T0 + 1000) == FetchOutcome::kStaleRefresh);
  v.lease_token = NewLeaseToken();
  v.lease_until_ms = T0 + 1500;
  CHECK(DecideFetch(&v, T0 + 1200) == FetchOutcome::kStale);  // someone refreshes
  CHECK(DecideFetch(&v, T0 + 1500) == FetchOutcome::kStaleRefresh);
  v.fresh_until_ms = 0;  // no TTL: fresh until it goes
  CHECK(DecideFetch(&v, T0 + 1'000'000) == FetchOutcome::kHit);
}

TEST_CASE("cache: FILL is allowed only with the entry's running lease", "[cache]") {
  CacheFamilyState family;
  CacheValue v(family);
  v.lease_token = NewLeaseToken();
  v.lease_until_ms = T0 + 100;
  CHECK(FillAllowed(&v, v.lease_token, T0));
  CHECK_FALSE(FillAllowed(&v, v.lease_token + 1, T0));    // another caller's, or a forged one
  CHECK_FALSE(FillAllowed(&v, v.lease_token, T0 + 100));  // the lease ended
  CHECK_FALSE(FillAllowed(nullptr, v.lease_token, T0));   // invalidated or deleted
  CacheValue stored(family);                              // a SET or another fill since: no lease
  stored.has_data = true;
  CHECK_FALSE(FillAllowed(&stored, v.lease_token, T0));
  CHECK_FALSE(FillAllowed(&stored, 0, T0));
  // Tokens are positive and never repeat.
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; i++) {
    const uint64_t t = NewLeaseToken();
    CHECK(t > 0);
    CHECK(t < (uint64_t{1} << 63));
    CHECK(seen.insert(t).second);
  }
}

TEST_CASE("cache: the tag index follows entries stored, renamed, retagged and deleted", "[cache]") {
  daemon::RegisterValueType(kCacheType);
  daemon::FamilyStates states;
  CacheFamilyState& family = states.Make<CacheFamilyState>();
  daemon::Clock clock(true);
  daemon::Keyspace ks(clock);
  auto put = [&ks, &family](const std::string& key, std::vector<std::string> tags) {
    auto v = std::make_unique<CacheValue>(family);
    v->has_data = true;
    v->SetTags(std::move(tags));
    daemon::KeyRef ref = ks.Locate(key, daemon::Lookup::kWrite);
    ks.SetObject(ref, std::move(v), daemon::Ttl::Clear());
  };
  auto tagged = [&family](std::string_view tag) {
    auto keys = family.KeysTagged(tag);
    return std::set<std::string>(keys.begin(), keys.end());
  };
  put("a", {"t1", "t2"});
  put("b", {"t1"});
  CHECK(tagged("t1") == std::set<std::string>{"a", "b"});
  CHECK(tagged("t2") == std::set<std::string>{"a"});
  REQUIRE(ks.Rename("b", "c", false) == daemon::Keyspace::RenameResult::kRenamed);
  CHECK(tagged("t1") == std::set<std::string>{"a", "c"});
  put("a", {"t3"});  // an overwrite replaces the tags
  CHECK(tagged("t1") == std::set<std::string>{"c"});
  CHECK(tagged("t2").empty());
  CHECK(tagged("t3") == std::set<std::string>{"a"});
  daemon::KeyRef c = ks.Locate("c", daemon::Lookup::kWrite);
  CHECK(ks.Delete(c));
  CHECK(tagged("t1").empty());
  // A dump read back keeps the tags and is indexed under its new key.
  std::string dump;
  daemon::Keyspace::Dump(*ks.Find("a", daemon::Lookup::kPeek), &dump);
  daemon::RestoredValue restored;
  REQUIRE(daemon::Keyspace::Restore(dump, states, &restored));
  daemon::KeyRef copy = ks.Locate("a2", daemon::Lookup::kWrite);
  ks.SetRestored(copy, std::move(restored), daemon::Ttl::Clear());
  CHECK(tagged("t3") == std::set<std::string>{"a", "a2"});
  ks.Clear();
  CHECK(tagged("t3").empty());
}

}  // namespace
}  // namespace pylon::cache
