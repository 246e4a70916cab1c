// SEM.* over real sockets on the test clock: the limit, leases that end at exactly their end,
// release, the key's TTL at the latest lease end, RESP2 and RESP3 replies, INFO, and bad input.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

void Advance(const Connection& c, int64_t ms) {
  REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)}).type == Reply::Type::kInteger);
}

std::string Acquire(const Connection& c, const std::string& key, const std::string& limit,
                    const std::string& lease) {
  const Reply r = Command(c, {"SEM.ACQUIRE", key, "LIMIT", limit, "LEASE", lease});
  REQUIRE(r.type == Reply::Type::kBulk);
  return r.str;
}

Reply Info(const std::vector<int64_t>& v) {
  const char* names[] = {"limit",   "holders",  "available", "acquired",
                         "refused", "released", "expired"};
  std::vector<Reply> e;
  for (size_t i = 0; i < v.size(); i++) {
    e.push_back(Reply::Bulk(names[i]));
    e.push_back(Reply::Int(v[i]));
  }
  return Reply::Array(e);
}

TEST_CASE("semaphore: limit, lease expiry at its end, release, TYPE and TTL", "[semaphore]") {
  PylonServer server;
  auto c = server.Connect();
  const std::string t1 = Acquire(c, "db", "2", "1000");
  Advance(c, 100);
  const std::string t2 = Acquire(c, "db", "2", "1000");
  CHECK(t1 != t2);
  CHECK(Command(c, {"SEM.ACQUIRE", "db", "LIMIT", "2", "LEASE", "1000"}) == Reply::Nil());
  CHECK(Command(c, {"TYPE", "db"}) == Reply::Status("semaphore"));
  CHECK(Command(c, {"PTTL", "db"}) == Reply::Int(1000));  // the latest lease end (t2's)
  CHECK(Command(c, {"SEM.INFO", "db"}) == Info({2, 2, 0, 2, 1, 0, 0}));

  // t1's lease ends at +1000: held on its last millisecond, free at its end.
  Advance(c, 899);
  CHECK(Command(c, {"SEM.ACQUIRE", "db", "LIMIT", "2"}) == Reply::Nil());
  Advance(c, 1);
  const std::string t3 = Acquire(c, "db", "2", "5000");
  CHECK(Command(c, {"SEM.RELEASE", "db", t1}) == Reply::Int(0));  // its lease ended
  CHECK(Command(c, {"SEM.RELEASE", "db", t3}) == Reply::Int(1));
  CHECK(Command(c, {"SEM.RELEASE", "db", t3}) == Reply::Int(0));  // already released
  CHECK(Command(c, {"SEM.RELEASE", "db", "not-a-token"}) == Reply::Int(0));
  CHECK(Command(c, {"SEM.RELEASE", "nosuch", t2}) == Reply::Int(0));
  CHECK(Command(c, {"SEM.INFO", "db"}) == Info({2, 1, 1, 3, 2, 1, 1}));
  // The key lives until the latest lease granted ends (t3's, although released), then goes.
  CHECK(Command(c, {"PTTL", "db"}) == Reply::Int(5000));
  Advance(c, 5000);
  CHECK(Command(c, {"EXISTS", "db"}) == Reply::Int(1));
  Advance(c, 1);
  CHECK(Command(c, {"EXISTS", "db"}) == Reply::Int(0));
  CHECK(Command(c, {"SEM.INFO", "db"}) == Reply::Nil());

  // Tokens are never reused, here across 200 grants of one key.
  std::set<std::string> tokens;
  for (int i = 0; i < 200; i++) {
    const std::string t = Acquire(c, "pool", "1", "10");
    CHECK(tokens.insert(t).second);
    REQUIRE(Command(c, {"SEM.RELEASE", "pool", t}) == Reply::Int(1));
  }
  // The default lease is 30 s.
  Acquire(c, "default", "1", "30000");
  CHECK(Command(c, {"SEM.ACQUIRE", "default2", "LIMIT", "1"}).type == Reply::Type::kBulk);
  CHECK(Command(c, {"PTTL", "default2"}) == Reply::Int(30000));
  CHECK(Command(c, {"DEL", "default2"}) == Reply::Int(1));
  const Reply scan = Command(c, {"SCAN", "0", "TYPE", "semaphore", "COUNT", "100"});
  REQUIRE(scan.elements.size() == 2);
  CHECK(scan.elements[1].Strings().size() == 2);  // pool and default

  const Reply info = Command(c, {"INFO", "semaphores"});
  CHECK(InfoField(info.str, "semaphores") == "2");
  CHECK(InfoField(info.str, "sem_acquired") == "205");
  CHECK(InfoField(info.str, "sem_refused") == "2");
  CHECK(InfoField(info.str, "sem_released") == "201");
  CHECK(InfoField(info.str, "sem_expired") == "1");
}

