// CACHE.* over real sockets: one lease per miss when 100 clients fetch the same missing key (the
// others wait and get the value once it is filled), stale-while-revalidate on the test clock,
// stale tokens refused, tags, eviction, and bad input.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

int64_t InfoInt(const Connection& c, const char* section, std::string_view field) {
  Reply info = Command(c, {"INFO", section});
  REQUIRE(info.type == Reply::Type::kBulk);
  return std::stoll(InfoField(info.str, field).value_or("-1"));
}

void Advance(const Connection& c, int64_t ms) {
  REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)}).type == Reply::Type::kInteger);
}

Reply Hit(const std::string& value) {
  return Reply::Array({Reply::Bulk("HIT"), Reply::Bulk(value)});
}

// The token of a [MISS, token] or [STALE, value, token] reply.
std::string TokenOf(const Reply& r) {
  REQUIRE(r.type == Reply::Type::kArray);
  REQUIRE(r.elements.size() >= 2);
  return r.elements.back().str;
}

TEST_CASE("cache: 100 clients fetch one missing key: one lease, and the rest get the fill",
          "[cache]") {
  PylonServer server;
  auto c = server.Connect();
  constexpr int kClients = 100;
  std::vector<RawClient> clients;
  std::vector<int64_t> ids;
  for (int i = 0; i < kClients; i++) {
    clients.push_back(server.Raw());
    ids.push_back(clients.back().Call({"CLIENT", "ID"}).integer);
  }
  for (RawClient& r : clients) REQUIRE(r.Send(Encode({"CACHE.FETCH", "page:home", "BLOCK", "0"})));
  // All but one wait for the fill; none busy-polls.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (InfoInt(c, "clients", "blocked_clients") != kClients - 1 &&
         std::chrono::steady_clock::now() < give_up) {
  }
  REQUIRE(InfoInt(c, "clients", "blocked_clients") == kClients - 1);
  int filler = -1;
  for (int i = 0; i < kClients; i++) {
    if (ClientListLine(c, ids[i]).find("flags=b") == std::string::npos) {
      REQUIRE(filler == -1);  // exactly one got the lease
      filler = i;
    }
  }
  REQUIRE(filler >= 0);
  const Reply miss = clients[filler].ReadReply();
  REQUIRE(miss.elements.at(0) == Reply::Bulk("MISS"));
  CHECK(Command(c, {"CACHE.FILL", "page:home", TokenOf(miss), "<html>", "TTL", "60000"}) ==
        Reply::Ok());
  for (int i = 0; i < kClients; i++) {
    if (i != filler) CHECK(clients[i].ReadReply() == Hit("<html>"));
  }
  Reply stats = Command(c, {"CACHE.STATS"});
  CHECK(*stats.Field("misses") == Reply::Int(1));
  CHECK(*stats.Field("fills") == Reply::Int(1));
  CHECK(*stats.Field("lease_waits") == Reply::Int(kClients - 1));
  CHECK(*stats.Field("hits") == Reply::Int(kClients - 1));
}

