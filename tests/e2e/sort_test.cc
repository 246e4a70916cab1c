// SORT and SORT_RO over real sockets: what the differential session against redis-server
// (tests/compat/collections_differential_test.py, its SORT section) cannot show: the keyspace
// events of STORE, the refusals of BY and GET patterns in cluster mode, WRONGTYPE against
// Pylon's own types, and a stored result surviving a restart on the append-only log.
#include <catch2/catch.hpp>
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

Reply Event(const std::string& channel, const std::string& message) {
  return Reply::Array({Reply::Bulk("pmessage"), Reply::Bulk("__key*__:*"), Reply::Bulk(channel),
                       Reply::Bulk(message)});
}

TEST_CASE("sort: lists, sets and sorted sets, BY, GET, LIMIT", "[sort]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"RPUSH", "l", "3", "1", "2", "10"}) == Reply::Int(4));
  CHECK(Command(c, {"SORT", "l"}) == Bulks({"1", "2", "3", "10"}));
  CHECK(Command(c, {"SORT", "l", "ALPHA"}) == Bulks({"1", "10", "2", "3"}));
  CHECK(Command(c, {"SORT", "l", "DESC", "LIMIT", "1", "2"}) == Bulks({"3", "2"}));
  CHECK(Command(c, {"SORT", "l", "BY", "nosort", "DESC"}) == Bulks({"10", "2", "1", "3"}));
  CHECK(Command(c, {"MSET", "w_1", "4", "w_2", "3", "w_3", "2", "w_10", "1"}) == Reply::Ok());
  CHECK(Command(c, {"HSET", "h_3", "name", "three"}) == Reply::Int(1));
  CHECK(Command(c, {"SORT", "l", "BY", "w_*", "GET", "#", "GET", "h_*->name"}) ==
        Reply::Array({Reply::Bulk("10"), Reply::Nil(), Reply::Bulk("3"), Reply::Bulk("three"),
                      Reply::Bulk("2"), Reply::Nil(), Reply::Bulk("1"), Reply::Nil()}));
  CHECK(Command(c, {"SADD", "s", "5", "-1", "3"}) == Reply::Int(3));
  CHECK(Command(c, {"SORT_RO", "s", "DESC"}) == Bulks({"5", "3", "-1"}));
  CHECK(Command(c, {"ZADD", "z", "1", "c", "2", "b", "3", "a"}) == Reply::Int(3));
  CHECK(Command(c, {"SORT", "z", "ALPHA"}) == Bulks({"a", "b", "c"}));
  CHECK(Command(c, {"SORT", "z", "BY", "nosort", "LIMIT", "1", "5"}) == Bulks({"b", "a"}));
  CHECK(Command(c, {"SORT", "z"}) ==
        Reply::Error("ERR One or more scores can't be converted into double"));
  CHECK(Command(c, {"SORT", "nokey"}) == Reply::Array({}));
  CHECK(Command(c, {"SORT_RO", "l", "STORE", "d"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"HSET", "h", "f", "v"}) == Reply::Int(1));
  const Reply wrongtype =
      Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(Command(c, {"SORT", "h"}) == wrongtype);
  CHECK(Command(c, {"BF.ADD", "filter", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"SORT", "filter"}) == wrongtype);
  // A BY or GET key of another type counts as missing.
  CHECK(Command(c, {"SORT", "l", "GET", "filter*"}).elements.size() == 4);
  CHECK(Command(c, {"COMMAND", "GETKEYS", "SORT", "l", "BY", "x", "STORE", "d"}) ==
        Bulks({"l", "d"}));
}

