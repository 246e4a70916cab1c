// Semaphores without a server: leases end at exactly their end, the limit refuses newcomers
// (and a lower limit revokes nobody), tokens are unique, and a semaphore survives its dump.
#include "modules/semaphore/semaphore.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <unordered_set>

#include "daemon/clock.h"
#include "daemon/family_state.h"
#include "daemon/keyspace.h"
#include "modules/semaphore/semaphore_value.h"

namespace pylon::semaphore {
namespace {

constexpr int64_t T0 = 1'700'000'000'000;

TEST_CASE("semaphore: a lease frees its slot at exactly its end", "[semaphore]") {
  Semaphore s;
  REQUIRE(s.Acquire(T0, 1, 1000, 1));
  CHECK_FALSE(s.Acquire(T0 + 999, 1, 1000, 2));  // still held on its last millisecond
  CHECK(s.holders() == 1);
  CHECK(s.Acquire(T0 + 1000, 1, 1000, 3));  // free at T0 + 1000
  CHECK(s.holders() == 1);
  CHECK(s.counters().expired == 1);
  CHECK(s.counters().refused == 1);
  CHECK(s.counters().acquired == 2);
  // The expired holder's token no longer releases anything.
  CHECK_FALSE(s.Release(T0 + 1000, 1));
  CHECK(s.Release(T0 + 1000, 3));
  CHECK(s.holders() == 0);
  CHECK(s.counters().released == 1);
}

TEST_CASE("semaphore: expiry drops exactly the ended leases, in lease-end order", "[semaphore]") {
  Semaphore s;
  // Leases of different lengths, acquired out of their end order.
  REQUIRE(s.Acquire(T0, 10, 500, 1));    // ends T0 + 500
  REQUIRE(s.Acquire(T0, 10, 100, 2));    // ends T0 + 100
  REQUIRE(s.Acquire(T0, 10, 300, 3));    // ends T0 + 300
  REQUIRE(s.Acquire(T0, 10, 10000, 4));  // ends T0 + 10000
  CHECK(s.LatestLeaseEnd() == T0 + 10000);
  CHECK(s.Expire(T0 + 99) == 0);
  CHECK(s.Expire(T0 + 300) == 2);  // 2 and 3
  CHECK(s.holders() == 2);
  CHECK(s.Release(T0 + 300, 1));
  CHECK_FALSE(s.Release(T0 + 300, 2));
  CHECK(s.Expire(T0 + 20000) == 1);
  CHECK(s.holders() == 0);
  CHECK_FALSE(s.LatestLeaseEnd());
  CHECK(s.counters().expired == 3);
}

TEST_CASE("semaphore: the limit refuses newcomers; the newest LIMIT applies", "[semaphore]") {
  Semaphore s;
  for (uint64_t t = 1; t <= 3; t++) REQUIRE(s.Acquire(T0, 3, 1000, t));
  CHECK(s.available() == 0);
  CHECK_FALSE(s.Acquire(T0, 3, 1000, 4));
  // A higher limit admits more at once.
  CHECK(s.Acquire(T0, 4, 1000, 5));
  CHECK(s.limit() == 4);
  // A lower one revokes nobody, and refuses until enough holders have gone.
  CHECK_FALSE(s.Acquire(T0, 2, 1000, 6));
  CHECK(s.limit() == 2);
  CHECK(s.holders() == 4);
  CHECK(s.available() == 0);
  CHECK(s.Release(T0, 1));
  CHECK(s.Release(T0, 2));
  CHECK_FALSE(s.Acquire(T0, 2, 1000, 7));  // 2 holders still
  CHECK(s.Release(T0, 3));
  CHECK(s.Acquire(T0, 2, 1000, 8));
  CHECK(s.counters().refused == 3);
}

TEST_CASE("semaphore: tokens are unique and never 0", "[semaphore]") {
  std::unordered_set<uint64_t> seen;
  for (int i = 0; i < 100000; i++) {
    const uint64_t t = NewToken();
    CHECK(t != 0);
    CHECK(seen.insert(t).second);
  }
}

TEST_CASE("semaphore: serialize and deserialize; corrupt forms are refused", "[semaphore]") {
  Semaphore s;
  REQUIRE(s.Acquire(T0, 5, 700, 11));
  REQUIRE(s.Acquire(T0, 5, 300, 12));
  REQUIRE(s.Acquire(T0, 5, 900, 13));
  REQUIRE(s.Release(T0, 13));
  std::string form;
  s.Serialize(&form);
  const std::optional<Semaphore> back = Semaphore::Deserialize(form);
  REQUIRE(back);
  CHECK(back->limit() == 5);
  CHECK(back->holders() == 2);
  CHECK(back->by_lease_end() == s.by_lease_end());
  CHECK(back->counters().acquired == 3);
  CHECK(back->counters().released == 1);
  CHECK_FALSE(Semaphore::Deserialize(""));
  CHECK_FALSE(Semaphore::Deserialize(form.substr(0, form.size() - 1)));
  CHECK_FALSE(Semaphore::Deserialize(form + "x"));
  std::string bad_format = form;
  bad_format[0] = 9;
  CHECK_FALSE(Semaphore::Deserialize(bad_format));
}

TEST_CASE("semaphore: a value in the keyspace dumps and restores with its holders", "[semaphore]") {
  daemon::RegisterValueType(kSemaphoreType);
  daemon::FamilyStates states;
  SemaphoreStats& stats = states.Make<SemaphoreStats>();
  daemon::Clock clock(true);
  daemon::Keyspace ks(clock);
  auto v = std::make_unique<SemaphoreValue>(stats);
  const uint64_t token = NewToken();
  REQUIRE(v->Acquire(T0, 2, 1000, token));
  daemon::KeyRef ref = ks.Locate("sem", daemon::Lookup::kWrite);
  ks.SetObject(ref, std::move(v), daemon::Ttl::Clear());
  std::string dump;
  daemon::Keyspace::Dump(*ks.Find("sem", daemon::Lookup::kPeek), &dump);
  daemon::RestoredValue restored;
  REQUIRE(daemon::Keyspace::Restore(dump, states, &restored));
  REQUIRE(restored.object);
  auto* copy = static_cast<SemaphoreValue*>(restored.object.get());
  CHECK(copy->type().name == "semaphore");
  CHECK(copy->semaphore().holders() == 1);
  CHECK(copy->Release(T0 + 1, token));
  // New tokens never repeat a restored holder's.
  CHECK(NewToken() > token);
  CHECK_FALSE(kSemaphoreType.evictable);
}

}  // namespace
}  // namespace pylon::semaphore
