// The rate limiters over a real socket, on the test clock: RL.ALLOW's replies and key lifecycle,
// RL.ALLOWALL's all-or-nothing, RL.RESET / RL.INFO, the errors, WRONGTYPE both ways, INFO's
// # Ratelimit counters, and 10,000 client keys in one pipeline with the memory they take.
// The algorithms' exact sequences and contracts are unit-tested (tests/unit/limiter_test.cc).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

Reply Ints(std::vector<int64_t> values) {
  std::vector<Reply> out;
  for (int64_t v : values) out.push_back(Reply::Int(v));
  return Reply::Array(std::move(out));
}

void Advance(const Connection& c, int64_t ms) {
  REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)}).type == Reply::Type::kInteger);
}

std::string Info(const Connection& c, std::string_view field, const char* section) {
  Reply info = Command(c, {"INFO", section});
  REQUIRE(info.type == Reply::Type::kBulk);
  return InfoField(info.str, field).value_or("<missing>");
}

const std::vector<std::string> kTenPerSecond = {"LIMIT", "10", "PERIOD", "1000", "BURST", "2"};

std::vector<std::string> Allow(std::string key, std::vector<std::string> rule,
                               std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"RL.ALLOW", std::move(key)};
  args.insert(args.end(), rule.begin(), rule.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST_CASE("RL.ALLOW admits a burst, then one call per emission interval", "[ratelimit]") {
  PylonServer server;
  auto c = server.Connect();
  // A bucket of 2 refilled at 10 per second: one token every 100 ms.
  CHECK(Command(c, Allow("k", kTenPerSecond)) == Ints({1, 2, 1, -1, 100}));
  CHECK(Command(c, Allow("k", kTenPerSecond)) == Ints({1, 2, 0, -1, 200}));
  CHECK(Command(c, Allow("k", kTenPerSecond)) == Ints({0, 2, 0, 100, 200}));
  CHECK(Command(c, {"TYPE", "k"}) == Reply::Status("ratelimit"));
  CHECK(Command(c, {"OBJECT", "ENCODING", "k"}) == Reply::Bulk("token"));
  CHECK(Command(c, {"PTTL", "k"}) == Reply::Int(200));  // the key lives until the bucket is full
  Advance(c, 99);
  CHECK(Command(c, Allow("k", kTenPerSecond)) == Ints({0, 2, 0, 1, 101}));
  Advance(c, 1);
  CHECK(Command(c, Allow("k", kTenPerSecond)) == Ints({1, 2, 0, -1, 200}));
  // COST 0 is a peek: it answers and consumes nothing.
  CHECK(Command(c, Allow("k", kTenPerSecond, {"COST", "0"})) == Ints({1, 2, 0, -1, 200}));
  CHECK(Command(c, Allow("k", kTenPerSecond, {"COST", "0"})) == Ints({1, 2, 0, -1, 200}));
}

TEST_CASE("a limiter's key goes away once it is full again", "[ratelimit][expiry]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, Allow("k", kTenPerSecond)).elements.at(0) == Reply::Int(1));
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(1));
  Advance(c, 100);  // full again: the key is due, not yet past
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(1));
  Advance(c, 1);
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(0));
  // A peek on a missing key answers for a full limiter and creates nothing.
  CHECK(Command(c, Allow("k", kTenPerSecond, {"COST", "0"})) == Ints({1, 2, 2, -1, 0}));
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(0));
}

TEST_CASE("every algorithm is served, and the window ones align to the period", "[ratelimit]") {
  PylonServer server;
  auto c = server.Connect();
  Reply now = Command(c, {"TESTCLOCK", "GET"});
  REQUIRE(now.type == Reply::Type::kInteger);
  const int64_t into_second = now.integer % 1000;
  for (const char* algo : {"token", "leaky", "fixed", "sliding", "sliding-log", "gcra"}) {
    INFO(algo);
    std::vector<std::string> rule = {"LIMIT", "2", "PERIOD", "1000", "ALGO", algo};
    std::string key = std::string("k:") + algo;
    CHECK(Command(c, Allow(key, rule)).elements.at(0) == Reply::Int(1));
    CHECK(Command(c, Allow(key, rule)).elements.at(0) == Reply::Int(1));
    Reply third = Command(c, Allow(key, rule));
    REQUIRE(third.elements.size() == 5);
    CHECK(third.elements[0] == Reply::Int(0));
    CHECK(third.elements[1] == Reply::Int(2));
    CHECK(third.elements[3].integer > 0);
    CHECK(Command(c, {"OBJECT", "ENCODING", key}) == Reply::Bulk(algo));
  }
  // The fixed window opens again on the next multiple of the period.
  std::vector<std::string> fixed = {"LIMIT", "2", "PERIOD", "1000", "ALGO", "fixed"};
  CHECK(Command(c, Allow("k:fixed", fixed)).elements.at(3) == Reply::Int(1000 - into_second));
}

