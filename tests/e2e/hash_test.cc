// Hashes over real sockets: every command's replies (RESP2 and RESP3), WRONGTYPE both ways, the
// key's life (created by a write, gone with its last field), the increments' refusals, OBJECT
// ENCODING at both limits (and their directives), WATCH, and a restart on the append-only log.
// The error texts are Redis 7.0.15's, compared by hand.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

Reply Bulks(std::vector<std::string> items) {
  std::vector<Reply> out;
  for (std::string& s : items) out.push_back(Reply::Bulk(std::move(s)));
  return Reply::Array(std::move(out));
}

TEST_CASE("hash: set, get, delete and the key's life", "[hash]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"HSET", "h", "a", "1", "b", "2"}) == Reply::Int(2));
  CHECK(Command(c, {"HSET", "h", "a", "10", "c", "3"}) == Reply::Int(1));
  CHECK(Command(c, {"TYPE", "h"}) == Reply::Status("hash"));
  CHECK(Command(c, {"HGET", "h", "a"}) == Reply::Bulk("10"));
  CHECK(Command(c, {"HGET", "h", "zz"}) == Reply::Nil());
  CHECK(Command(c, {"HGET", "nokey", "a"}) == Reply::Nil());
  CHECK(Command(c, {"HMGET", "h", "a", "zz", "c"}) ==
        Reply::Array({Reply::Bulk("10"), Reply::Nil(), Reply::Bulk("3")}));
  CHECK(Command(c, {"HMGET", "nokey", "a", "b"}) == Reply::Array({Reply::Nil(), Reply::Nil()}));
  CHECK(Command(c, {"HGETALL", "h"}) == Bulks({"a", "10", "b", "2", "c", "3"}));
  CHECK(Command(c, {"HKEYS", "h"}) == Bulks({"a", "b", "c"}));
  CHECK(Command(c, {"HVALS", "h"}) == Bulks({"10", "2", "3"}));
  CHECK(Command(c, {"HGETALL", "nokey"}) == Reply::Array({}));
  CHECK(Command(c, {"HKEYS", "nokey"}) == Reply::Array({}));
  CHECK(Command(c, {"HLEN", "h"}) == Reply::Int(3));
  CHECK(Command(c, {"HLEN", "nokey"}) == Reply::Int(0));
  CHECK(Command(c, {"HSTRLEN", "h", "a"}) == Reply::Int(2));
  CHECK(Command(c, {"HSTRLEN", "h", "zz"}) == Reply::Int(0));
  CHECK(Command(c, {"HEXISTS", "h", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"HEXISTS", "h", "zz"}) == Reply::Int(0));
  CHECK(Command(c, {"HSETNX", "h", "a", "x"}) == Reply::Int(0));
  CHECK(Command(c, {"HSETNX", "h", "d", "4"}) == Reply::Int(1));
  CHECK(Command(c, {"HSETNX", "fresh", "f", "v"}) == Reply::Int(1));
  CHECK(Command(c, {"HMSET", "h", "e", "5", "a", "1"}) == Reply::Ok());
  CHECK(Command(c, {"HGET", "h", "a"}) == Reply::Bulk("1"));
  CHECK(Command(c, {"HDEL", "h", "a", "zz", "b", "a"}) == Reply::Int(2));
  CHECK(Command(c, {"HDEL", "nokey", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"HDEL", "h", "c", "d", "e"}) == Reply::Int(3));
  CHECK(Command(c, {"EXISTS", "h"}) == Reply::Int(0));  // gone with its last field
  // A key that keeps its TTL through field changes, as Redis.
  CHECK(Command(c, {"HSET", "t", "f", "v"}) == Reply::Int(1));
  CHECK(Command(c, {"PEXPIRE", "t", "100000"}) == Reply::Int(1));
  CHECK(Command(c, {"HSET", "t", "g", "v"}) == Reply::Int(1));
  CHECK(Command(c, {"PTTL", "t"}).integer > 0);
  // Binary-safe fields and values.
  const std::string bin("a\0b\r\n", 5);
  CHECK(Command(c, {"HSET", "bin", bin, bin}) == Reply::Int(1));
  CHECK(Command(c, {"HGET", "bin", bin}) == Reply::Bulk(bin));
}

