// Lists over real sockets: the commands' replies in RESP2 and RESP3 (the null forms of the pops
// with and without COUNT), WRONGTYPE, the key's life, keyspace events, a restart on the
// append-only log, and the blocking commands: first blocked first served across clients,
// timeouts on the test clock, a MULTI that pushes and pops waking nobody (the woken client
// keeps its place), BLMOVE feeding the clients blocked on its destination, CLIENT UNBLOCK, and
// blocking commands inside MULTI answering at once. The texts are Redis 7.0.15's, compared
// side by side.
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

int64_t Blocked(const Connection& c) {
  Reply info = Command(c, {"INFO", "clients"});
  REQUIRE(info.type == Reply::Type::kBulk);
  return std::stoll(InfoField(info.str, "blocked_clients").value_or("-1"));
}

// Until the server has seen `n` clients blocked (a raw client's command is on its way).
void WaitBlocked(const Connection& c, int64_t n, int line) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Blocked(c) != n && std::chrono::steady_clock::now() < give_up) Command(c, {"PING"});
  INFO("WaitBlocked called at line " << line);
  REQUIRE(Blocked(c) == n);
}
#define WAIT_BLOCKED(c, n) WaitBlocked(c, n, __LINE__)

const Reply kWrongType =
    Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value");

TEST_CASE("list: pushes, pops, ranges and the key's life", "[list]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"RPUSH", "l", "b", "c"}) == Reply::Int(2));
  CHECK(Command(c, {"LPUSH", "l", "a", "z"}) == Reply::Int(4));
  CHECK(Command(c, {"TYPE", "l"}) == Reply::Status("list"));
  CHECK(Command(c, {"OBJECT", "ENCODING", "l"}) == Reply::Bulk("quicklist"));
  CHECK(Command(c, {"LRANGE", "l", "0", "-1"}) == Bulks({"z", "a", "b", "c"}));
  CHECK(Command(c, {"LRANGE", "l", "-2", "100"}) == Bulks({"b", "c"}));
  CHECK(Command(c, {"LRANGE", "l", "3", "1"}) == Reply::Array({}));
  CHECK(Command(c, {"LINDEX", "l", "-1"}) == Reply::Bulk("c"));
  CHECK(Command(c, {"LINDEX", "l", "4"}) == Reply::Nil());
  CHECK(Command(c, {"LPUSHX", "nokey", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"EXISTS", "nokey"}) == Reply::Int(0));
  CHECK(Command(c, {"RPUSHX", "l", "d"}) == Reply::Int(5));
  CHECK(Command(c, {"LPOP", "l"}) == Reply::Bulk("z"));
  CHECK(Command(c, {"RPOP", "l", "2"}) == Bulks({"d", "c"}));
  CHECK(Command(c, {"LPOP", "l", "0"}) == Reply::Array({}));
  CHECK(Command(c, {"LPOP", "l", "-1"}) ==
        Reply::Error("ERR value is out of range, must be positive"));
  CHECK(Command(c, {"LPOP", "l", "1", "2"}) ==
        Reply::Error("ERR wrong number of arguments for 'lpop' command"));
  CHECK(Command(c, {"LPOP", "l", "10"}) == Bulks({"a", "b"}));
  // The key went with its last element.
  CHECK(Command(c, {"EXISTS", "l"}) == Reply::Int(0));
  // A missing key: a null bulk, or with COUNT a null array (even COUNT 0).
  CHECK(Command(c, {"LPOP", "l"}) == Reply::Nil());
  RawClient r3 = server.Raw();
  REQUIRE(r3.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  REQUIRE(r3.Send(Encode({"LPOP", "l", "0"}) + Encode({"RPOP", "l"}) +
                  Encode({"LMPOP", "1", "l", "LEFT"})));
  CHECK(r3.ReadLine() == "_\r\n");
  CHECK(r3.ReadLine() == "_\r\n");
  CHECK(r3.ReadLine() == "_\r\n");
  RawClient r2 = server.Raw();
  REQUIRE(r2.Send(Encode({"LPOP", "l", "0"}) + Encode({"RPOP", "l"}) +
                  Encode({"LMPOP", "1", "l", "LEFT"})));
  CHECK(r2.ReadLine() == "*-1\r\n");
  CHECK(r2.ReadLine() == "$-1\r\n");
  CHECK(r2.ReadLine() == "*-1\r\n");
}

TEST_CASE("list: LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE and LMPOP", "[list]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"RPUSH", "l", "a", "b", "a", "c", "a"}) == Reply::Int(5));
  CHECK(Command(c, {"LSET", "l", "1", "B"}) == Reply::Ok());
  CHECK(Command(c, {"LSET", "l", "5", "x"}) == Reply::Error("ERR index out of range"));
  CHECK(Command(c, {"LSET", "nokey", "0", "x"}) == Reply::Error("ERR no such key"));
  CHECK(Command(c, {"LINSERT", "l", "BEFORE", "c", "C"}) == Reply::Int(6));
  CHECK(Command(c, {"LINSERT", "l", "after", "nope", "C"}) == Reply::Int(-1));
  CHECK(Command(c, {"LINSERT", "nokey", "after", "a", "C"}) == Reply::Int(0));
  CHECK(Command(c, {"LINSERT", "l", "middle", "a", "C"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"LRANGE", "l", "0", "-1"}) == Bulks({"a", "B", "a", "C", "c", "a"}));
  CHECK(Command(c, {"LPOS", "l", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"LPOS", "l", "a", "RANK", "-1"}) == Reply::Int(5));
  CHECK(Command(c, {"LPOS", "l", "a", "RANK", "2", "COUNT", "0"}) ==
        Reply::Array({Reply::Int(2), Reply::Int(5)}));
  CHECK(Command(c, {"LPOS", "l", "a", "COUNT", "0", "MAXLEN", "3"}) ==
        Reply::Array({Reply::Int(0), Reply::Int(2)}));
  CHECK(Command(c, {"LPOS", "l", "zz"}) == Reply::Nil());
  CHECK(Command(c, {"LPOS", "l", "a", "RANK", "0"}) ==
        Reply::Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                     "second ... or use negative to start from the end of the list"));
  CHECK(Command(c, {"LPOS", "l", "a", "COUNT", "-1"}) ==
        Reply::Error("ERR COUNT can't be negative"));
  CHECK(Command(c, {"LPOS", "l", "a", "MAXLEN", "-1"}) ==
        Reply::Error("ERR MAXLEN can't be negative"));
  CHECK(Command(c, {"LREM", "l", "-2", "a"}) == Reply::Int(2));
  CHECK(Command(c, {"LRANGE", "l", "0", "-1"}) == Bulks({"a", "B", "C", "c"}));
  CHECK(Command(c, {"LTRIM", "l", "1", "-2"}) == Reply::Ok());
  CHECK(Command(c, {"LRANGE", "l", "0", "-1"}) == Bulks({"B", "C"}));
  CHECK(Command(c, {"LMOVE", "l", "m", "LEFT", "RIGHT"}) == Reply::Bulk("B"));
  CHECK(Command(c, {"RPOPLPUSH", "l", "m"}) == Reply::Bulk("C"));
  CHECK(Command(c, {"EXISTS", "l"}) == Reply::Int(0));
  CHECK(Command(c, {"LMOVE", "l", "m", "LEFT", "RIGHT"}) == Reply::Nil());
  CHECK(Command(c, {"LMOVE", "m", "m", "LEFT", "RIGHT"}) == Reply::Bulk("C"));
  CHECK(Command(c, {"LRANGE", "m", "0", "-1"}) == Bulks({"B", "C"}));
  CHECK(Command(c, {"LMOVE", "m", "m", "UP", "RIGHT"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"LMPOP", "2", "nokey", "m", "RIGHT", "COUNT", "5"}) ==
        Reply::Array({Reply::Bulk("m"), Bulks({"C", "B"})}));
  CHECK(Command(c, {"LMPOP", "0", "m", "LEFT"}) ==
        Reply::Error("ERR numkeys should be greater than 0"));
  CHECK(Command(c, {"LMPOP", "1", "m", "LEFT", "COUNT", "0"}) ==
        Reply::Error("ERR count should be greater than 0"));
  CHECK(Command(c, {"LREM", "m", "0", "x"}) == Reply::Int(0));
  REQUIRE(Command(c, {"RPUSH", "t", "x"}) == Reply::Int(1));
  CHECK(Command(c, {"LTRIM", "t", "1", "0"}) == Reply::Ok());
  CHECK(Command(c, {"EXISTS", "t"}) == Reply::Int(0));
}

