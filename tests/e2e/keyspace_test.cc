// The keyspace through a real server: expiry on the test clock (lazy and active), SCAN while the
// table resizes, WATCH against writes and expiry, and the errors of bad input.
// The reply texts of every key and string command are compared with redis-server by
// tests/compat/keyspace_differential_test.py; these tests cover what needs the test clock or
// many keys.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

std::string Key(std::string_view prefix, int i) { return std::string(prefix) + std::to_string(i); }

// Sets keys prefix0 .. prefix(n-1) in one pipeline; `extra` are appended to each SET.
void SetMany(const Connection& c, std::string_view prefix, int n,
             const std::vector<std::string>& extra = {}) {
  for (int i = 0; i < n; i++) {
    std::vector<std::string> args = {"SET", Key(prefix, i), "v"};
    args.insert(args.end(), extra.begin(), extra.end());
    Append(c, args);
  }
  for (int i = 0; i < n; i++) REQUIRE(GetReply(c) == Reply::Ok());
}

int64_t Advance(const Connection& c, int64_t ms) {
  Reply now = Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)});
  REQUIRE(now.type == Reply::Type::kInteger);
  return now.integer;
}

std::string Info(const Connection& c, std::string_view field, const char* section) {
  Reply info = Command(c, {"INFO", section});
  REQUIRE(info.type == Reply::Type::kBulk);
  return InfoField(info.str, field).value_or("<missing>");
}

TEST_CASE("a key set with PX 100 is there at +100 ms and gone at +101", "[keyspace][expiry]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "k", "v", "PX", "100"}) == Reply::Ok());
  CHECK(Command(c, {"PTTL", "k"}) == Reply::Int(100));
  Advance(c, 99);
  CHECK(Command(c, {"GET", "k"}) == Reply::Bulk("v"));
  CHECK(Command(c, {"PTTL", "k"}) == Reply::Int(1));
  Advance(c, 1);
  CHECK(Command(c, {"GET", "k"}) == Reply::Bulk("v"));  // due now, but not yet past
  CHECK(Command(c, {"PTTL", "k"}) == Reply::Int(0));
  Advance(c, 1);
  CHECK(Command(c, {"GET", "k"}) == Reply::Nil());
  CHECK(Command(c, {"PTTL", "k"}) == Reply::Int(-2));
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(0));
}

TEST_CASE("EXPIRE, EXPIREAT, SET EXAT and GETEX agree on the test clock", "[keyspace][expiry]") {
  PylonServer server;
  auto c = server.Connect();
  const int64_t now = Advance(c, 0);
  const std::string at_s = std::to_string(now / 1000 + 10);
  REQUIRE(Command(c, {"SET", "a", "1", "EXAT", at_s}) == Reply::Ok());
  REQUIRE(Command(c, {"SET", "b", "1"}) == Reply::Ok());
  CHECK(Command(c, {"EXPIREAT", "b", at_s}) == Reply::Int(1));
  REQUIRE(Command(c, {"SET", "c", "1"}) == Reply::Ok());
  CHECK(Command(c, {"GETEX", "c", "PXAT", std::to_string((now / 1000 + 10) * 1000)}) ==
        Reply::Bulk("1"));
  for (const char* key : {"a", "b", "c"}) {
    CHECK(Command(c, {"EXPIRETIME", key}) == Reply::Int(now / 1000 + 10));
  }
  // EXPIRE GT/LT compare with the current expiry; a persistent key counts as infinite.
  CHECK(Command(c, {"EXPIRE", "a", "1000", "LT"}) == Reply::Int(0));
  CHECK(Command(c, {"EXPIRE", "a", "1", "LT"}) == Reply::Int(1));
  REQUIRE(Command(c, {"SET", "p", "1"}) == Reply::Ok());
  CHECK(Command(c, {"EXPIRE", "p", "5", "GT"}) == Reply::Int(0));
  CHECK(Command(c, {"EXPIRE", "p", "5", "LT"}) == Reply::Int(1));
  Advance(c, (now / 1000 + 10) * 1000 - now + 1);  // just past the shared deadline
  CHECK(Command(c, {"EXISTS", "a", "b", "c", "p"}) == Reply::Int(0));
}