TEST_CASE("RL.ALLOWALL consumes from every limit or from none", "[ratelimit]") {
  PylonServer server;
  auto c = server.Connect();
  const std::vector<std::string> call = {"RL.ALLOWALL", "3",      "ip",     "user",  "global",
                                         "LIMIT",       "2",      "PERIOD", "1000",  "LIMIT",
                                         "1",           "PERIOD", "1000",   "LIMIT", "100",
                                         "PERIOD",      "1000",   "ALGO",   "fixed"};
  Reply first = Command(c, call);
  REQUIRE(first.elements.size() == 4);
  CHECK(first.elements[0] == Reply::Int(1));
  CHECK(first.elements[1] == Reply::Nil());
  CHECK(first.elements[2] == Reply::Int(-1));
  Reply second = Command(c, call);  // "user" allows one per second
  REQUIRE(second.elements.size() == 4);
  CHECK(second.elements[0] == Reply::Int(0));
  CHECK(second.elements[1] == Reply::Bulk("user"));
  CHECK(second.elements[2] == Reply::Int(1000));
  // Nothing was consumed from "ip" and "global" by the refused call.
  CHECK(Command(c, {"RL.INFO", "ip"}).Field("remaining")->integer == 1);
  CHECK(Command(c, {"RL.INFO", "global"}).Field("remaining")->integer == 99);
  CHECK(Command(c, {"COMMAND", "GETKEYS", "RL.ALLOWALL", "2", "a", "b", "LIMIT", "1", "PERIOD", "1",
                    "LIMIT", "1", "PERIOD", "1"}) ==
        Reply::Array({Reply::Bulk("a"), Reply::Bulk("b")}));
  CHECK(Command(c, {"RL.ALLOWALL", "2", "a", "a", "LIMIT", "1", "PERIOD", "1", "LIMIT", "1",
                    "PERIOD", "1"}) == Reply::Error("ERR key 'a' appears twice"));
  // Many keys (past the pairwise check): the first repeated one in order is named; 20,000
  // distinct keys are admitted in one call.
  for (const int repeat_at : {-1, 19999, 17}) {
    std::vector<std::string> many = {"RL.ALLOWALL", "20000"};
    for (int i = 0; i < 20000; i++) {
      many.push_back(i == repeat_at ? "m3" : "m" + std::to_string(i));
    }
    for (int i = 0; i < 20000; i++) many.insert(many.end(), {"LIMIT", "5", "PERIOD", "1000"});
    const Reply r = Command(c, many);
    if (repeat_at < 0) {
      REQUIRE(r.elements.size() == 4);
      CHECK(r.elements[0] == Reply::Int(1));
    } else {
      CHECK(r == Reply::Error("ERR key 'm3' appears twice"));
    }
  }
  CHECK(Command(c, {"RL.ALLOWALL", "2", "a", "b", "LIMIT", "1", "PERIOD", "1"}) ==
        Reply::Error("ERR each key needs its rule: LIMIT n PERIOD ms ..."));
  CHECK(Command(c, {"RL.ALLOWALL", "0", "a", "LIMIT", "1", "PERIOD", "1"}) ==
        Reply::Error("ERR numkeys should be greater than 0"));
}

