// Sorted sets over real sockets: the key's life (created by a write, gone with its last member,
// TTL kept), WRONGTYPE, the encodings at both limits, RESP3 bytes as redis-server 7.0.15 sends
// them, keyspace notifications, the blocking pops (order, several keys, timeouts on the test
// clock, MULTI) and a restart on the append-only log. Every Z* reply and error is compared with
// redis-server byte for byte by tests/compat/zset_differential_test.py.
#include <catch2/catch.hpp>
#include <chrono>
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

Reply Advance(const Connection& c, int64_t ms) {
  return Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)});
}

int64_t Blocked(const Connection& c) {
  Reply info = Command(c, {"INFO", "clients"});
  REQUIRE(info.type == Reply::Type::kBulk);
  return std::stoll(InfoField(info.str, "blocked_clients").value_or("-1"));
}

// Until the server has seen `n` clients blocked (bounded: 5 s, then fails).
void WaitBlocked(const Connection& c, int64_t n, int line) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Blocked(c) != n && std::chrono::steady_clock::now() < give_up) Command(c, {"PING"});
  INFO("WaitBlocked called at line " << line);
  REQUIRE(Blocked(c) == n);
}
#define WAIT_BLOCKED(c, n) WaitBlocked(c, n, __LINE__)

TEST_CASE("zset: add, score, range, remove and the key's life", "[zset]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"ZADD", "z", "2", "b", "1", "a", "3", "c"}) == Reply::Int(3));
  CHECK(Command(c, {"TYPE", "z"}) == Reply::Status("zset"));
  CHECK(Command(c, {"ZADD", "z", "CH", "5", "a", "4", "d"}) == Reply::Int(2));
  CHECK(Command(c, {"ZRANGE", "z", "0", "-1", "WITHSCORES"}) ==
        Bulks({"b", "2", "c", "3", "d", "4", "a", "5"}));
  CHECK(Command(c, {"ZSCORE", "z", "a"}) == Reply::Bulk("5"));
  CHECK(Command(c, {"ZINCRBY", "z", "0.1", "a"}) == Reply::Bulk("5.0999999999999996"));
  CHECK(Command(c, {"ZRANK", "z", "a"}) == Reply::Int(3));
  CHECK(Command(c, {"ZREVRANK", "z", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"ZRANGEBYSCORE", "z", "(2", "4"}) == Bulks({"c", "d"}));
  CHECK(Command(c, {"ZCOUNT", "z", "-inf", "(4"}) == Reply::Int(2));
  CHECK(Command(c, {"PEXPIRE", "z", "100000"}) == Reply::Int(1));
  CHECK(Command(c, {"ZADD", "z", "9", "e"}) == Reply::Int(1));
  CHECK(Command(c, {"PTTL", "z"}).integer > 0);  // a change keeps the TTL, as Redis
  CHECK(Command(c, {"ZREM", "z", "a", "b", "zz"}) == Reply::Int(2));
  CHECK(Command(c, {"ZREMRANGEBYSCORE", "z", "-inf", "+inf"}) == Reply::Int(3));
  CHECK(Command(c, {"EXISTS", "z"}) == Reply::Int(0));  // gone with its last member
  CHECK(Command(c, {"ZADD", "z", "XX", "1", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"EXISTS", "z"}) == Reply::Int(0));  // XX creates nothing
  CHECK(Command(c, {"ZADD", "z", "1", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"ZPOPMIN", "z"}) == Bulks({"a", "1"}));
  CHECK(Command(c, {"EXISTS", "z"}) == Reply::Int(0));
  const std::string bin("a\0b\r\n", 5);
  CHECK(Command(c, {"ZADD", "bin", "1", bin}) == Reply::Int(1));
  CHECK(Command(c, {"ZRANGE", "bin", "0", "-1"}) == Bulks({bin}));
}