TEST_CASE("the active cycle removes expired keys nobody reads", "[keyspace][expiry]") {
  PylonServer server;
  auto c = server.Connect();
  SetMany(c, "volatile:", 300, {"PX", "1000"});
  SetMany(c, "persistent:", 200);
  CHECK(Info(c, "db0", "keyspace").starts_with("keys=500,expires=300,avg_ttl="));
  // TESTCLOCK runs the server's cron at the new time, so expiry happens without a read.
  Advance(c, 1001);
  CHECK(Info(c, "expired_keys", "stats") == "300");
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(200));
  CHECK(Info(c, "db0", "keyspace") == "keys=200,expires=0,avg_ttl=0");
  CHECK(Info(c, "keyspace_misses", "stats") == "0");  // nobody read them
}

TEST_CASE("an expired key reads as missing and is counted once", "[keyspace][expiry]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "k", "v", "PX", "5"}) == Reply::Ok());
  Advance(c, 10);
  CHECK(Command(c, {"GET", "k"}) == Reply::Nil());
  CHECK(Command(c, {"TTL", "k"}) == Reply::Int(-2));
  CHECK(Command(c, {"SET", "k", "again", "NX"}) == Reply::Ok());  // the name is free
  CHECK(Info(c, "expired_keys", "stats") == "1");
  CHECK(Info(c, "keyspace_misses", "stats") == "2");  // GET and TTL read; SET NX writes
}

TEST_CASE("a full SCAN returns every key present throughout while the table grows",
          "[keyspace][scan]") {
  PylonServer server;
  auto c = server.Connect();
  SetMany(c, "old:", 1000);
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0, added = 0;
  do {
    Reply r = Command(c, {"SCAN", cursor, "COUNT", "10"});
    REQUIRE(r.type == Reply::Type::kArray);
    REQUIRE(r.elements.size() == 2);
    cursor = r.elements[0].str;
    for (const std::string& key : r.elements[1].Strings()) seen.insert(key);
    // Over the first 40 calls, enough new keys to double the table three times.
    if (calls++ < 40) {
      SetMany(c, Key("new", calls) + ":", 200);
      added += 200;
    }
  } while (cursor != "0" && calls < 100000);
  CHECK(cursor == "0");
  CHECK(added == 8000);
  int missing = 0;
  for (int i = 0; i < 1000; i++) missing += seen.count(Key("old:", i)) == 0;
  CHECK(missing == 0);
}

TEST_CASE("SCAN filters by MATCH and TYPE and rejects bad arguments", "[keyspace][scan]") {
  PylonServer server;
  auto c = server.Connect();
  SetMany(c, "user:", 50);
  SetMany(c, "order:", 50);
  std::set<std::string> seen;
  std::string cursor = "0";
  do {
    Reply r = Command(c, {"SCAN", cursor, "MATCH", "user:*", "COUNT", "7", "TYPE", "string"});
    REQUIRE(r.elements.size() == 2);
    cursor = r.elements[0].str;
    for (const std::string& key : r.elements[1].Strings()) seen.insert(key);
  } while (cursor != "0");
  CHECK(seen.size() == 50);
  CHECK(std::all_of(seen.begin(), seen.end(), [](auto& k) { return k.starts_with("user:"); }));
  Reply none = Command(c, {"SCAN", "0", "COUNT", "1000", "TYPE", "list"});
  CHECK(none.elements.at(1).elements.empty());
  CHECK(Command(c, {"SCAN", "x"}) == Reply::Error("ERR invalid cursor"));
  CHECK(Command(c, {"SCAN", "0", "COUNT", "0"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"SCAN", "0", "MATCH"}) == Reply::Error("ERR syntax error"));
  // A COUNT whose tenfold overflows (the bound on buckets visited) saturates: one call, all.
  for (const std::string count :
       {"922337203685477580", "922337203685477581", "4611686018427387904", "9223372036854775807"}) {
    INFO("COUNT " << count);
    Reply all = Command(c, {"SCAN", "0", "COUNT", count});
    REQUIRE(all.elements.size() == 2);
    CHECK(all.elements[0] == Reply::Bulk("0"));
    CHECK(all.elements[1].elements.size() == 100);
  }
}