TEST_CASE("list: WRONGTYPE from every command, and a list refused by others", "[list]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "s", "v"}) == Reply::Ok());
  REQUIRE(Command(c, {"RPUSH", "l", "a"}) == Reply::Int(1));
  const std::vector<std::vector<std::string>> calls = {{"LPUSH", "s", "a"},
                                                       {"RPUSHX", "s", "a"},
                                                       {"LPOP", "s"},
                                                       {"RPOP", "s", "2"},
                                                       {"LLEN", "s"},
                                                       {"LRANGE", "s", "0", "1"},
                                                       {"LINDEX", "s", "0"},
                                                       {"LSET", "s", "0", "a"},
                                                       {"LINSERT", "s", "BEFORE", "a", "b"},
                                                       {"LREM", "s", "0", "a"},
                                                       {"LTRIM", "s", "0", "1"},
                                                       {"LPOS", "s", "a"},
                                                       {"LMOVE", "s", "l", "LEFT", "LEFT"},
                                                       {"LMOVE", "l", "s", "LEFT", "LEFT"},
                                                       {"RPOPLPUSH", "s", "l"},
                                                       {"LMPOP", "2", "nokey", "s", "LEFT"},
                                                       {"BLPOP", "nokey", "s", "0"},
                                                       {"BRPOP", "s", "0"},
                                                       {"BLMOVE", "s", "l", "LEFT", "LEFT", "0"},
                                                       {"BLMOVE", "l", "s", "LEFT", "LEFT", "0"},
                                                       {"BRPOPLPUSH", "s", "l", "0"},
                                                       {"BLMPOP", "0", "1", "s", "LEFT"}};
  for (const auto& call : calls) {
    INFO(call[0]);
    CHECK(Command(c, call) == kWrongType);
  }
  // Nothing moved out of l by the refused moves.
  CHECK(Command(c, {"LRANGE", "l", "0", "-1"}) == Bulks({"a"}));
  CHECK(Command(c, {"GET", "l"}) == kWrongType);
  CHECK(Command(c, {"HGET", "l", "f"}) == kWrongType);
}

