// UNLINK and FLUSHALL ASYNC hand a large collection to the background thread
// (daemon/lazy_free.h): the key is gone when the command answers, INFO memory counts the value
// as pending and then as freed. Small values and Pylon's own types are freed at once.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

int64_t MemoryInfo(const Connection& c, std::string_view field) {
  return std::stoll(InfoField(Command(c, {"INFO", "memory"}).str, field).value_or("-1"));
}

// Waits (bounded, not timed) until the background thread has freed `count` values in all.
bool FreedReaches(const Connection& c, int64_t count) {
  for (int i = 0; i < 1000; i++) {
    if (MemoryInfo(c, "lazyfreed_objects") >= count) return true;
    usleep(10 * 1000);
  }
  return false;
}

void FillSet(const Connection& c, const std::string& key, int members) {
  std::vector<std::string> sadd = {"SADD", key};
  for (int i = 0; i < members; i++) sadd.push_back("member-" + std::to_string(i));
  REQUIRE(Command(c, sadd) == Reply::Int(members));
}

TEST_CASE("UNLINK and FLUSHALL ASYNC free large collections in the background",
          "[lazy_free][keyspace]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(MemoryInfo(c, "lazyfree_pending_objects") == 0);
  CHECK(MemoryInfo(c, "lazyfreed_objects") == 0);
  FillSet(c, "big", 50000);
  REQUIRE(Command(c, {"SADD", "small", "a"}) == Reply::Int(1));
  REQUIRE(Command(c, {"BF.ADD", "filter", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"UNLINK", "big", "small", "filter", "nokey"}) == Reply::Int(3));
  CHECK(Command(c, {"EXISTS", "big", "small", "filter"}) == Reply::Int(0));
  // Only the large set went to the thread.
  REQUIRE(FreedReaches(c, 1));
  CHECK(MemoryInfo(c, "lazyfreed_objects") == 1);
  CHECK(MemoryInfo(c, "lazyfree_pending_objects") == 0);
  // DEL frees in place.
  FillSet(c, "big", 50000);
  CHECK(Command(c, {"DEL", "big"}) == Reply::Int(1));
  CHECK(MemoryInfo(c, "lazyfreed_objects") == 1);
  // FLUSHALL ASYNC: each large collection; SYNC: none.
  FillSet(c, "a", 50000);
  FillSet(c, "b", 50000);
  CHECK(Command(c, {"FLUSHALL", "ASYNC"}) == Reply::Ok());
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(0));
  REQUIRE(FreedReaches(c, 3));
  FillSet(c, "a", 50000);
  CHECK(Command(c, {"FLUSHALL", "SYNC"}) == Reply::Ok());
  CHECK(MemoryInfo(c, "lazyfreed_objects") == 3);
  CHECK(Command(c, {"CONFIG", "RESETSTAT"}) == Reply::Ok());
  CHECK(MemoryInfo(c, "lazyfreed_objects") == 0);
}

}  // namespace
}  // namespace pylon::e2e