TEST_CASE("hash: RESP3 replies", "[hash]") {
  PylonServer server;
  RawClient r = server.Raw();
  REQUIRE(r.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  CHECK(r.Call({"HSET", "h", "a", "1", "b", "2"}) == Reply::Int(2));
  CHECK(r.Call({"HGETALL", "h"}) ==
        Reply::Map({Reply::Bulk("a"), Reply::Bulk("1"), Reply::Bulk("b"), Reply::Bulk("2")}));
  CHECK(r.Call({"HGETALL", "nokey"}) == Reply::Map({}));
  CHECK(r.Call({"HKEYS", "h"}) == Bulks({"a", "b"}));
  CHECK(r.Call({"HGET", "h", "zz"}) == Reply::Nil());
  CHECK(r.Call({"HMGET", "h", "a", "zz"}) == Reply::Array({Reply::Bulk("1"), Reply::Nil()}));
  CHECK(r.Call({"HINCRBYFLOAT", "h", "a", "0.5"}) == Reply::Bulk("1.5"));
  // Byte for byte, as redis-server 7.0.15 answers.
  const std::string map = "%2\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n";
  REQUIRE(r.Send(Encode({"HGETALL", "h"})));
  CHECK(r.ReadExactly(map.size()) == map);
  REQUIRE(r.Send(Encode({"HGET", "h", "zz"})));
  CHECK(r.ReadExactly(3) == "_\r\n");
}

TEST_CASE("hash: WRONGTYPE both ways, and arity", "[hash]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply wrongtype =
      Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  REQUIRE(Command(c, {"SET", "s", "v"}) == Reply::Ok());
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"HSET", "s", "f", "v"},
                                             {"HSETNX", "s", "f", "v"},
                                             {"HMSET", "s", "f", "v"},
                                             {"HGET", "s", "f"},
                                             {"HMGET", "s", "f"},
                                             {"HGETALL", "s"},
                                             {"HDEL", "s", "f"},
                                             {"HLEN", "s"},
                                             {"HSTRLEN", "s", "f"},
                                             {"HEXISTS", "s", "f"},
                                             {"HKEYS", "s"},
                                             {"HVALS", "s"},
                                             {"HINCRBY", "s", "f", "1"},
                                             {"HINCRBYFLOAT", "s", "f", "1"}}) {
    INFO(cmd[0]);
    CHECK(Command(c, cmd) == wrongtype);
  }
  REQUIRE(Command(c, {"HSET", "h", "f", "v"}) == Reply::Int(1));
  CHECK(Command(c, {"GET", "h"}) == wrongtype);
  CHECK(Command(c, {"APPEND", "h", "x"}) == wrongtype);
  CHECK(Command(c, {"SET", "h", "x"}) == Reply::Ok());  // SET replaces any type
  CHECK(Command(c, {"TYPE", "h"}) == Reply::Status("string"));

  const std::string arity = "ERR wrong number of arguments for '";
  CHECK(Command(c, {"HSET", "h", "f"}) == Reply::Error(arity + "hset' command"));
  CHECK(Command(c, {"HSET", "h", "f", "v", "g"}) == Reply::Error(arity + "hset' command"));
  CHECK(Command(c, {"HMSET", "h", "f", "v", "g"}) == Reply::Error(arity + "hmset' command"));
  CHECK(Command(c, {"HGET", "h"}) == Reply::Error(arity + "hget' command"));
  CHECK(Command(c, {"HSETNX", "h", "f"}) == Reply::Error(arity + "hsetnx' command"));
  CHECK(Command(c, {"HDEL", "h"}) == Reply::Error(arity + "hdel' command"));
  CHECK(Command(c, {"HINCRBY", "h", "f"}) == Reply::Error(arity + "hincrby' command"));
  CHECK(Command(c, {"HGETALL", "h", "x"}) == Reply::Error(arity + "hgetall' command"));
}