TEST_CASE("sort: STORE replaces the destination, notifies sortstore, or deletes it", "[sort]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"CONFIG", "SET", "notify-keyspace-events", "KEA"}) == Reply::Ok());
  RawClient sub = server.Raw();
  REQUIRE(sub.Call({"PSUBSCRIBE", "__key*__:*"}).type == Reply::Type::kArray);
  CHECK(Command(c, {"SET", "dst", "text", "EX", "100"}) == Reply::Ok());
  CHECK(sub.ReadReply() == Event("__keyspace@0__:dst", "set"));
  CHECK(sub.ReadReply() == Event("__keyevent@0__:set", "dst"));
  CHECK(sub.ReadReply() == Event("__keyspace@0__:dst", "expire"));
  CHECK(sub.ReadReply() == Event("__keyevent@0__:expire", "dst"));
  CHECK(Command(c, {"SADD", "s", "b", "a"}) == Reply::Int(2));
  CHECK(sub.ReadReply() == Event("__keyspace@0__:s", "sadd"));
  CHECK(sub.ReadReply() == Event("__keyevent@0__:sadd", "s"));
  // An unsorted set is stored sorted ALPHA, as Redis.
  CHECK(Command(c, {"SORT", "s", "BY", "nosort", "STORE", "dst"}) == Reply::Int(2));
  CHECK(sub.ReadReply() == Event("__keyspace@0__:dst", "sortstore"));
  CHECK(sub.ReadReply() == Event("__keyevent@0__:sortstore", "dst"));
  CHECK(Command(c, {"LRANGE", "dst", "0", "-1"}) == Bulks({"a", "b"}));
  CHECK(Command(c, {"TTL", "dst"}) == Reply::Int(-1));
  CHECK(Command(c, {"SORT", "s", "ALPHA", "LIMIT", "5", "1", "STORE", "dst"}) == Reply::Int(0));
  CHECK(sub.ReadReply() == Event("__keyspace@0__:dst", "del"));
  CHECK(sub.ReadReply() == Event("__keyevent@0__:del", "dst"));
  CHECK(Command(c, {"EXISTS", "dst"}) == Reply::Int(0));
  // Nothing to delete: no event, as the marker right after shows.
  CHECK(Command(c, {"SORT", "nokey", "STORE", "dst"}) == Reply::Int(0));
  CHECK(Command(c, {"PUBLISH", "__keyevent@0__:marker", "end"}) == Reply::Int(1));
  CHECK(sub.ReadReply() == Event("__keyevent@0__:marker", "end"));
}

TEST_CASE("sort: BY and GET patterns are refused in cluster mode", "[sort]") {
  ServerOptions o;
  o.args = {"--cluster-enabled", "yes", "--cluster-nodes", "127.0.0.1:$PORT"};
  PylonServer server(o);
  auto c = server.Connect();
  CHECK(Command(c, {"RPUSH", "{t}l", "2", "1"}) == Reply::Int(2));
  CHECK(Command(c, {"SORT", "{t}l", "BY", "w_*"}) ==
        Reply::Error("ERR BY option of SORT denied in Cluster mode."));
  CHECK(Command(c, {"SORT_RO", "{t}l", "GET", "#"}) ==
        Reply::Error("ERR GET option of SORT denied in Cluster mode."));
  CHECK(Command(c, {"SORT", "{t}l", "BY", "nosort"}) == Bulks({"2", "1"}));
  CHECK(Command(c, {"SORT", "{t}l", "STORE", "{t}d"}) == Reply::Int(2));
  CHECK(Command(c, {"LRANGE", "{t}d", "0", "-1"}) == Bulks({"1", "2"}));
}

TEST_CASE("sort: a stored result survives a restart", "[sort]") {
  TempDir dir;
  ServerOptions o;
  o.args = {"--appendonly", "yes", "--dir", dir.path(), "--appendfsync", "always"};
  o.wait_loaded = true;
  {
    PylonServer server(o);
    auto c = server.Connect();
    CHECK(Command(c, {"RPUSH", "l", "b", "c", "a"}) == Reply::Int(3));
    CHECK(Command(c, {"SORT", "l", "ALPHA", "DESC", "STORE", "out"}) == Reply::Int(3));
    REQUIRE(server.Stop() == 0);
  }
  PylonServer server(o);
  auto c = server.Connect();
  CHECK(Command(c, {"LRANGE", "out", "0", "-1"}) == Bulks({"c", "b", "a"}));
}

}  // namespace
}  // namespace pylon::e2e