TEST_CASE("zset: WRONGTYPE both ways", "[zset]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply wrongtype =
      Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  REQUIRE(Command(c, {"SET", "s", "v"}) == Reply::Ok());
  REQUIRE(Command(c, {"ZADD", "z", "1", "a"}) == Reply::Int(1));
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"ZADD", "s", "1", "a"},
                                             {"ZSCORE", "s", "a"},
                                             {"ZRANGE", "s", "0", "-1"},
                                             {"ZPOPMIN", "s"},
                                             {"BZPOPMIN", "s", "0"},
                                             {"ZUNION", "2", "z", "s"},
                                             {"ZRANGESTORE", "d", "s", "0", "-1"},
                                             {"ZREMRANGEBYRANK", "s", "0", "-1"}}) {
    CHECK(Command(c, cmd) == wrongtype);
  }
  CHECK(Command(c, {"GET", "z"}) == wrongtype);
  CHECK(Command(c, {"HSET", "z", "f", "v"}) == wrongtype);
}

TEST_CASE("zset: encodings at both limits, and their directives", "[zset]") {
  PylonServer server({"--zset-max-listpack-entries", "3", "--zset-max-listpack-value", "4"});
  auto c = server.Connect();
  REQUIRE(Command(c, {"ZADD", "z", "1", "a", "2", "b", "3", "c"}) == Reply::Int(3));
  CHECK(Command(c, {"OBJECT", "ENCODING", "z"}) == Reply::Bulk("listpack"));
  REQUIRE(Command(c, {"ZADD", "z", "4", "d"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "z"}) == Reply::Bulk("skiplist"));
  REQUIRE(Command(c, {"ZREM", "z", "d"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "z"}) == Reply::Bulk("skiplist"));  // never back
  // ZUNIONSTORE and ZRANGESTORE store a small result compact, as Redis.
  REQUIRE(Command(c, {"ZUNIONSTORE", "u", "1", "z"}) == Reply::Int(3));
  CHECK(Command(c, {"OBJECT", "ENCODING", "u"}) == Reply::Bulk("listpack"));
  REQUIRE(Command(c, {"ZRANGESTORE", "r", "z", "0", "1"}) == Reply::Int(2));
  CHECK(Command(c, {"OBJECT", "ENCODING", "r"}) == Reply::Bulk("listpack"));
  REQUIRE(Command(c, {"ZADD", "long", "1", "abcde"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "long"}) == Reply::Bulk("skiplist"));
  REQUIRE(Command(c, {"ZADD", "short", "1", "abcd"}) == Reply::Int(1));
  CHECK(Command(c, {"OBJECT", "ENCODING", "short"}) == Reply::Bulk("listpack"));
  CHECK(Command(c, {"CONFIG", "GET", "zset-max-listpack-entries"}) ==
        Bulks({"zset-max-listpack-entries", "3"}));
  // MEMORY USAGE grows with the set.
  const int64_t before = Command(c, {"MEMORY", "USAGE", "z"}).integer;
  for (int i = 0; i < 100; i++) {
    REQUIRE(Command(c, {"ZADD", "z", std::to_string(i), "m" + std::to_string(i)}) == Reply::Int(1));
  }
  CHECK(Command(c, {"MEMORY", "USAGE", "z"}).integer > before + 100 * 8);
}

TEST_CASE("zset: RESP3 bytes as redis-server sends them", "[zset]") {
  PylonServer server;
  RawClient r = server.Raw();
  REQUIRE(r.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  REQUIRE(r.Call({"ZADD", "z", "1", "a", "2.5", "b"}) == Reply::Int(2));
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"ZSCORE", "z", "b"}, ",2.5\r\n"},
      {{"ZRANGE", "z", "0", "-1", "WITHSCORES"},
       "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"},
      {{"ZPOPMIN", "z"}, "*2\r\n$1\r\na\r\n,1\r\n"},
      {{"ZPOPMAX", "z", "1"}, "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"},
      {{"ZPOPMIN", "z"}, "*0\r\n"},
      {{"ZMPOP", "1", "z", "MIN"}, "_\r\n"},
      {{"ZADD", "z", "INCR", "0.5", "c"}, ",0.5\r\n"},
      {{"BZPOPMIN", "z", "0"}, "*3\r\n$1\r\nz\r\n$1\r\nc\r\n,0.5\r\n"},
      {{"ZADD", "z", "1", "x"}, ":1\r\n"},
      {{"BZMPOP", "0", "1", "z", "MAX"}, "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nx\r\n,1\r\n"},
  };
  for (const auto& [cmd, bytes] : cases) {
    INFO(cmd[0]);
    REQUIRE(r.Send(Encode(cmd)));
    CHECK(r.ReadExactly(bytes.size()) == bytes);
  }
}