TEST_CASE("list: blocked pops are served first blocked first served", "[list][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient w1 = server.Raw(), w2 = server.Raw(), w3 = server.Raw();
  REQUIRE(w1.Send(Encode({"BRPOP", "q", "0"})));
  WAIT_BLOCKED(c, 1);
  REQUIRE(w2.Send(Encode({"BLPOP", "other", "q", "0"})));
  WAIT_BLOCKED(c, 2);
  REQUIRE(w3.Send(Encode({"BLMPOP", "0", "1", "q", "LEFT", "COUNT", "2"})));
  WAIT_BLOCKED(c, 3);
  // One push of three: each waiter in turn takes what it asks for, in the order they blocked.
  CHECK(Command(c, {"LPUSH", "q", "a", "b", "c", "d"}) == Reply::Int(4));
  CHECK(w1.ReadReply() == Bulks({"q", "a"}));
  CHECK(w2.ReadReply() == Bulks({"q", "d"}));
  CHECK(w3.ReadReply() == Reply::Array({Reply::Bulk("q"), Bulks({"c", "b"})}));
  CHECK(Command(c, {"EXISTS", "q"}) == Reply::Int(0));
  CHECK(Blocked(c) == 0);
  // One element at a time: the first still wins.
  REQUIRE(w1.Send(Encode({"BLPOP", "q", "0"})));
  WAIT_BLOCKED(c, 1);
  REQUIRE(w2.Send(Encode({"BLPOP", "q", "0"})));
  WAIT_BLOCKED(c, 2);
  CHECK(Command(c, {"RPUSH", "q", "x"}) == Reply::Int(1));
  CHECK(w1.ReadReply() == Bulks({"q", "x"}));
  CHECK(Blocked(c) == 1);
  CHECK(Command(c, {"RPUSH", "q", "y"}) == Reply::Int(1));
  CHECK(w2.ReadReply() == Bulks({"q", "y"}));
}

