// Dumps come from outside too (CLUSTER IMPORT from another node, a damaged log): a restored
// value must not name a time or a count that no command could have produced, since the
// arithmetic that follows (now + a lease, an attempt + 1) would overflow. Each family's restore
// takes its own valid dump and refuses the same dump with one field pushed past its bound.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/wire.h"
#include "daemon/family_state.h"
#include "daemon/value.h"
#include "modules/breaker/breaker.h"
#include "modules/cache/cache_value.h"
#include "modules/idempotency/idempotency.h"
#include "modules/queue/queue.h"
#include "modules/retry/retry_value.h"

namespace pylon {
namespace {

constexpr int64_t T0 = 4102444800123;  // a time no other field of these dumps holds

// The dump with the one 8-byte occurrence of `from` replaced by `to`.
std::string Replaced(const std::string& dump, int64_t from, int64_t to) {
  char pattern[8], value[8];
  std::memcpy(pattern, &from, 8);
  std::memcpy(value, &to, 8);
  const size_t at = dump.find(std::string_view(pattern, 8));
  REQUIRE(at != std::string::npos);
  REQUIRE(dump.find(std::string_view(pattern, 8), at + 1) == std::string::npos);
  std::string out = dump;
  std::memcpy(out.data() + at, value, 8);
  return out;
}

TEST_CASE("restore: a breaker's times stay within 2^62", "[restore]") {
  breaker::Breaker b(breaker::Config{.consecutive = 1}, T0);
  breaker::Transitions transitions;
  b.Record(false, 0, T0, &transitions);  // OPEN since T0
  REQUIRE(b.state() == breaker::State::kOpen);
  std::string dump;
  b.Dump(&dump);
  CHECK(breaker::Breaker::Restore(dump));
  CHECK(breaker::Breaker::Restore(Replaced(dump, T0, int64_t{1} << 62)));
  CHECK_FALSE(breaker::Breaker::Restore(Replaced(dump, T0, INT64_MAX)));
  CHECK_FALSE(breaker::Breaker::Restore(Replaced(dump, T0, -1)));
}

TEST_CASE("restore: a retry sequence's attempt and delay stay within their bounds", "[restore]") {
  std::string dump;
  common::wire::Put(&dump, uint8_t{1});
  common::wire::Put(&dump, int64_t{3});
  common::wire::Put(&dump, T0 % (int64_t{1} << 42));
  REQUIRE(retry::RetryValue::Parse(dump));
  std::string huge_attempt = dump, huge_delay = dump;
  const int64_t max = INT64_MAX, past_cap = (int64_t{1} << 42) + 1;
  std::memcpy(huge_attempt.data() + 1, &max, 8);
  std::memcpy(huge_delay.data() + 9, &past_cap, 8);
  CHECK_FALSE(retry::RetryValue::Parse(huge_attempt));
  CHECK_FALSE(retry::RetryValue::Parse(huge_delay));
}

TEST_CASE("restore: an idempotency record's TTL stays within 2^42 ms", "[restore]") {
  idempotency::Record r;
  r.fingerprint = "f";
  r.lock_until_ms = 5;
  r.ttl_ms = T0 % (int64_t{1} << 42);
  std::string dump;
  r.Serialize(&dump);
  REQUIRE(idempotency::Record::Deserialize(dump));
  CHECK(idempotency::Record::Deserialize(Replaced(dump, r.ttl_ms, int64_t{1} << 42)));
  CHECK_FALSE(idempotency::Record::Deserialize(Replaced(dump, r.ttl_ms, INT64_MAX)));
}

TEST_CASE("restore: a queue's push and due times stay within 2^62", "[restore]") {
  queue::Queue q;
  q.Push(T0, "with-id", 0, 0, "job-1");  // kept one by one: its own push time
  q.Push(T0 + 1, "packed", 0, 0);        // in a log: the log's first push time
  std::string dump;
  q.Serialize(&dump);
  REQUIRE(queue::Queue::Deserialize(dump));
  CHECK_FALSE(queue::Queue::Deserialize(Replaced(dump, T0, INT64_MAX)));
  CHECK_FALSE(queue::Queue::Deserialize(Replaced(dump, T0, -1)));
  CHECK_FALSE(queue::Queue::Deserialize(Replaced(dump, T0 + 1, INT64_MAX)));
}

TEST_CASE("restore: a cache entry's tag count is held to what its payload can hold", "[restore]") {
  std::string dump;
  common::wire::Put(&dump, uint8_t{1});   // format
  common::wire::Put(&dump, uint8_t{1});   // has data
  common::wire::Put(&dump, T0);           // fresh until
  common::wire::Put(&dump, uint64_t{0});  // lease token
  common::wire::Put(&dump, int64_t{0});   // lease until
  common::wire::Put(&dump, uint32_t{1});  // one tag
  common::wire::PutText(&dump, "tag");
  dump += "data";
  daemon::FamilyStates states;
  states.Make<cache::CacheFamilyState>();
  daemon::RestoredValue out;
  REQUIRE(cache::kCacheType.restore(dump, states, &out));
  // A count of 4,000,000 tags with a payload of a few dozen bytes: refused, nothing allocated.
  std::string lying = dump;
  const uint32_t many = 4000000;
  std::memcpy(lying.data() + 1 + 1 + 8 + 8 + 8, &many, 4);
  lying.append(std::string(1000, 'x'));
  CHECK_FALSE(cache::kCacheType.restore(lying, states, &out));
}

}  // namespace
}  // namespace pylon