TEST_CASE("hash: HINCRBY and HINCRBYFLOAT", "[hash]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"HINCRBY", "h", "n", "5"}) == Reply::Int(5));
  CHECK(Command(c, {"HINCRBY", "h", "n", "-7"}) == Reply::Int(-2));
  CHECK(Command(c, {"HGET", "h", "n"}) == Reply::Bulk("-2"));
  CHECK(Command(c, {"HINCRBY", "h", "n", "x"}) ==
        Reply::Error("ERR value is not an integer or out of range"));
  REQUIRE(Command(c, {"HSET", "h", "s", "abc", "m", "9223372036854775807"}) == Reply::Int(2));
  CHECK(Command(c, {"HINCRBY", "h", "s", "1"}) == Reply::Error("ERR hash value is not an integer"));
  CHECK(Command(c, {"HINCRBY", "h", "m", "1"}) ==
        Reply::Error("ERR increment or decrement would overflow"));
  CHECK(Command(c, {"HGET", "h", "m"}) == Reply::Bulk("9223372036854775807"));

  CHECK(Command(c, {"HINCRBYFLOAT", "h", "f", "10.5"}) == Reply::Bulk("10.5"));
  CHECK(Command(c, {"HINCRBYFLOAT", "h", "f", "0.1"}) == Reply::Bulk("10.6"));
  CHECK(Command(c, {"HINCRBYFLOAT", "h", "n", "5.0e3"}) == Reply::Bulk("4998"));
  CHECK(Command(c, {"HINCRBYFLOAT", "h", "s", "1"}) ==
        Reply::Error("ERR hash value is not a float"));
  CHECK(Command(c, {"HINCRBYFLOAT", "h", "f", "abc"}) ==
        Reply::Error("ERR value is not a valid float"));
  CHECK(Command(c, {"HINCRBYFLOAT", "h", "f", "nan"}) ==
        Reply::Error("ERR value is not a valid float"));
  CHECK(Command(c, {"HINCRBYFLOAT", "h", "f", "inf"}) ==
        Reply::Error("ERR value is NaN or Infinity"));
  REQUIRE(Command(c, {"HSET", "h", "big", "1e4932"}) == Reply::Int(1));
  CHECK(Command(c, {"HINCRBYFLOAT", "h", "big", "1e4932"}) ==
        Reply::Error("ERR increment would produce NaN or Infinity"));
  // Refused increments create no key.
  CHECK(Command(c, {"HINCRBYFLOAT", "none", "f", "inf"}).is_error());
  CHECK(Command(c, {"HINCRBY", "none", "f", "x"}).is_error());
  CHECK(Command(c, {"EXISTS", "none"}) == Reply::Int(0));
}

TEST_CASE("hash: OBJECT ENCODING at both limits, and their directives", "[hash]") {
  PylonServer server;
  auto c = server.Connect();
  // Redis 7.0's defaults: 512 fields, 64 bytes.
  for (int i = 0; i < 512; i++) {
    REQUIRE(Command(c, {"HSET", "many", "f" + std::to_string(i), "v"}) == Reply::Int(1));
  }
  CHECK(Command(c, {"OBJECT", "ENCODING", "many"}) == Reply::Bulk("listpack"));
  REQUIRE(Command(c, {"HSET", "many", "f512", "v"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "many"}) == Reply::Bulk("hashtable"));
  REQUIRE(Command(c, {"HDEL", "many", "f512", "f511"}) == Reply::Int(2));
  CHECK(Command(c, {"OBJECT", "ENCODING", "many"}) == Reply::Bulk("hashtable"));  // never back

  REQUIRE(Command(c, {"HSET", "long", "f", std::string(64, 'x')}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "long"}) == Reply::Bulk("listpack"));
  REQUIRE(Command(c, {"HSET", "long", "f", std::string(65, 'x')}) == Reply::Int(0));
  CHECK(Command(c, {"OBJECT", "ENCODING", "long"}) == Reply::Bulk("hashtable"));
  REQUIRE(Command(c, {"HSET", "longfield", std::string(65, 'f'), "v"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "longfield"}) == Reply::Bulk("hashtable"));
  CHECK(Command(c, {"MEMORY", "USAGE", "many"}).integer >
        Command(c, {"MEMORY", "USAGE", "long"}).integer);

  CHECK(Command(c, {"CONFIG", "SET", "hash-max-ziplist-entries", "2"}) == Reply::Ok());
  CHECK(Command(c, {"CONFIG", "GET", "hash-max-listpack-entries"}) ==
        Bulks({"hash-max-listpack-entries", "2"}));
  CHECK(Command(c, {"CONFIG", "SET", "hash-max-listpack-value", "3"}) == Reply::Ok());
  REQUIRE(Command(c, {"HSET", "small", "a", "abc", "b", "abc"}) == Reply::Int(2));
  CHECK(Command(c, {"OBJECT", "ENCODING", "small"}) == Reply::Bulk("listpack"));
  REQUIRE(Command(c, {"HSET", "small", "c", "abc"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "small"}) == Reply::Bulk("hashtable"));
  REQUIRE(Command(c, {"HSET", "small2", "a", "abcd"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "small2"}) == Reply::Bulk("hashtable"));
}