TEST_CASE("WATCH aborts EXEC after another client's write, not after a no-op",
          "[keyspace][watch]") {
  PylonServer server;
  auto a = server.Connect();
  auto b = server.Connect();
  REQUIRE(Command(a, {"SET", "k", "1"}) == Reply::Ok());

  SECTION("a write from another client aborts") {
    CHECK(Command(a, {"WATCH", "k"}) == Reply::Ok());
    CHECK(Command(b, {"INCR", "k"}) == Reply::Int(2));
    CHECK(Command(a, {"MULTI"}) == Reply::Ok());
    CHECK(Command(a, {"SET", "k", "from-a"}) == Reply::Status("QUEUED"));
    CHECK(Command(a, {"EXEC"}) == Reply::Nil());
    CHECK(Command(b, {"GET", "k"}) == Reply::Bulk("2"));
  }
  SECTION("writes that change nothing do not abort") {
    CHECK(Command(a, {"WATCH", "k", "missing"}) == Reply::Ok());
    CHECK(Command(b, {"SET", "k", "x", "NX"}) == Reply::Nil());
    CHECK(Command(b, {"DEL", "missing"}) == Reply::Int(0));
    CHECK(Command(b, {"EXPIRE", "missing", "10"}) == Reply::Int(0));
    CHECK(Command(b, {"PERSIST", "k"}) == Reply::Int(0));
    CHECK(Command(b, {"GET", "k"}) == Reply::Bulk("1"));
    CHECK(Command(a, {"MULTI"}) == Reply::Ok());
    CHECK(Command(a, {"INCR", "k"}) == Reply::Status("QUEUED"));
    CHECK(Command(a, {"EXEC"}) == Reply::Array({Reply::Int(2)}));
  }
  SECTION("RENAME aborts watchers of both keys, FLUSHALL of every key") {
    CHECK(Command(a, {"WATCH", "dst"}) == Reply::Ok());
    CHECK(Command(b, {"RENAME", "k", "dst"}) == Reply::Ok());
    CHECK(Command(a, {"MULTI"}) == Reply::Ok());
    CHECK(Command(a, {"PING"}) == Reply::Status("QUEUED"));
    CHECK(Command(a, {"EXEC"}) == Reply::Nil());
    CHECK(Command(a, {"WATCH", "dst"}) == Reply::Ok());
    CHECK(Command(b, {"FLUSHALL"}) == Reply::Ok());
    CHECK(Command(a, {"MULTI"}) == Reply::Ok());
    CHECK(Command(a, {"PING"}) == Reply::Status("QUEUED"));
    CHECK(Command(a, {"EXEC"}) == Reply::Nil());
  }
}

TEST_CASE("WATCH aborts EXEC when the watched key expires in between", "[keyspace][watch]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "k", "v", "PX", "10"}) == Reply::Ok());
  REQUIRE(Command(c, {"SET", "later", "v", "PX", "10000"}) == Reply::Ok());

  SECTION("expired after WATCH: aborted (as Redis 7.0)") {
    CHECK(Command(c, {"WATCH", "k", "later"}) == Reply::Ok());
    Advance(c, 11);
    CHECK(Command(c, {"MULTI"}) == Reply::Ok());
    CHECK(Command(c, {"GET", "k"}) == Reply::Status("QUEUED"));
    CHECK(Command(c, {"EXEC"}) == Reply::Nil());
  }
  SECTION("not yet expired at EXEC: runs") {
    CHECK(Command(c, {"WATCH", "later"}) == Reply::Ok());
    Advance(c, 11);
    CHECK(Command(c, {"MULTI"}) == Reply::Ok());
    CHECK(Command(c, {"GET", "later"}) == Reply::Status("QUEUED"));
    CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Bulk("v")}));
  }
}