TEST_CASE("zset: keyspace notifications as Redis names them", "[zset]") {
  PylonServer server({"--notify-keyspace-events", "KEA"});
  auto c = server.Connect();
  RawClient sub = server.Raw();
  REQUIRE(sub.Call({"PSUBSCRIBE", "__keyevent@0__:*"}).type == Reply::Type::kArray);
  const std::vector<std::vector<std::string>> writes = {
      {"ZADD", "z", "1", "a", "2", "b"},
      {"ZADD", "z", "NX", "1", "a"},  // changes nothing: no event
      {"ZINCRBY", "z", "1", "a"},
      {"ZREM", "z", "a"},
      {"ZADD", "z", "5", "c"},
      {"ZPOPMAX", "z"},
      {"ZREMRANGEBYRANK", "z", "0", "-1"},
      {"ZADD", "src", "1", "a"},
      {"ZUNIONSTORE", "dst", "1", "src"},
      {"ZINTERSTORE", "dst", "2", "src", "nokey"},
  };
  for (const auto& w : writes) Command(c, w);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"zadd", "z"}, {"zincr", "z"},   {"zrem", "z"},
      {"zadd", "z"}, {"zpopmax", "z"}, {"zremrangebyrank", "z"},
      {"del", "z"},  {"zadd", "src"},  {"zunionstore", "dst"},
      {"del", "dst"}};
  for (const auto& [event, key] : expected) {
    const Reply m = sub.ReadReply();
    REQUIRE(m.type == Reply::Type::kArray);
    REQUIRE(m.elements.size() == 4);
    CHECK(m.elements[2].str == "__keyevent@0__:" + event);
    CHECK(m.elements[3].str == key);
  }
}

TEST_CASE("zset: blocked pops are served in the order they blocked", "[zset][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  std::vector<RawClient> waiters;
  for (int i = 0; i < 3; i++) {
    waiters.push_back(server.Raw());
    REQUIRE(waiters.back().Send(Encode({"BZPOPMIN", "other", "z", "0"})));
    WAIT_BLOCKED(c, i + 1);
  }
  // One ZADD of two members serves the first two, lowest first.
  REQUIRE(Command(c, {"ZADD", "z", "2", "b", "1", "a"}) == Reply::Int(2));
  CHECK(waiters[0].ReadReply() == Bulks({"z", "a", "1"}));
  CHECK(waiters[1].ReadReply() == Bulks({"z", "b", "2"}));
  CHECK(Blocked(c) == 1);
  // The third is served from whichever of its keys gets a member.
  REQUIRE(Command(c, {"ZADD", "other", "7", "x"}) == Reply::Int(1));
  CHECK(waiters[2].ReadReply() == Bulks({"other", "x", "7"}));
  CHECK(Blocked(c) == 0);
  CHECK(Command(c, {"EXISTS", "z", "other"}) == Reply::Int(0));
  // BZPOPMAX and BZMPOP with a count.
  REQUIRE(waiters[0].Send(Encode({"BZMPOP", "0", "2", "m1", "m2", "MAX", "COUNT", "2"})));
  WAIT_BLOCKED(c, 1);
  REQUIRE(Command(c, {"ZADD", "m2", "1", "a", "2", "b", "3", "c"}) == Reply::Int(3));
  CHECK(waiters[0].ReadReply() ==
        Reply::Array({Reply::Bulk("m2"), Reply::Array({Bulks({"c", "3"}), Bulks({"b", "2"})})}));
  CHECK(Command(c, {"ZCARD", "m2"}) == Reply::Int(1));
}