TEST_CASE("hash: WATCH sees a field change", "[hash]") {
  PylonServer server;
  auto a = server.Connect();
  auto b = server.Connect();
  REQUIRE(Command(a, {"HSET", "h", "f", "1"}) == Reply::Int(1));
  REQUIRE(Command(a, {"WATCH", "h"}) == Reply::Ok());
  REQUIRE(Command(b, {"HINCRBY", "h", "f", "1"}) == Reply::Int(2));
  REQUIRE(Command(a, {"MULTI"}) == Reply::Ok());
  REQUIRE(Command(a, {"HGET", "h", "f"}) == Reply::Status("QUEUED"));
  CHECK(Command(a, {"EXEC"}) == Reply::Nil());
}

TEST_CASE("hash: a restart on the append-only log keeps every hash and its form", "[hash]") {
  TempDir dir;
  ServerOptions o;
  o.args = {"--appendonly", "yes", "--dir", dir.path(), "--appendfsync", "always"};
  o.wait_loaded = true;
  {
    PylonServer server(o);
    auto c = server.Connect();
    REQUIRE(Command(c, {"HSET", "small", "a", "1", "b", "2"}) == Reply::Int(2));
    REQUIRE(Command(c, {"HINCRBYFLOAT", "small", "f", "0.1"}) == Reply::Bulk("0.1"));
    REQUIRE(Command(c, {"HDEL", "small", "b"}) == Reply::Int(1));
    for (int i = 0; i < 600; i++) {
      REQUIRE(Command(c, {"HSET", "big", "f" + std::to_string(i), std::to_string(i)}) ==
              Reply::Int(1));
    }
    REQUIRE(Command(c, {"HSET", "gone", "f", "v"}) == Reply::Int(1));
    REQUIRE(Command(c, {"HDEL", "gone", "f"}) == Reply::Int(1));
    REQUIRE(server.Stop() == 0);
  }
  PylonServer server(o);
  auto c = server.Connect();
  CHECK(Command(c, {"HGETALL", "small"}) == Bulks({"a", "1", "f", "0.1"}));
  CHECK(Command(c, {"OBJECT", "ENCODING", "small"}) == Reply::Bulk("listpack"));
  CHECK(Command(c, {"HLEN", "big"}) == Reply::Int(600));
  CHECK(Command(c, {"HGET", "big", "f599"}) == Reply::Bulk("599"));
  CHECK(Command(c, {"OBJECT", "ENCODING", "big"}) == Reply::Bulk("hashtable"));
  CHECK(Command(c, {"EXISTS", "gone"}) == Reply::Int(0));
  // A rewrite writes each hash's dump, which reads back the same.
  REQUIRE(Command(c, {"BGREWRITEAOF"}).type == Reply::Type::kStatus);
}

