// Sets over real sockets: every command's replies (RESP2 and RESP3, byte for byte where Redis's
// order is defined: intsets reply in ascending order), the error texts of redis-server 7.0.15
// (compared by hand), WRONGTYPE, the key's life, OBJECT ENCODING and its directive, the STORE
// forms replacing any destination, the keyspace events, SSCAN, and a restart on the log.
#include <catch2/catch.hpp>
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

// The members of an array or set reply, sorted (a hash table's order is its own).
std::set<std::string> Members(const Reply& r) {
  std::set<std::string> out;
  for (const Reply& e : r.elements) out.insert(e.str);
  return out;
}

TEST_CASE("set: add, remove, membership and the key's life", "[set]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"SADD", "s", "3", "1", "2", "1"}) == Reply::Int(3));
  CHECK(Command(c, {"SADD", "s", "2", "4"}) == Reply::Int(1));
  CHECK(Command(c, {"TYPE", "s"}) == Reply::Status("set"));
  CHECK(Command(c, {"SMEMBERS", "s"}) == Bulks({"1", "2", "3", "4"}));  // intset: ascending
  CHECK(Command(c, {"SCARD", "s"}) == Reply::Int(4));
  CHECK(Command(c, {"SCARD", "none"}) == Reply::Int(0));
  CHECK(Command(c, {"SISMEMBER", "s", "2"}) == Reply::Int(1));
  CHECK(Command(c, {"SISMEMBER", "s", "02"}) == Reply::Int(0));
  CHECK(Command(c, {"SISMEMBER", "none", "2"}) == Reply::Int(0));
  CHECK(Command(c, {"SMISMEMBER", "s", "1", "x", "4"}) ==
        Reply::Array({Reply::Int(1), Reply::Int(0), Reply::Int(1)}));
  CHECK(Command(c, {"SMISMEMBER", "none", "1"}) == Reply::Array({Reply::Int(0)}));
  CHECK(Command(c, {"SMEMBERS", "none"}) == Reply::Array({}));
  CHECK(Command(c, {"SREM", "s", "1", "x", "1"}) == Reply::Int(1));
  CHECK(Command(c, {"SREM", "none", "1"}) == Reply::Int(0));
  CHECK(Command(c, {"SADD", "s", "a"}) == Reply::Int(1));
  CHECK(Members(Command(c, {"SMEMBERS", "s"})) == std::set<std::string>{"2", "3", "4", "a"});
  CHECK(Command(c, {"SREM", "s", "2", "3", "4", "a"}) == Reply::Int(4));
  CHECK(Command(c, {"EXISTS", "s"}) == Reply::Int(0));  // gone with its last member
  const std::string bin("a\0b\r\n", 5);
  CHECK(Command(c, {"SADD", "bin", bin, ""}) == Reply::Int(2));
  CHECK(Command(c, {"SISMEMBER", "bin", bin}) == Reply::Int(1));
  CHECK(Command(c, {"SISMEMBER", "bin", ""}) == Reply::Int(1));
}