TEST_CASE("cache: without BLOCK the others get WAIT; an abandoned lease passes to the next",
          "[cache]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply first = Command(c, {"CACHE.FETCH", "k", "LEASE", "500"});
  CHECK(first.elements.at(0) == Reply::Bulk("MISS"));
  CHECK(Command(c, {"CACHE.FETCH", "k"}) == Reply::Array({Reply::Bulk("WAIT")}));
  CHECK(Command(c, {"CACHE.GET", "k"}) == Reply::Nil());
  CHECK(Command(c, {"TYPE", "k"}) == Reply::Status("cache"));
  Advance(c, 500);  // the lease ended without a fill
  const Reply second = Command(c, {"CACHE.FETCH", "k"});
  CHECK(second.elements.at(0) == Reply::Bulk("MISS"));
  CHECK(TokenOf(second) != TokenOf(first));
  // The slow first filler is refused: its lease is stale.
  CHECK(Command(c, {"CACHE.FILL", "k", TokenOf(first), "old"}).is_error());
  CHECK(Command(c, {"CACHE.FILL", "k", TokenOf(second), "new"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.FILL", "k", TokenOf(second), "again"}).is_error());  // used up
  CHECK(Command(c, {"CACHE.GET", "k"}) == Reply::Bulk("new"));
  CHECK(*Command(c, {"CACHE.STATS"}).Field("fills_refused") == Reply::Int(2));
}

TEST_CASE("cache: stale-while-revalidate: stale values served, one refresher, then gone",
          "[cache]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CACHE.SET", "k", "v1", "TTL", "1000", "SWR", "5000"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.FETCH", "k"}) == Hit("v1"));
  CHECK(Command(c, {"PTTL", "k"}) == Reply::Int(6000));  // the key lives to the end of SWR
  Advance(c, 1000);
  const Reply refresher = Command(c, {"CACHE.FETCH", "k"});
  REQUIRE(refresher.elements.size() == 3);
  CHECK(refresher.elements[0] == Reply::Bulk("STALE"));
  CHECK(refresher.elements[1] == Reply::Bulk("v1"));
  CHECK(Command(c, {"CACHE.FETCH", "k"}) ==
        Reply::Array({Reply::Bulk("STALE"), Reply::Bulk("v1")}));  // one refresher only
  CHECK(Command(c, {"CACHE.GET", "k"}) == Reply::Bulk("v1"));
  CHECK(Command(c, {"CACHE.FILL", "k", TokenOf(refresher), "v2", "TTL", "1000"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.FETCH", "k"}) == Hit("v2"));
  Advance(c, 1001);  // no SWR this time: gone after the TTL
  CHECK(Command(c, {"CACHE.GET", "k"}) == Reply::Nil());
  Reply stats = Command(c, {"CACHE.STATS"});
  CHECK(*stats.Field("stale_hits") == Reply::Int(3));
  CHECK(stats.Field("hit_ratio")->type == Reply::Type::kBulk);  // a double: a bulk in RESP2
}

TEST_CASE("cache: tags: INVALIDATE drops the tagged keys, wherever they moved", "[cache]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CACHE.SET", "u:1", "a", "TAGS", "2", "users", "team:x"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.SET", "u:2", "b", "TAGS", "1", "users"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.SET", "t:x", "c", "TAGS", "1", "team:x"}) == Reply::Ok());
  CHECK(Command(c, {"RENAME", "u:2", "u:2b"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.INVALIDATE", "users"}) == Reply::Int(2));
  CHECK(Command(c, {"EXISTS", "u:1", "u:2b", "t:x"}) == Reply::Int(1));
  // An overwrite replaces the tags; a deleted key leaves the index.
  CHECK(Command(c, {"CACHE.SET", "t:x", "d"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.INVALIDATE", "team:x", "nope"}) == Reply::Int(0));
  CHECK(Command(c, {"CACHE.SET", "t:y", "e", "TAGS", "1", "team:y"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.DEL", "t:y", "t:x", "missing"}) == Reply::Int(2));
  CHECK(Command(c, {"CACHE.INVALIDATE", "team:y"}) == Reply::Int(0));
  // A lease on an invalidated key is stale.
  const Reply miss = Command(c, {"CACHE.FETCH", "p"});
  CHECK(Command(c, {"CACHE.SET", "p", "direct", "TAGS", "1", "pages"}) == Reply::Ok());
  CHECK(Command(c, {"CACHE.FILL", "p", TokenOf(miss), "late"}).is_error());
  CHECK(Command(c, {"CACHE.GET", "p"}) == Reply::Bulk("direct"));
  CHECK(InfoInt(c, "cache", "cache_invalidated") == 2);
}

TEST_CASE("cache: entries are evicted under maxmemory; bad input gets clear errors", "[cache]") {
  PylonServer server({"--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"});
  auto c = server.Connect();
  const std::string value(1000, 'v');
  for (int i = 0; i < 12000; i++) {
    Append(c, {"CACHE.SET", "k" + std::to_string(i), value, "TAGS", "1", "all"});
  }
  for (int i = 0; i < 12000; i++) REQUIRE(GetReply(c) == Reply::Ok());
  CHECK(InfoInt(c, "stats", "evicted_keys") > 0);
  const int64_t left = Command(c, {"DBSIZE"}).integer;
  CHECK(Command(c, {"CACHE.INVALIDATE", "all"}) ==
        Reply::Int(left));  // evicted ones left the index

  Command(c, {"SET", "str", "v"});
  const std::string wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
  CHECK(Command(c, {"CACHE.GET", "str"}) == Reply::Error(wrongtype));
  CHECK(Command(c, {"CACHE.FETCH", "str"}) == Reply::Error(wrongtype));
  CHECK(Command(c, {"CACHE.FILL", "str", "1", "v"}) == Reply::Error(wrongtype));
  Command(c, {"CACHE.SET", "ck", "v"});
  CHECK(Command(c, {"GET", "ck"}) == Reply::Error(wrongtype));
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"CACHE.SET", "k", "v", "SWR", "10"},
       "ERR SWR needs a TTL (the value is stale after its TTL)"},
      {{"CACHE.SET", "k", "v", "TTL", "0"}, "ERR TTL must be from 1 to 4398046511104 ms"},
      {{"CACHE.SET", "k", "v", "TTL", "x"}, "ERR value is not an integer or out of range"},
      {{"CACHE.SET", "k", "v", "TAGS", "3", "a"},
       "ERR TAGS wants a count of 1 or more, then that many tags"},
      {{"CACHE.SET", "k", "v", "TAGS", "0"},
       "ERR TAGS wants a count of 1 or more, then that many tags"},
      {{"CACHE.SET", "k", "v", "TTL"}, "ERR syntax error"},
      {{"CACHE.SET", "k", "v", "FOREVER", "1"}, "ERR syntax error"},
      {{"CACHE.FETCH", "k", "LEASE", "0"}, "ERR LEASE must be from 1 to 4398046511104 ms"},
      {{"CACHE.FETCH", "k", "BLOCK", "-1"}, "ERR BLOCK must be from 0 to 4398046511104 ms"},
      {{"CACHE.FILL", "k", "abc", "v"}, "ERR the lease token is not valid"},
      {{"CACHE.FILL", "k", "0", "v"}, "ERR the lease token is not valid"},
      {{"CACHE.STATS", "x"}, "ERR wrong number of arguments for 'cache.stats' command"},
  };
  for (const auto& [cmd, error] : cases) {
    INFO(cmd[0] << " " << cmd.back());
    CHECK(Command(c, cmd) == Reply::Error(error));
  }
}

}  // namespace
}  // namespace pylon::e2e