TEST_CASE("hash: HSCAN walks a large hash in steps and misses no field, even as it grows",
          "[hash][scan]") {
  PylonServer server;
  auto c = server.Connect();
  constexpr int kFields = 2000;
  for (int i = 0; i < kFields; i++) {
    Append(c, {"HSET", "big", "f" + std::to_string(i), "v" + std::to_string(i)});
  }
  for (int i = 0; i < kFields; i++) REQUIRE(GetReply(c) == Reply::Int(1));
  REQUIRE(Command(c, {"OBJECT", "ENCODING", "big"}) == Reply::Bulk("hashtable"));
  std::map<std::string, std::string> seen;
  std::string cursor = "0";
  int steps = 0, added = 0;
  do {
    Reply r = Command(c, {"HSCAN", "big", cursor, "COUNT", "50"});
    REQUIRE(r.type == Reply::Type::kArray);
    REQUIRE(r.elements.size() == 2);
    cursor = r.elements[0].str;
    const std::vector<Reply>& items = r.elements[1].elements;
    REQUIRE(items.size() % 2 == 0);
    for (size_t i = 0; i < items.size(); i += 2) seen[items[i].str] = items[i + 1].str;
    // The table grows during the walk: the fields there from the start must all still come.
    if (steps++ % 5 == 0 && added < 3000) {
      for (int k = 0; k < 300; k++, added++) {
        Append(c, {"HSET", "big", "new" + std::to_string(added), "x"});
      }
      for (int k = 0; k < 300; k++) REQUIRE(GetReply(c) == Reply::Int(1));
    }
  } while (cursor != "0" && steps < 100000);
  CHECK(cursor == "0");
  // Steps, not one reply: about COUNT fields a call.
  CHECK(steps > kFields / 100);
  for (int i = 0; i < kFields; i++) {
    const auto it = seen.find("f" + std::to_string(i));
    REQUIRE(it != seen.end());
    CHECK(it->second == "v" + std::to_string(i));
  }
  // MATCH filters; a small hash comes back whole with cursor 0.
  Reply matched = Command(c, {"HSCAN", "big", "0", "MATCH", "f1*", "COUNT", "100000"});
  REQUIRE(matched.elements.size() == 2);
  CHECK(matched.elements[1].elements.size() == 2 * 1111);
  REQUIRE(Command(c, {"HSET", "small", "a", "1", "b", "2"}) == Reply::Int(2));
  CHECK(Command(c, {"HSCAN", "small", "0", "COUNT", "1"}) ==
        Reply::Array({Reply::Bulk("0"), Bulks({"a", "1", "b", "2"})}));
}

TEST_CASE("hash: HRANDFIELD draws distinct fields for a positive count, repeats for a negative one",
          "[hash]") {
  PylonServer server;
  auto c = server.Connect();
  for (const char* key : {"small", "big"}) {
    const int fields = std::string(key) == "small" ? 10 : 1000;
    for (int i = 0; i < fields; i++) {
      REQUIRE(Command(c, {"HSET", key, "f" + std::to_string(i), "v" + std::to_string(i)}) ==
              Reply::Int(1));
    }
    for (const int count : {1, 3, fields / 2, fields - 1, fields, fields + 5}) {
      Reply r = Command(c, {"HRANDFIELD", key, std::to_string(count), "WITHVALUES"});
      REQUIRE(r.type == Reply::Type::kArray);
      const size_t want = static_cast<size_t>(std::min(count, fields));
      REQUIRE(r.elements.size() == 2 * want);
      std::set<std::string> distinct;
      for (size_t i = 0; i < r.elements.size(); i += 2) {
        const std::string& f = r.elements[i].str;
        CHECK(r.elements[i + 1].str == "v" + f.substr(1));
        distinct.insert(f);
      }
      CHECK(distinct.size() == want);
    }
    Reply repeated = Command(c, {"HRANDFIELD", key, "-30"});
    REQUIRE(repeated.elements.size() == 30);
    for (const Reply& f : repeated.elements) CHECK(f.str.rfind('f', 0) == 0);
    // Every field can come out: 2000 single draws from the small hash see all ten.
    std::set<std::string> drawn;
    for (int i = 0; i < 200 && key == std::string("small"); i++) {
      Reply many = Command(c, {"HRANDFIELD", key, "-10"});
      for (const Reply& f : many.elements) drawn.insert(f.str);
    }
    if (key == std::string("small")) CHECK(drawn.size() == 10);
  }
  CHECK(Command(c, {"OBJECT", "ENCODING", "big"}) == Reply::Bulk("hashtable"));
}

}  // namespace
}  // namespace pylon::e2e