TEST_CASE("set: RESP3 replies, byte for byte", "[set]") {
  PylonServer server;
  RawClient r = server.Raw();
  REQUIRE(r.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  REQUIRE(r.Call({"SADD", "s", "10", "-5", "7"}) == Reply::Int(3));
  REQUIRE(r.Call({"SADD", "t", "7", "8"}) == Reply::Int(2));
  const auto expect = [&](const std::vector<std::string>& cmd, const std::string& bytes) {
    INFO(cmd[0]);
    REQUIRE(r.Send(Encode(cmd)));
    CHECK(r.ReadExactly(bytes.size()) == bytes);
  };
  expect({"SMEMBERS", "s"}, "~3\r\n$2\r\n-5\r\n$1\r\n7\r\n$2\r\n10\r\n");
  expect({"SMEMBERS", "none"}, "~0\r\n");
  expect({"SINTER", "s", "t"}, "~1\r\n$1\r\n7\r\n");
  expect({"SINTER", "s", "none"}, "~0\r\n");
  expect({"SUNION", "s", "t"}, "~4\r\n$2\r\n-5\r\n$1\r\n7\r\n$1\r\n8\r\n$2\r\n10\r\n");
  expect({"SDIFF", "s", "t"}, "~2\r\n$2\r\n-5\r\n$2\r\n10\r\n");
  expect({"SRANDMEMBER", "none"}, "_\r\n");
  expect({"SRANDMEMBER", "none", "3"}, "*0\r\n");
  expect({"SRANDMEMBER", "s", "0"}, "*0\r\n");
  expect({"SRANDMEMBER", "s", "5"}, "*3\r\n$2\r\n-5\r\n$1\r\n7\r\n$2\r\n10\r\n");
  expect({"SPOP", "none"}, "_\r\n");
  expect({"SPOP", "none", "2"}, "~0\r\n");
  expect({"SPOP", "s", "0"}, "~0\r\n");
  expect({"SMISMEMBER", "s", "7", "8"}, "*2\r\n:1\r\n:0\r\n");
  expect({"SSCAN", "s", "0"}, "*2\r\n$1\r\n0\r\n*3\r\n$2\r\n-5\r\n$1\r\n7\r\n$2\r\n10\r\n");
  expect({"SSCAN", "none", "0"}, "*2\r\n$1\r\n0\r\n*0\r\n");
  expect({"SPOP", "t", "5"}, "~2\r\n$1\r\n7\r\n$1\r\n8\r\n");
  expect({"EXISTS", "t"}, ":0\r\n");
  const Reply popped = r.Call({"SPOP", "s", "2"});
  CHECK(popped.type == Reply::Type::kSet);
  CHECK(popped.elements.size() == 2);
}

TEST_CASE("set: SPOP and SRANDMEMBER counts, as Redis", "[set]") {
  PylonServer server;
  auto c = server.Connect();
  for (const char* key : {"ints", "strs"}) {
    std::vector<std::string> add = {"SADD", key};
    for (int i = 0; i < 100; i++) add.push_back((key[0] == 'i' ? "" : "m") + std::to_string(i));
    REQUIRE(Command(c, add) == Reply::Int(100));
    const std::set<std::string> all = Members(Command(c, {"SMEMBERS", key}));
    // Distinct members: a few (drawn), most of them (removed from a copy), all of them.
    for (const int n : {1, 5, 40, 99, 100, 150}) {
      const Reply got = Command(c, {"SRANDMEMBER", key, std::to_string(n)});
      REQUIRE(got.type == Reply::Type::kArray);
      CHECK(got.elements.size() == static_cast<size_t>(std::min(n, 100)));
      const std::set<std::string> distinct = Members(got);
      CHECK(distinct.size() == got.elements.size());
      for (const std::string& m : distinct) CHECK(all.count(m) == 1);
    }
    // A negative count repeats: 1000 draws from 100 members.
    const Reply repeated = Command(c, {"SRANDMEMBER", key, "-1000"});
    CHECK(repeated.elements.size() == 1000);
    CHECK(Members(repeated).size() < 1000);
    const Reply one = Command(c, {"SRANDMEMBER", key});
    CHECK(all.count(one.str) == 1);
    // SPOP takes them out.
    const Reply popped = Command(c, {"SPOP", key, "30"});
    CHECK(Members(popped).size() == 30);
    CHECK(Command(c, {"SCARD", key}) == Reply::Int(70));
    for (const Reply& m : popped.elements) {
      CHECK(Command(c, {"SISMEMBER", key, m.str}) == Reply::Int(0));
    }
    const Reply single = Command(c, {"SPOP", key});
    CHECK(all.count(single.str) == 1);
    CHECK(Command(c, {"SCARD", key}) == Reply::Int(69));
    CHECK(Command(c, {"SPOP", key, "69"}).elements.size() == 69);
    CHECK(Command(c, {"EXISTS", key}) == Reply::Int(0));
  }
  CHECK(Command(c, {"SPOP", "none"}) == Reply::Nil());
  CHECK(Command(c, {"SPOP", "none", "-1"}) ==
        Reply::Error("ERR value is out of range, must be positive"));
  CHECK(Command(c, {"SPOP", "none", "x"}) ==
        Reply::Error("ERR value is out of range, must be positive"));
  CHECK(Command(c, {"SPOP", "none", "1", "2"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"SRANDMEMBER", "none", "1", "2"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"SRANDMEMBER", "none", "x"}) ==
        Reply::Error("ERR value is not an integer or out of range"));
  CHECK(Command(c, {"SRANDMEMBER", "none", "-9223372036854775808"}) ==
        Reply::Error("ERR value is out of range, value must between -9223372036854775807 and "
                     "9223372036854775807"));
  CHECK(Command(c, {"SRANDMEMBER", "none", "-5"}) == Reply::Array({}));
}

TEST_CASE("set: SMOVE", "[set]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SADD", "a", "1", "2"}) == Reply::Int(2));
  REQUIRE(Command(c, {"SET", "str", "x"}) == Reply::Ok());
  const Reply wrongtype =
      Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(Command(c, {"SMOVE", "none", "str", "1"}) == Reply::Int(0));  // absent source first
  CHECK(Command(c, {"SMOVE", "a", "str", "1"}) == wrongtype);
  CHECK(Command(c, {"SMOVE", "str", "a", "1"}) == wrongtype);
  CHECK(Command(c, {"SMOVE", "a", "a", "1"}) == Reply::Int(1));
  CHECK(Command(c, {"SMOVE", "a", "a", "9"}) == Reply::Int(0));
  CHECK(Command(c, {"SMOVE", "a", "b", "9"}) == Reply::Int(0));
  CHECK(Command(c, {"SMOVE", "a", "b", "1"}) == Reply::Int(1));
  CHECK(Command(c, {"SMEMBERS", "b"}) == Bulks({"1"}));
  REQUIRE(Command(c, {"SADD", "b", "2"}) == Reply::Int(1));
  CHECK(Command(c, {"SMOVE", "a", "b", "2"}) == Reply::Int(1));  // already there: still 1
  CHECK(Command(c, {"EXISTS", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"SMEMBERS", "b"}) == Bulks({"1", "2"}));
}