TEST_CASE("list: blocking timeouts on the server's clock, and bad timeouts", "[list][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient w = server.Raw();
  REQUIRE(w.Send(Encode({"BLPOP", "q", "0.5"}) + Encode({"PING"})));
  WAIT_BLOCKED(c, 1);
  CHECK(Command(c, {"TESTCLOCK", "ADVANCE", "499"}).type != Reply::Type::kError);
  CHECK(Blocked(c) == 1);
  CHECK(Command(c, {"TESTCLOCK", "ADVANCE", "1"}).type != Reply::Type::kError);
  CHECK(w.ReadLine() == "*-1\r\n");
  CHECK(w.ReadReply() == Reply::Status("PONG"));
  // BLMOVE times out with a null array too, as Redis answers every blocked list command.
  REQUIRE(w.Send(Encode({"BLMOVE", "q", "d", "LEFT", "LEFT", "0.001"})));
  WAIT_BLOCKED(c, 1);
  Command(c, {"TESTCLOCK", "ADVANCE", "1"});
  CHECK(w.ReadLine() == "*-1\r\n");
  CHECK(Command(c, {"BLPOP", "q", "-1"}) == Reply::Error("ERR timeout is negative"));
  CHECK(Command(c, {"BLPOP", "q", "abc"}) ==
        Reply::Error("ERR timeout is not a float or out of range"));
  CHECK(Command(c, {"BRPOPLPUSH", "q", "d", "inf"}) == Reply::Error("ERR timeout is negative"));
  CHECK(Command(c, {"BLMPOP", "0", "0", "q", "LEFT"}) ==
        Reply::Error("ERR numkeys should be greater than 0"));
}

TEST_CASE(
    "list: inside MULTI a blocking command answers at once; a push and a pop in one "
    "MULTI wake nobody",
    "[list][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"MULTI"}) == Reply::Ok());
  REQUIRE(Command(c, {"BLPOP", "q", "0"}) == Reply::Status("QUEUED"));
  REQUIRE(Command(c, {"BLMOVE", "q", "d", "LEFT", "LEFT", "0"}) == Reply::Status("QUEUED"));
  REQUIRE(Command(c, {"BLMPOP", "0", "1", "q", "LEFT"}) == Reply::Status("QUEUED"));
  // BLMOVE's is a null bulk there, as Redis's (its timeout reply is a null array).
  RawClient raw = server.Raw();
  REQUIRE(raw.Send(Encode({"MULTI"}) + Encode({"BLPOP", "q", "0"}) +
                   Encode({"BLMOVE", "q", "d", "LEFT", "LEFT", "0"}) + Encode({"EXEC"})));
  CHECK(raw.ReadLine() == "+OK\r\n");
  CHECK(raw.ReadLine() == "+QUEUED\r\n");
  CHECK(raw.ReadLine() == "+QUEUED\r\n");
  CHECK(raw.ReadLine() == "*2\r\n");
  CHECK(raw.ReadLine() == "*-1\r\n");
  CHECK(raw.ReadLine() == "$-1\r\n");
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Nil(), Reply::Nil(), Reply::Nil()}));

  RawClient first = server.Raw(), second = server.Raw();
  REQUIRE(first.Send(Encode({"BLPOP", "q", "0"})));
  WAIT_BLOCKED(c, 1);
  REQUIRE(Command(c, {"MULTI"}) == Reply::Ok());
  REQUIRE(Command(c, {"RPUSH", "q", "x"}) == Reply::Status("QUEUED"));
  REQUIRE(Command(c, {"LPOP", "q"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Int(1), Reply::Bulk("x")}));
  // The woken BLPOP found q empty and blocked again, ahead of a later one.
  CHECK(Blocked(c) == 1);
  REQUIRE(second.Send(Encode({"BLPOP", "q", "0"})));
  WAIT_BLOCKED(c, 2);
  CHECK(Command(c, {"RPUSH", "q", "y"}) == Reply::Int(1));
  CHECK(first.ReadReply() == Bulks({"q", "y"}));
  CHECK(Blocked(c) == 1);
  CHECK(Command(c, {"RPUSH", "q", "z"}) == Reply::Int(1));
  CHECK(second.ReadReply() == Bulks({"q", "z"}));
}