TEST_CASE("CL.THROTTLE answers as redis-cell, in seconds", "[ratelimit][cell]") {
  PylonServer server;
  auto c = server.Connect();
  // redis-cell's README: 15 burst, 30 per 60 s (one every 2 s): 16 at once, then limited.
  const std::vector<std::string> call = {"CL.THROTTLE", "user123", "15", "30", "60"};
  CHECK(Command(c, call) == Ints({0, 16, 15, -1, 2}));
  for (int i = 1; i < 16; i++) REQUIRE(Command(c, call).elements.at(0) == Reply::Int(0));
  CHECK(Command(c, call) == Ints({1, 16, 0, 2, 32}));
  Advance(c, 2000);
  CHECK(Command(c, call) == Ints({0, 16, 0, -1, 32}));
  CHECK(Command(c, {"TYPE", "user123"}) == Reply::Status("ratelimit"));
  CHECK(Command(c, {"OBJECT", "ENCODING", "user123"}) == Reply::Bulk("gcra"));
  CHECK(Command(c, {"CL.THROTTLE", "u", "15", "30", "60", "x"}) ==
        Reply::Error("ERR Couldn't parse as integer: x"));
  CHECK(Command(c, {"CL.THROTTLE", "u", "15", "0", "60"}) ==
        Reply::Error("ERR Zero rates are not supported"));
  CHECK(Command(c, {"CL.THROTTLE", "u", "1", "2", "3", "4", "5"}) ==
        Reply::Error("ERR wrong number of arguments for 'cl.throttle' command"));
  CHECK(Command(c, {"EXISTS", "u"}) == Reply::Int(0));
}

TEST_CASE("RL.RESET and RL.INFO", "[ratelimit]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"RL.INFO", "k"}) == Reply::Nil());
  CHECK(Command(c, Allow("k", kTenPerSecond)).elements.at(0) == Reply::Int(1));
  Reply info = Command(c, {"RL.INFO", "k"});
  CHECK(*info.Field("algorithm") == Reply::Bulk("token"));
  CHECK(*info.Field("limit") == Reply::Int(10));
  CHECK(*info.Field("period") == Reply::Int(1000));
  CHECK(*info.Field("burst") == Reply::Int(2));
  CHECK(*info.Field("remaining") == Reply::Int(1));
  CHECK(*info.Field("reset_after") == Reply::Int(100));
  CHECK(Command(c, {"RL.RESET", "k"}) == Reply::Int(1));
  CHECK(Command(c, {"RL.RESET", "k"}) == Reply::Int(0));
  CHECK(Command(c, Allow("k", kTenPerSecond)) == Ints({1, 2, 1, -1, 100}));
}

TEST_CASE("bad input is refused with a clear error and changes nothing", "[ratelimit]") {
  PylonServer server;
  auto c = server.Connect();
  auto error = [&](std::vector<std::string> args) {
    Reply r = Command(c, args);
    INFO(r.Describe());
    CHECK(r.is_error());
    return r.str;
  };
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "10"}) ==
        "ERR wrong number of arguments for 'rl.allow' command");
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "10", "BURST", "2"}) ==
        "ERR LIMIT and PERIOD are required");
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "0", "PERIOD", "1000"}) == "ERR LIMIT must be positive");
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "5", "PERIOD", "-1"}) == "ERR PERIOD must be positive");
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "x", "PERIOD", "1"}) ==
        "ERR value is not an integer or out of range");
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "5", "PERIOD", "1", "COST", "6"}) ==
        "ERR COST may not exceed BURST");
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "5", "PERIOD", "1", "ALGO", "fixed", "COST", "6"}) ==
        "ERR COST may not exceed LIMIT");
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "5", "PERIOD", "1", "ALGO", "nope"})
            .starts_with("ERR unknown ALGO 'nope'"));
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "5", "PERIOD", "1", "ALGO", "fixed", "BURST", "9"}) ==
        "ERR BURST applies to the token, leaky and gcra algorithms only");
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "200000", "PERIOD", "1", "ALGO", "sliding-log"})
            .starts_with("ERR sliding-log keeps one entry per call"));
  CHECK(error({"RL.ALLOW", "k", "LIMIT", "5", "PERIOD", "1", "WHAT", "1"}) == "ERR syntax error");
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(0));
  // A stored limiter keeps its rule: another ALGO (or LIMIT ...) is an error until RL.RESET.
  CHECK(Command(c, Allow("k", kTenPerSecond)).elements.at(0) == Reply::Int(1));
  CHECK(error(Allow("k", kTenPerSecond, {"ALGO", "gcra"})) ==
        "ERR the limiter at 'k' has another rule (ALGO token LIMIT 10 PERIOD 1000 BURST 2): "
        "RL.RESET it to change the rule");
  CHECK(Command(c, {"RL.INFO", "k"}).Field("remaining")->integer == 1);
}