TEST_CASE("set: SINTER, SUNION, SDIFF, their STORE forms and SINTERCARD", "[set]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SADD", "a", "1", "2", "3", "4"}) == Reply::Int(4));
  REQUIRE(Command(c, {"SADD", "b", "3", "4", "5"}) == Reply::Int(3));
  REQUIRE(Command(c, {"SADD", "c", "4", "x"}) == Reply::Int(2));
  CHECK(Command(c, {"SINTER", "a", "b"}) == Bulks({"3", "4"}));
  CHECK(Command(c, {"SINTER", "a", "b", "c"}) == Bulks({"4"}));
  CHECK(Command(c, {"SINTER", "a", "none"}) == Reply::Array({}));
  CHECK(Command(c, {"SINTER", "a", "a"}) == Bulks({"1", "2", "3", "4"}));
  CHECK(Command(c, {"SUNION", "a", "b"}) == Bulks({"1", "2", "3", "4", "5"}));
  CHECK(Members(Command(c, {"SUNION", "a", "c", "none"})) ==
        std::set<std::string>{"1", "2", "3", "4", "x"});
  CHECK(Command(c, {"SDIFF", "a", "b"}) == Bulks({"1", "2"}));
  CHECK(Command(c, {"SDIFF", "a", "b", "c"}) == Bulks({"1", "2"}));
  CHECK(Command(c, {"SDIFF", "a", "none"}) == Bulks({"1", "2", "3", "4"}));
  CHECK(Command(c, {"SDIFF", "none", "a"}) == Reply::Array({}));
  CHECK(Command(c, {"SDIFF", "a", "b", "a"}) == Reply::Array({}));
  CHECK(Command(c, {"SINTERCARD", "2", "a", "b"}) == Reply::Int(2));
  CHECK(Command(c, {"SINTERCARD", "2", "a", "b", "LIMIT", "1"}) == Reply::Int(1));
  CHECK(Command(c, {"SINTERCARD", "2", "a", "b", "limit", "0"}) == Reply::Int(2));
  CHECK(Command(c, {"SINTERCARD", "1", "a"}) == Reply::Int(4));
  CHECK(Command(c, {"SINTERCARD", "2", "a", "none"}) == Reply::Int(0));
  CHECK(Command(c, {"SINTERCARD", "0", "a"}) ==
        Reply::Error("ERR numkeys should be greater than 0"));
  CHECK(Command(c, {"SINTERCARD", "x", "a"}) ==
        Reply::Error("ERR numkeys should be greater than 0"));
  CHECK(Command(c, {"SINTERCARD", "3", "a", "b"}) ==
        Reply::Error("ERR Number of keys can't be greater than number of args"));
  CHECK(Command(c, {"SINTERCARD", "1", "a", "LIMIT", "-1"}) ==
        Reply::Error("ERR LIMIT can't be negative"));
  CHECK(Command(c, {"SINTERCARD", "1", "a", "LIMIT"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"SINTERCARD", "1", "a", "b"}) == Reply::Error("ERR syntax error"));

  // STORE replaces any type, drops the TTL, and deletes the destination for an empty result.
  REQUIRE(Command(c, {"SET", "dst", "string"}) == Reply::Ok());
  REQUIRE(Command(c, {"EXPIRE", "dst", "1000"}) == Reply::Int(1));
  CHECK(Command(c, {"SINTERSTORE", "dst", "a", "b"}) == Reply::Int(2));
  CHECK(Command(c, {"TYPE", "dst"}) == Reply::Status("set"));
  CHECK(Command(c, {"TTL", "dst"}) == Reply::Int(-1));
  CHECK(Command(c, {"SMEMBERS", "dst"}) == Bulks({"3", "4"}));
  CHECK(Command(c, {"SUNIONSTORE", "dst", "a", "b"}) == Reply::Int(5));
  CHECK(Command(c, {"SDIFFSTORE", "dst", "a", "b"}) == Reply::Int(2));
  CHECK(Command(c, {"SMEMBERS", "dst"}) == Bulks({"1", "2"}));
  CHECK(Command(c, {"SINTERSTORE", "dst", "a", "none"}) == Reply::Int(0));
  CHECK(Command(c, {"EXISTS", "dst"}) == Reply::Int(0));
  REQUIRE(Command(c, {"SADD", "dst", "z"}) == Reply::Int(1));
  CHECK(Command(c, {"SDIFFSTORE", "dst", "a", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"EXISTS", "dst"}) == Reply::Int(0));
  // The destination may be a source.
  CHECK(Command(c, {"SUNIONSTORE", "a", "a", "c"}) == Reply::Int(5));
  CHECK(Command(c, {"OBJECT", "ENCODING", "a"}) == Reply::Bulk("hashtable"));
  CHECK(Command(c, {"SINTERSTORE", "b", "b", "a"}) == Reply::Int(2));
  CHECK(Command(c, {"OBJECT", "ENCODING", "b"}) == Reply::Bulk("intset"));
}

