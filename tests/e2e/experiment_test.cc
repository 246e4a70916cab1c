// EXP.* over real sockets: a client computing the documented FNV-1a recipe gets the server's
// answers; targeting and traffic; EXP.INFO in RESP2 and RESP3; redefinition; bad input.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

// docs/commands.md's recipe, as a client would write it.
uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

TEST_CASE("experiment: the server's assignments are the documented recipe", "[experiment]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"EXP.DEFINE", "checkout", "VARIANTS", "control", "2", "new", "1", "TRAFFIC",
                      "50", "SALT", "s1"}) == Reply::Ok());
  int in = 0;
  for (int u = 0; u < 300; u++) {
    const std::string user = "user-" + std::to_string(u);
    Reply expected = Reply::Nil();
    if (Fnv1a64("s1:traffic:" + user) % 10000 < 5000) {
      expected = Reply::Bulk(Fnv1a64("s1:variant:" + user) % 3 < 2 ? "control" : "new");
      in++;
    }
    REQUIRE(Command(c, {"EXP.ASSIGN", "checkout", user}) == expected);
  }
  CHECK(in > 100);
  CHECK(in < 200);
  CHECK(Command(c, {"TYPE", "checkout"}) == Reply::Status("experiment"));
  const Reply info = Command(c, {"EXP.INFO", "checkout"});
  REQUIRE(info.type == Reply::Type::kArray);
  const Reply* variants = info.Field("variants");
  REQUIRE(variants);
  int64_t assigned = 0;
  for (const Reply& v : variants->elements) assigned += v.elements.at(2).integer;
  CHECK(assigned == in);
  CHECK(*info.Field("traffic") == Reply::Bulk("50"));
  CHECK(info.Field("excluded_by_traffic")->integer == 300 - in);
  CHECK(InfoField(Command(c, {"INFO", "experiments"}).str, "exp_assigned") == std::to_string(in));
}

TEST_CASE("experiment: targeting, redefinition, RESP3, absent experiments", "[experiment]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"EXP.DEFINE", "e", "VARIANTS", "only", "1", "WHERE", "country", "in", "US,CA",
                      "age", ">=", "18"}) == Reply::Ok());
  CHECK(Command(c, {"EXP.ASSIGN", "e", "u1", "country", "CA", "age", "20"}) == Reply::Bulk("only"));
  CHECK(Command(c, {"EXP.ASSIGN", "e", "u1", "country", "CA", "age", "16"}) == Reply::Nil());
  CHECK(Command(c, {"EXP.ASSIGN", "e", "u1", "country", "FR", "age", "20"}) == Reply::Nil());
  CHECK(Command(c, {"EXP.ASSIGN", "e", "u1"}) == Reply::Nil());
  CHECK(Command(c, {"EXP.INFO", "e"}).Field("excluded_by_targeting")->integer == 3);
  // A redefinition replaces the definition and its counts.
  REQUIRE(Command(c, {"EXP.DEFINE", "e", "VARIANTS", "a", "1", "b", "0"}) == Reply::Ok());
  CHECK(Command(c, {"EXP.ASSIGN", "e", "u1"}) == Reply::Bulk("a"));
  CHECK(Command(c, {"EXP.INFO", "e"}).Field("excluded_by_targeting")->integer == 0);
  CHECK(Command(c, {"EXP.ASSIGN", "absent", "u1"}) == Reply::Nil());
  CHECK(Command(c, {"EXP.INFO", "absent"}) == Reply::Nil());

  RawClient r3 = server.Raw();
  REQUIRE(r3.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  const Reply info = r3.Call({"EXP.INFO", "e"});
  REQUIRE(info.type == Reply::Type::kMap);
  CHECK(info.Field("traffic")->type == Reply::Type::kDouble);
}

TEST_CASE("experiment: bad input answers clear errors and changes nothing", "[experiment]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "str", "v"}) == Reply::Ok());
  REQUIRE(Command(c, {"EXP.DEFINE", "e", "VARIANTS", "a", "1"}) == Reply::Ok());
  const std::string kWeight = "ERR a variant weight must be from 0 to 1000000000";
  const std::string kTraffic = "ERR TRAFFIC must be a percentage from 0 to 100, at most 2 decimals";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"EXP.DEFINE", "e", "VARIANT", "a", "1"}, "ERR syntax error"},
      {{"EXP.DEFINE", "e", "VARIANTS", "a"},
       "ERR wrong number of arguments for 'exp.define' command"},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "1", "b"}, "ERR syntax error"},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "x"}, kWeight},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "-1"}, kWeight},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "0"}, "ERR the variants' weights must not all be 0"},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "1", "a", "2"}, "ERR variant 'a' appears twice"},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "1", "TRAFFIC", "101"}, kTraffic},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "1", "TRAFFIC", "12.345"}, kTraffic},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "1", "TRAFFIC"}, "ERR syntax error"},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "1", "WHERE", "age", "gt"},
       "ERR WHERE wants triples: attribute op value"},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "1", "WHERE", "age", "~", "3"},
       "ERR unknown operator '~' (eq ne lt le gt ge in notin, or = != < <= > >=)"},
      {{"EXP.DEFINE", "e", "VARIANTS", "a", "1", "WHERE", "age", "gt", "old"},
       "ERR WHERE age gt needs a number, not 'old'"},
      {{"EXP.ASSIGN", "e", "u1", "country"}, "ERR syntax error"},
      {{"EXP.ASSIGN", "str", "u1"},
       "WRONGTYPE Operation against a key holding the wrong kind of value"},
      {{"EXP.INFO", "str"}, "WRONGTYPE Operation against a key holding the wrong kind of value"},
  };
  for (const auto& [args, error] : cases) {
    INFO(Encode(args));
    CHECK(Command(c, args) == Reply::Error(error));
  }
  CHECK(Command(c, {"EXP.ASSIGN", "e", "u1"}) == Reply::Bulk("a"));
  CHECK(Command(c, {"GET", "str"}) == Reply::Bulk("v"));
}

}  // namespace
}  // namespace pylon::e2e