TEST_CASE("string commands refuse bad input with Redis's errors", "[keyspace][strings]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply not_int = Reply::Error("ERR value is not an integer or out of range");
  REQUIRE(Command(c, {"SET", "s", "abc"}) == Reply::Ok());
  CHECK(Command(c, {"INCR", "s"}) == not_int);
  CHECK(Command(c, {"INCRBY", "n", "1x"}) == not_int);
  CHECK(Command(c, {"SET", "max", "9223372036854775807"}) == Reply::Ok());
  CHECK(Command(c, {"INCR", "max"}) == Reply::Error("ERR increment or decrement would overflow"));
  CHECK(Command(c, {"INCRBYFLOAT", "s", "1"}) == Reply::Error("ERR value is not a valid float"));
  CHECK(Command(c, {"INCRBYFLOAT", "n", "inf"}) ==
        Reply::Error("ERR increment would produce NaN or Infinity"));
  CHECK(Command(c, {"SET", "k", "v", "EX", "0"}) ==
        Reply::Error("ERR invalid expire time in 'set' command"));
  CHECK(Command(c, {"SET", "k", "v", "NX", "XX"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"SET", "k", "v", "EX", "10", "PX", "10"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"SETRANGE", "k", "-1", "x"}) == Reply::Error("ERR offset is out of range"));
  CHECK(Command(c, {"GET"}) == Reply::Error("ERR wrong number of arguments for 'get' command"));
  CHECK(Command(c, {"MSET", "a"}) ==
        Reply::Error("ERR wrong number of arguments for 'mset' command"));
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(0));  // no failed SET left a key behind
}

TEST_CASE("a string may not outgrow proto-max-bulk-len", "[keyspace][strings]") {
  PylonServer server({"--proto-max-bulk-len", "1mb"});
  auto c = server.Connect();
  const Reply too_big =
      Reply::Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  CHECK(Command(c, {"SETRANGE", "k", "1048576", "x"}) == too_big);
  CHECK(Command(c, {"SETRANGE", "k", "1048575", "x"}) == Reply::Int(1048576));
  CHECK(Command(c, {"APPEND", "k", "y"}) == too_big);
  CHECK(Command(c, {"STRLEN", "k"}) == Reply::Int(1048576));
  Reply tail = Command(c, {"GETRANGE", "k", "-2", "-1"});
  CHECK(tail == Reply::Bulk(std::string("\0x", 2)));  // zero-filled up to the offset
}

TEST_CASE("keys and strings count hits, misses and memory in INFO", "[keyspace][info]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "k", std::string(1000, 'x')}) == Reply::Ok());
  CHECK(Command(c, {"GET", "k"}).str.size() == 1000);
  CHECK(Command(c, {"GET", "nope"}) == Reply::Nil());
  CHECK(Command(c, {"MGET", "k", "nope", "k"}).elements.size() == 3);
  CHECK(Info(c, "keyspace_hits", "stats") == "3");
  CHECK(Info(c, "keyspace_misses", "stats") == "2");
  Reply usage = Command(c, {"MEMORY", "USAGE", "k"});
  REQUIRE(usage.type == Reply::Type::kInteger);
  CHECK(usage.integer >= 1000);
  CHECK(usage.integer < 1200);
  // The dataset holds the entry; MEMORY USAGE adds the key's share of the bucket array.
  CHECK(std::stoll(Info(c, "used_memory_dataset", "memory")) >= 1000);
  CHECK(Command(c, {"CONFIG", "RESETSTAT"}) == Reply::Ok());
  CHECK(Info(c, "keyspace_hits", "stats") == "0");
  CHECK(Command(c, {"OBJECT", "ENCODING", "k"}) == Reply::Bulk("raw"));
  CHECK(Command(c, {"SET", "n", "12345"}) == Reply::Ok());
  CHECK(Command(c, {"OBJECT", "ENCODING", "n"}) == Reply::Bulk("int"));
  CHECK(Command(c, {"APPEND", "n", "6"}) == Reply::Int(6));
  CHECK(Command(c, {"OBJECT", "ENCODING", "n"}) == Reply::Bulk("raw"));  // as Redis: APPEND
}

}  // namespace
}  // namespace pylon::e2e