TEST_CASE("set: WRONGTYPE both ways, and arity", "[set]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply wrongtype =
      Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  REQUIRE(Command(c, {"SET", "str", "v"}) == Reply::Ok());
  REQUIRE(Command(c, {"SADD", "s", "v"}) == Reply::Int(1));
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"SADD", "str", "m"},
           {"SREM", "str", "m"},
           {"SCARD", "str"},
           {"SISMEMBER", "str", "m"},
           {"SMISMEMBER", "str", "m"},
           {"SMEMBERS", "str"},
           {"SRANDMEMBER", "str"},
           {"SRANDMEMBER", "str", "2"},
           {"SPOP", "str"},
           {"SPOP", "str", "2"},
           {"SINTER", "s", "str"},
           {"SINTER", "none", "str"},  // every key is checked, an absent one first or not
           {"SINTERCARD", "2", "s", "str"},
           {"SINTERSTORE", "d", "s", "str"},
           {"SUNION", "s", "str"},
           {"SUNIONSTORE", "d", "s", "str"},
           {"SDIFF", "s", "str"},
           {"SDIFF", "none", "str"},
           {"SDIFFSTORE", "d", "s", "str"},
           {"SSCAN", "str", "0"}}) {
    INFO(cmd[0]);
    CHECK(Command(c, cmd) == wrongtype);
  }
  CHECK(Command(c, {"EXISTS", "d"}) == Reply::Int(0));
  CHECK(Command(c, {"GET", "s"}) == wrongtype);
  const std::string arity = "ERR wrong number of arguments for '";
  CHECK(Command(c, {"SADD", "s"}) == Reply::Error(arity + "sadd' command"));
  CHECK(Command(c, {"SMOVE", "a", "b"}) == Reply::Error(arity + "smove' command"));
  CHECK(Command(c, {"SINTERSTORE", "d"}) == Reply::Error(arity + "sinterstore' command"));
  CHECK(Command(c, {"SINTERCARD", "1"}) == Reply::Error(arity + "sintercard' command"));
  CHECK(Command(c, {"SSCAN", "s"}) == Reply::Error(arity + "sscan' command"));
}