TEST_CASE("list: BLMOVE into a key others wait on serves them, down a chain", "[list][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient mover1 = server.Raw(), mover2 = server.Raw(), popper = server.Raw();
  REQUIRE(mover1.Send(Encode({"BLMOVE", "a", "b", "RIGHT", "LEFT", "0"})));
  WAIT_BLOCKED(c, 1);
  REQUIRE(mover2.Send(Encode({"BRPOPLPUSH", "b", "c", "0"})));
  WAIT_BLOCKED(c, 2);
  REQUIRE(popper.Send(Encode({"BLPOP", "c", "0"})));
  WAIT_BLOCKED(c, 3);
  CHECK(Command(c, {"RPUSH", "a", "job"}) == Reply::Int(1));
  CHECK(mover1.ReadReply() == Reply::Bulk("job"));
  CHECK(mover2.ReadReply() == Reply::Bulk("job"));
  CHECK(popper.ReadReply() == Bulks({"c", "job"}));
  CHECK(Blocked(c) == 0);
  CHECK(Command(c, {"EXISTS", "a", "b", "c"}) == Reply::Int(0));
  // A woken BLMOVE whose destination now holds another type: WRONGTYPE, nothing moved.
  REQUIRE(mover1.Send(Encode({"BLMOVE", "a", "s", "LEFT", "LEFT", "0"})));
  WAIT_BLOCKED(c, 1);
  REQUIRE(Command(c, {"SET", "s", "str"}) == Reply::Ok());
  CHECK(Command(c, {"RPUSH", "a", "x"}) == Reply::Int(1));
  CHECK(mover1.ReadReply() == kWrongType);
  CHECK(Command(c, {"LLEN", "a"}) == Reply::Int(1));
}

TEST_CASE("list: CLIENT UNBLOCK ends a blocked pop; a woken pop skips a key now of another type",
          "[list][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient w = server.Raw();
  const Reply id = w.Call({"CLIENT", "ID"});
  REQUIRE(w.Send(Encode({"BRPOP", "q", "0"})));
  WAIT_BLOCKED(c, 1);
  CHECK(Command(c, {"CLIENT", "UNBLOCK", std::to_string(id.integer)}) == Reply::Int(1));
  CHECK(w.ReadLine() == "*-1\r\n");
  REQUIRE(w.Send(Encode({"BLPOP", "q", "0"})));
  WAIT_BLOCKED(c, 1);
  CHECK(Command(c, {"CLIENT", "UNBLOCK", std::to_string(id.integer), "ERROR"}) == Reply::Int(1));
  CHECK(w.ReadReply() == Reply::Error("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
  // As Redis, which serves a blocked client only from a list: a string set on the key leaves it
  // waiting; a list pushed on its other key serves it.
  REQUIRE(w.Send(Encode({"BLPOP", "a", "b", "0"})));
  WAIT_BLOCKED(c, 1);
  REQUIRE(Command(c, {"SET", "a", "str"}) == Reply::Ok());
  CHECK(Blocked(c) == 1);
  CHECK(Command(c, {"RPUSH", "b", "x"}) == Reply::Int(1));
  CHECK(w.ReadReply() == Bulks({"b", "x"}));
}

TEST_CASE("list: keyspace events as Redis sends them", "[list]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"CONFIG", "SET", "notify-keyspace-events", "KElg"}) == Reply::Ok());
  RawClient sub = server.Raw();
  REQUIRE(sub.Call({"PSUBSCRIBE", "__keyevent@0__:*"}).type == Reply::Type::kArray);
  REQUIRE(Command(c, {"RPUSH", "s", "a", "b"}) == Reply::Int(2));
  REQUIRE(Command(c, {"LMOVE", "s", "d", "LEFT", "RIGHT"}) == Reply::Bulk("a"));
  REQUIRE(Command(c, {"LSET", "d", "0", "x"}) == Reply::Ok());
  REQUIRE(Command(c, {"LINSERT", "d", "BEFORE", "x", "y"}) == Reply::Int(2));
  REQUIRE(Command(c, {"LREM", "d", "0", "y"}) == Reply::Int(1));
  REQUIRE(Command(c, {"LTRIM", "d", "0", "0"}) == Reply::Ok());
  REQUIRE(Command(c, {"RPOP", "s"}) == Reply::Bulk("b"));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"rpush", "s"}, {"rpush", "d"}, {"lpop", "s"}, {"lset", "d"}, {"linsert", "d"},
      {"lrem", "d"},  {"ltrim", "d"}, {"rpop", "s"}, {"del", "s"}};
  for (const auto& [event, key] : expected) {
    const Reply m = sub.ReadReply();
    REQUIRE(m.elements.size() == 4);
    CHECK(m.elements[2].str == "__keyevent@0__:" + event);
    CHECK(m.elements[3].str == key);
  }
}