TEST_CASE("semaphore: the newest LIMIT applies; RESP3 replies", "[semaphore]") {
  PylonServer server;
  auto c = server.Connect();
  const std::string a = Acquire(c, "s", "3", "1000");
  Acquire(c, "s", "3", "1000");
  Acquire(c, "s", "3", "1000");
  // LIMIT 1 now: nobody is revoked, newcomers wait until only 0 holders remain.
  CHECK(Command(c, {"SEM.ACQUIRE", "s", "LIMIT", "1"}) == Reply::Nil());
  CHECK(Command(c, {"SEM.INFO", "s"}) == Info({1, 3, 0, 3, 1, 0, 0}));
  CHECK(Command(c, {"SEM.ACQUIRE", "s", "LIMIT", "5"}).type == Reply::Type::kBulk);

  RawClient r3 = server.Raw();
  REQUIRE(r3.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  const Reply map = r3.Call({"SEM.INFO", "s"});
  REQUIRE(map.type == Reply::Type::kMap);
  CHECK(*map.Field("limit") == Reply::Int(5));
  CHECK(*map.Field("holders") == Reply::Int(4));
  CHECK(*map.Field("available") == Reply::Int(1));
  CHECK(r3.Call({"SEM.ACQUIRE", "s", "LIMIT", "5"}).type == Reply::Type::kBulk);
  CHECK(r3.Call({"SEM.ACQUIRE", "s", "LIMIT", "5"}) == Reply::Nil());  // RESP3 null: _
  CHECK(r3.Call({"SEM.INFO", "nosuch"}) == Reply::Nil());
  CHECK(r3.Call({"SEM.RELEASE", "s", a}) == Reply::Int(1));
}

TEST_CASE("semaphore: bad input answers clear errors and changes nothing", "[semaphore]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "str", "v"}) == Reply::Ok());
  const std::string kWrongType =
      "WRONGTYPE Operation against a key holding the wrong kind of value";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"SEM.ACQUIRE", "k"}, "ERR wrong number of arguments for 'sem.acquire' command"},
      {{"SEM.ACQUIRE", "k", "LIMIT"}, "ERR wrong number of arguments for 'sem.acquire' command"},
      {{"SEM.ACQUIRE", "k", "LEASE", "100"}, "ERR LIMIT is required"},
      {{"SEM.ACQUIRE", "k", "LIMIT", "x"}, "ERR value is not an integer or out of range"},
      {{"SEM.ACQUIRE", "k", "LIMIT", "0"}, "ERR LIMIT must be from 1 to 1000000"},
      {{"SEM.ACQUIRE", "k", "LIMIT", "1000001"}, "ERR LIMIT must be from 1 to 1000000"},
      {{"SEM.ACQUIRE", "k", "LIMIT", "1", "LEASE", "0"},
       "ERR LEASE must be from 1 to 4398046511104 ms"},
      {{"SEM.ACQUIRE", "k", "LIMIT", "1", "LEASE", "-5"},
       "ERR LEASE must be from 1 to 4398046511104 ms"},
      {{"SEM.ACQUIRE", "k", "LIMIT", "1", "LEASE"}, "ERR syntax error"},
      {{"SEM.ACQUIRE", "k", "LIMIT", "1", "BOGUS", "1"}, "ERR syntax error"},
      {{"SEM.ACQUIRE", "str", "LIMIT", "1"}, kWrongType},
      {{"SEM.RELEASE", "str", "1"}, kWrongType},
      {{"SEM.RELEASE", "k"}, "ERR wrong number of arguments for 'sem.release' command"},
      {{"SEM.INFO", "str"}, kWrongType},
      {{"SEM.INFO"}, "ERR wrong number of arguments for 'sem.info' command"},
  };
  for (const auto& [args, error] : cases) {
    INFO(Encode(args));
    CHECK(Command(c, args) == Reply::Error(error));
  }
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(0));
  CHECK(Command(c, {"GET", "str"}) == Reply::Bulk("v"));
  REQUIRE(Command(c, {"SEM.ACQUIRE", "sem", "LIMIT", "1"}).type == Reply::Type::kBulk);
  CHECK(Command(c, {"GET", "sem"}) == Reply::Error(kWrongType));
}

}  // namespace
}  // namespace pylon::e2e