TEST_CASE("set: OBJECT ENCODING by Redis's rules, and set-max-intset-entries", "[set]") {
  PylonServer server;
  auto c = server.Connect();
  for (const char* m : {"-0", "+1", " 1", "01", "1.5", "9223372036854775808"}) {
    INFO(m);
    REQUIRE(Command(c, {"SADD", "k", "1", m}) == Reply::Int(2));
    CHECK(Command(c, {"OBJECT", "ENCODING", "k"}) == Reply::Bulk("hashtable"));
    REQUIRE(Command(c, {"DEL", "k"}) == Reply::Int(1));
  }
  REQUIRE(Command(c, {"SADD", "k", "-9223372036854775808", "9223372036854775807"}) ==
          Reply::Int(2));
  CHECK(Command(c, {"OBJECT", "ENCODING", "k"}) == Reply::Bulk("intset"));
  for (int i = 0; i < 510; i++) {
    REQUIRE(Command(c, {"SADD", "k", std::to_string(i)}) == Reply::Int(1));
  }
  CHECK(Command(c, {"OBJECT", "ENCODING", "k"}) == Reply::Bulk("intset"));  // 512 members
  REQUIRE(Command(c, {"SADD", "k", "1000"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "k"}) == Reply::Bulk("hashtable"));
  REQUIRE(Command(c, {"SREM", "k", "1000", "0"}) == Reply::Int(2));
  CHECK(Command(c, {"OBJECT", "ENCODING", "k"}) == Reply::Bulk("hashtable"));  // never back
  CHECK(Command(c, {"CONFIG", "SET", "set-max-intset-entries", "2"}) == Reply::Ok());
  REQUIRE(Command(c, {"SADD", "small", "1", "2"}) == Reply::Int(2));
  CHECK(Command(c, {"OBJECT", "ENCODING", "small"}) == Reply::Bulk("intset"));
  REQUIRE(Command(c, {"SADD", "small", "3"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "small"}) == Reply::Bulk("hashtable"));
  CHECK(Command(c, {"MEMORY", "USAGE", "k"}).integer >
        Command(c, {"MEMORY", "USAGE", "small"}).integer);
}

TEST_CASE("set: SSCAN covers the set with MATCH and COUNT", "[set]") {
  PylonServer server;
  auto c = server.Connect();
  std::vector<std::string> add = {"SADD", "s"};
  for (int i = 0; i < 1000; i++) add.push_back("m" + std::to_string(i));
  REQUIRE(Command(c, add) == Reply::Int(1000));
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    const Reply r = Command(c, {"SSCAN", "s", cursor, "COUNT", "50"});
    REQUIRE(r.elements.size() == 2);
    cursor = r.elements[0].str;
    for (const Reply& m : r.elements[1].elements) seen.insert(m.str);
    calls++;
  } while (cursor != "0");
  CHECK(seen.size() == 1000);
  CHECK(calls > 5);
  seen.clear();
  cursor = "0";
  do {
    const Reply r = Command(c, {"SSCAN", "s", cursor, "MATCH", "m1?"});
    cursor = r.elements[0].str;
    for (const Reply& m : r.elements[1].elements) seen.insert(m.str);
  } while (cursor != "0");
  CHECK(seen.size() == 10);
  CHECK(Command(c, {"SSCAN", "s", "x"}) == Reply::Error("ERR invalid cursor"));
  CHECK(Command(c, {"SSCAN", "s", "0", "COUNT", "0"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"SSCAN", "s", "0", "COUNT", "x"}) ==
        Reply::Error("ERR value is not an integer or out of range"));
  CHECK(Command(c, {"SSCAN", "s", "0", "TYPE", "set"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"SSCAN", "s", "0", "MATCH"}) == Reply::Error("ERR syntax error"));
}