TEST_CASE("list: a restart on the append-only log keeps every list", "[list]") {
  TempDir dir;
  ServerOptions o;
  o.args = {"--appendonly", "yes", "--dir", dir.path(), "--appendfsync", "always"};
  o.wait_loaded = true;
  std::vector<std::string> big;
  {
    PylonServer server(o);
    auto c = server.Connect();
    for (int i = 0; i < 2000; i++) {
      big.push_back(std::string(static_cast<size_t>(i % 50), 'v') + std::to_string(i));
      REQUIRE(Command(c, {i % 2 ? "RPUSH" : "LPUSH", "big", big.back()}).type ==
              Reply::Type::kInteger);
    }
    REQUIRE(Command(c, {"RPUSH", "small", "a", "b", "c"}) == Reply::Int(3));
    REQUIRE(Command(c, {"LPOP", "small"}) == Reply::Bulk("a"));
    // Each kind of change after the list's first dump, logged as operations.
    REQUIRE(Command(c, {"RPUSH", "edits", "a", "b", "c", "d", "b", "e", "f"}) == Reply::Int(7));
    REQUIRE(Command(c, {"LSET", "edits", "0", "A"}) == Reply::Ok());
    REQUIRE(Command(c, {"LINSERT", "edits", "AFTER", "c", "C"}) == Reply::Int(8));
    REQUIRE(Command(c, {"LREM", "edits", "0", "b"}) == Reply::Int(2));
    REQUIRE(Command(c, {"LTRIM", "edits", "0", "-2"}) == Reply::Ok());
    REQUIRE(Command(c, {"RPOP", "edits", "2"}) == Bulks({"e", "d"}));
    REQUIRE(Command(c, {"LMOVE", "edits", "edits", "LEFT", "RIGHT"}) == Reply::Bulk("A"));
    REQUIRE(Command(c, {"LPOP", "big", "3"}).type == Reply::Type::kArray);
    REQUIRE(Command(c, {"RPUSH", "gone", "x"}) == Reply::Int(1));
    REQUIRE(Command(c, {"RPOP", "gone"}) == Reply::Bulk("x"));
    REQUIRE(server.Stop() == 0);
  }
  PylonServer server(o);
  auto c = server.Connect();
  CHECK(Command(c, {"LRANGE", "small", "0", "-1"}) == Bulks({"b", "c"}));
  CHECK(Command(c, {"LRANGE", "edits", "0", "-1"}) == Bulks({"c", "C", "A"}));
  CHECK(Command(c, {"LLEN", "big"}) == Reply::Int(1997));
  CHECK(Command(c, {"LINDEX", "big", "0"}) == Reply::Bulk(big[1992]));
  CHECK(Command(c, {"LINDEX", "big", "-1"}) == Reply::Bulk(big[1999]));
  CHECK(Command(c, {"EXISTS", "gone"}) == Reply::Int(0));
  REQUIRE(Command(c, {"BGREWRITEAOF"}).type == Reply::Type::kStatus);
}

}  // namespace
}  // namespace pylon::e2e