TEST_CASE("limiters and strings refuse each other's commands with WRONGTYPE",
          "[ratelimit][keyspace]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply wrongtype =
      Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  REQUIRE(Command(c, {"SET", "s", "v"}) == Reply::Ok());
  CHECK(Command(c, Allow("s", kTenPerSecond)) == wrongtype);
  CHECK(Command(c, {"RL.INFO", "s"}) == wrongtype);
  CHECK(Command(c, {"RL.RESET", "s"}) == wrongtype);
  REQUIRE(Command(c, Allow("l", kTenPerSecond)).elements.at(0) == Reply::Int(1));
  for (std::vector<std::string> cmd :
       std::vector<std::vector<std::string>>{{"GET", "l"},
                                             {"APPEND", "l", "x"},
                                             {"INCR", "l"},
                                             {"STRLEN", "l"},
                                             {"GETRANGE", "l", "0", "1"},
                                             {"SETRANGE", "l", "0", "x"},
                                             {"GETDEL", "l"},
                                             {"GETEX", "l"}}) {
    INFO(cmd[0]);
    CHECK(Command(c, cmd) == wrongtype);
  }
  // Commands on any type work on a limiter's key; SET replaces it as in Redis.
  CHECK(Command(c, {"MGET", "l", "s"}) == Reply::Array({Reply::Nil(), Reply::Bulk("v")}));
  CHECK(Command(c, {"RENAME", "l", "l2"}) == Reply::Ok());
  CHECK(Command(c, {"TYPE", "l2"}) == Reply::Status("ratelimit"));
  CHECK(Command(c, {"SET", "l2", "now a string"}) == Reply::Ok());
  CHECK(Command(c, {"TYPE", "l2"}) == Reply::Status("string"));
}

TEST_CASE("INFO counts the calls under # Ratelimit", "[ratelimit][info]") {
  PylonServer server;
  auto c = server.Connect();
  std::vector<std::string> one = {"LIMIT", "1", "PERIOD", "1000"};
  Command(c, Allow("k", one));
  Command(c, Allow("k", one));
  Command(c, Allow("k", one, {"COST", "0"}));
  Command(c, {"RL.RESET", "k"});
  CHECK(Info(c, "ratelimit_allowed", "ratelimit") == "1");
  CHECK(Info(c, "ratelimit_refused", "ratelimit") == "1");
  CHECK(Info(c, "ratelimit_peeks", "ratelimit") == "1");
  CHECK(Info(c, "ratelimit_resets", "ratelimit") == "1");
  CHECK(Command(c, {"CONFIG", "RESETSTAT"}) == Reply::Ok());
  CHECK(Info(c, "ratelimit_allowed", "ratelimit") == "0");
}

TEST_CASE("10,000 client keys in one pipeline, and the memory they take", "[ratelimit][memory]") {
  PylonServer server;
  auto c = server.Connect();
  const int64_t before = std::stoll(Info(c, "used_memory_dataset", "memory"));
  constexpr int kClients = 10000;
  for (int i = 0; i < kClients; i++) {
    Append(c, Allow("rl:client:" + std::to_string(i), {"LIMIT", "100", "PERIOD", "60000"}));
  }
  int admitted = 0;
  for (int i = 0; i < kClients; i++) {
    Reply r = GetReply(c);
    REQUIRE(r.elements.size() == 5);
    admitted += r.elements[0].integer == 1;
  }
  CHECK(admitted == kClients);
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(kClients));
  const int64_t after = std::stoll(Info(c, "used_memory_dataset", "memory"));
  const int64_t per_key = (after - before) / kClients;
  WARN("dataset bytes per token-bucket limiter key: " << per_key);
  // A packed limiter lives in its key's entry: header 24 + expiry 16 + key ~14 + rule and state
  // 33 bytes, one allocation; no object beside it.
  CHECK(per_key > 0);
  CHECK(per_key <= 96);
}

}  // namespace
}  // namespace pylon::e2e