TEST_CASE("set: keyspace events as Redis 7.0 emits them", "[set]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient sub = server.Raw();
  REQUIRE(Command(c, {"CONFIG", "SET", "notify-keyspace-events", "KEA"}) == Reply::Ok());
  REQUIRE(sub.Call({"PSUBSCRIBE", "__keyevent@0__:*"}).type == Reply::Type::kArray);
  std::vector<std::string> events;
  const auto next = [&] {
    const Reply m = sub.ReadReply();
    REQUIRE(m.elements.size() == 4);
    return m.elements[2].str.substr(std::string("__keyevent@0__:").size()) + " " +
           m.elements[3].str;
  };
  REQUIRE(Command(c, {"SADD", "a", "1", "2"}) == Reply::Int(2));
  CHECK(next() == "sadd a");
  REQUIRE(Command(c, {"SADD", "a", "1"}) == Reply::Int(0));  // nothing added: no event
  REQUIRE(Command(c, {"SREM", "a", "1"}) == Reply::Int(1));
  CHECK(next() == "srem a");
  REQUIRE(Command(c, {"SMOVE", "a", "b", "2"}) == Reply::Int(1));
  CHECK(next() == "srem a");
  CHECK(next() == "del a");
  CHECK(next() == "sadd b");
  REQUIRE(Command(c, {"SADD", "b", "3"}) == Reply::Int(1));
  CHECK(next() == "sadd b");
  REQUIRE(Command(c, {"SINTERSTORE", "d", "b", "b"}) == Reply::Int(2));
  CHECK(next() == "sinterstore d");
  REQUIRE(Command(c, {"SUNIONSTORE", "d", "b"}) == Reply::Int(2));
  CHECK(next() == "sunionstore d");
  REQUIRE(Command(c, {"SDIFFSTORE", "d", "b"}) == Reply::Int(2));
  CHECK(next() == "sdiffstore d");
  REQUIRE(Command(c, {"SDIFFSTORE", "d", "none"}) == Reply::Int(0));
  CHECK(next() == "del d");
  REQUIRE(Command(c, {"SPOP", "b"}).type == Reply::Type::kBulk);
  CHECK(next() == "spop b");
  REQUIRE(Command(c, {"SPOP", "b", "5"}).elements.size() == 1);
  CHECK(next() == "spop b");
  CHECK(next() == "del b");
}

TEST_CASE("set: WATCH sees a change, and a restart on the log keeps every set", "[set]") {
  TempDir dir;
  ServerOptions o;
  o.args = {"--appendonly", "yes", "--dir", dir.path(), "--appendfsync", "always"};
  o.wait_loaded = true;
  {
    PylonServer server(o);
    auto a = server.Connect();
    auto b = server.Connect();
    REQUIRE(Command(a, {"SADD", "ints", "3", "1", "2"}) == Reply::Int(3));
    REQUIRE(Command(a, {"WATCH", "ints"}) == Reply::Ok());
    REQUIRE(Command(b, {"SREM", "ints", "2"}) == Reply::Int(1));
    REQUIRE(Command(a, {"MULTI"}) == Reply::Ok());
    REQUIRE(Command(a, {"SCARD", "ints"}) == Reply::Status("QUEUED"));
    CHECK(Command(a, {"EXEC"}) == Reply::Nil());
    std::vector<std::string> add = {"SADD", "big"};
    for (int i = 0; i < 2000; i++) add.push_back("member" + std::to_string(i));
    REQUIRE(Command(a, add) == Reply::Int(2000));
    REQUIRE(Command(a, {"SREM", "big", "member7"}) == Reply::Int(1));
    REQUIRE(Command(a, {"SADD", "gone", "x"}) == Reply::Int(1));
    REQUIRE(Command(a, {"SPOP", "gone"}) == Reply::Bulk("x"));
    REQUIRE(server.Stop() == 0);
  }
  PylonServer server(o);
  auto c = server.Connect();
  CHECK(Command(c, {"SMEMBERS", "ints"}) == Bulks({"1", "3"}));
  CHECK(Command(c, {"OBJECT", "ENCODING", "ints"}) == Reply::Bulk("intset"));
  CHECK(Command(c, {"SCARD", "big"}) == Reply::Int(1999));
  CHECK(Command(c, {"SISMEMBER", "big", "member1999"}) == Reply::Int(1));
  CHECK(Command(c, {"SISMEMBER", "big", "member7"}) == Reply::Int(0));
  CHECK(Command(c, {"OBJECT", "ENCODING", "big"}) == Reply::Bulk("hashtable"));
  CHECK(Command(c, {"EXISTS", "gone"}) == Reply::Int(0));
  REQUIRE(Command(c, {"BGREWRITEAOF"}).type == Reply::Type::kStatus);
}

}  // namespace
}  // namespace pylon::e2e