TEST_CASE("zset: a blocked pop times out on the server's clock", "[zset][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient w = server.Raw();
  REQUIRE(w.Send(Encode({"BZPOPMAX", "z", "0.5"}) + Encode({"PING"})));
  WAIT_BLOCKED(c, 1);
  Advance(c, 499);
  CHECK(Blocked(c) == 1);
  Advance(c, 1);
  CHECK(w.ReadReply() == Reply::Nil());
  CHECK(w.ReadReply() == Reply::Status("PONG"));
  REQUIRE(w.Send(Encode({"BZMPOP", "1.5", "1", "z", "MIN"})));
  WAIT_BLOCKED(c, 1);
  Advance(c, 1500);
  CHECK(w.ReadReply() == Reply::Nil());
  CHECK(Blocked(c) == 0);
}

TEST_CASE("zset: MULTI neither blocks nor wakes a waiter with an add it pops again",
          "[zset][blocking][transactions]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient w = server.Raw();
  REQUIRE(w.Send(Encode({"BZPOPMIN", "z", "0"})));
  WAIT_BLOCKED(c, 1);
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"ZADD", "z", "1", "a"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"ZPOPMIN", "z"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"BZPOPMIN", "z", "0"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Int(1), Bulks({"a", "1"}), Reply::Nil()}));
  CHECK(Blocked(c) == 1);  // the waiter saw nothing to pop
  REQUIRE(Command(c, {"ZADD", "z", "2", "b"}) == Reply::Int(1));
  CHECK(w.ReadReply() == Bulks({"z", "b", "2"}));
}

TEST_CASE("zset: a waiter whose key turned into another type keeps waiting, as Redis 7.0",
          "[zset][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient w = server.Raw();
  REQUIRE(w.Send(Encode({"BZPOPMIN", "z", "0"})));
  WAIT_BLOCKED(c, 1);
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"ZADD", "z", "0", "foo"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"DEL", "z"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"SET", "z", "foo"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"EXEC"}).type == Reply::Type::kArray);
  CHECK(Blocked(c) == 1);  // no WRONGTYPE for the waiter
  CHECK(Command(c, {"DEL", "z"}) == Reply::Int(1));
  CHECK(Command(c, {"ZADD", "z", "1", "bar"}) == Reply::Int(1));
  CHECK(w.ReadReply() == Bulks({"z", "bar", "1"}));
}

TEST_CASE("zset: a restart on the append-only log keeps every set and its form", "[zset]") {
  TempDir dir;
  ServerOptions o;
  o.args = {"--appendonly", "yes", "--dir", dir.path(), "--appendfsync", "always"};
  o.wait_loaded = true;
  {
    PylonServer server(o);
    auto c = server.Connect();
    REQUIRE(Command(c, {"ZADD", "small", "1", "a", "-inf", "b", "0.1", "c"}) == Reply::Int(3));
    REQUIRE(Command(c, {"ZREM", "small", "a"}) == Reply::Int(1));
    for (int i = 0; i < 600; i++) {
      REQUIRE(Command(c, {"ZADD", "big", std::to_string(i % 7), "m" + std::to_string(i)}) ==
              Reply::Int(1));
    }
    REQUIRE(Command(c, {"ZREMRANGEBYRANK", "big", "0", "9"}) == Reply::Int(10));
    REQUIRE(Command(c, {"ZADD", "gone", "1", "a"}) == Reply::Int(1));
    REQUIRE(Command(c, {"ZPOPMIN", "gone"}).type == Reply::Type::kArray);
    REQUIRE(server.Stop() == 0);
  }
  PylonServer server(o);
  auto c = server.Connect();
  CHECK(Command(c, {"ZRANGE", "small", "0", "-1", "WITHSCORES"}) ==
        Bulks({"b", "-inf", "c", "0.10000000000000001"}));
  CHECK(Command(c, {"OBJECT", "ENCODING", "small"}) == Reply::Bulk("listpack"));
  CHECK(Command(c, {"ZCARD", "big"}) == Reply::Int(590));
  CHECK(Command(c, {"ZSCORE", "big", "m599"}) == Reply::Bulk("4"));
  CHECK(Command(c, {"OBJECT", "ENCODING", "big"}) == Reply::Bulk("skiplist"));
  CHECK(Command(c, {"EXISTS", "gone"}) == Reply::Int(0));
  REQUIRE(Command(c, {"BGREWRITEAOF"}).type == Reply::Type::kStatus);
}

}  // namespace
}  // namespace pylon::e2e
