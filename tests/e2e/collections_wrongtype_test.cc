// -WRONGTYPE between the collection types and Pylon's own types, both ways: redis-server has no
// rate limits or queues to compare with, so this is the part of the collections' WRONGTYPE
// matrix that tests/compat/collections_differential_test.py cannot reach. Each Pylon type's key
// is made by its family's own command; then a read and a write of each collection type must be
// refused on it, and a family command must be refused on each collection's key.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

const std::string kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";

struct Family {
  std::string type_name;                // TYPE's answer
  std::vector<std::string> create;      // makes "fam" a key of this type
  std::vector<std::string> on_foreign;  // a family command on the key "coll" (a collection)
};

// {key} is replaced by the key under test.
std::vector<std::string> With(std::vector<std::string> args, const std::string& key) {
  for (std::string& a : args) {
    if (a == "{key}") a = key;
  }
  return args;
}

TEST_CASE("collections and Pylon's types refuse each other with WRONGTYPE", "[wrongtype]") {
  PylonServer server;
  auto c = server.Connect();
  const std::vector<Family> families = {
      {"MBbloom--", {"BF.ADD", "{key}", "a"}, {"BF.ADD", "{key}", "a"}},
      {"ratelimit",
       {"RL.ALLOW", "{key}", "LIMIT", "10", "PERIOD", "1000"},
       {"RL.ALLOW", "{key}", "LIMIT", "10", "PERIOD", "1000"}},
      {"queue", {"Q.PUSH", "{key}", "job"}, {"Q.PUSH", "{key}", "job"}},
      // CACHE.SET, as SET, replaces a key of any type: its read is refused.
      {"cache", {"CACHE.SET", "{key}", "v"}, {"CACHE.GET", "{key}"}},
      {"ring", {"RING.ADD", "{key}", "node-a"}, {"RING.ADD", "{key}", "node-a"}},
      {"semaphore", {"SEM.ACQUIRE", "{key}", "LIMIT", "3"}, {"SEM.ACQUIRE", "{key}", "LIMIT", "3"}},
      {"retry", {"RETRY.NEXT", "{key}"}, {"RETRY.NEXT", "{key}"}},
  };
  // A read and a write of each collection type, on key {key}.
  const std::vector<std::vector<std::string>> collection_calls = {
      {"HGET", "{key}", "f"},         {"HSET", "{key}", "f", "v"}, {"LRANGE", "{key}", "0", "-1"},
      {"LPUSH", "{key}", "x"},        {"SMEMBERS", "{key}"},       {"SADD", "{key}", "x"},
      {"ZRANGE", "{key}", "0", "-1"}, {"ZADD", "{key}", "1", "x"},
  };
  const std::vector<std::vector<std::string>> collection_makers = {
      {"HSET", "{key}", "f", "v"},
      {"RPUSH", "{key}", "x"},
      {"SADD", "{key}", "x"},
      {"ZADD", "{key}", "1", "x"},
  };
  for (const Family& f : families) {
    INFO(f.type_name);
    REQUIRE(Command(c, {"DEL", "fam"}).type == Reply::Type::kInteger);
    REQUIRE(Command(c, With(f.create, "fam")).type != Reply::Type::kError);
    REQUIRE(Command(c, {"TYPE", "fam"}) == Reply::Status(f.type_name));
    for (const auto& call : collection_calls) {
      INFO(call[0]);
      CHECK(Command(c, With(call, "fam")) == Reply::Error(kWrongType));
    }
    for (const auto& maker : collection_makers) {
      INFO(maker[0]);
      REQUIRE(Command(c, {"DEL", "coll"}).type == Reply::Type::kInteger);
      REQUIRE(Command(c, With(maker, "coll")) == Reply::Int(1));
      CHECK(Command(c, With(f.on_foreign, "coll")) == Reply::Error(kWrongType));
    }
  }
}

}  // namespace
}  // namespace pylon::e2e
