// RETRY.* over real sockets on the test clock: the exact delays without jitter, the bounds of
// each jitter over many calls, MAX and giving up, RESET, the key's TTL (2 x CAP after each
// call), and bad input.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

void Advance(const Connection& c, int64_t ms) {
  REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)}).type == Reply::Type::kInteger);
}

Reply Step(int64_t attempt, int64_t delay) {
  return Reply::Array({Reply::Int(attempt), Reply::Int(delay)});
}

TEST_CASE("retry: exact delays without jitter, MAX, give up, RESET, TYPE and TTL", "[retry]") {
  PylonServer server;
  auto c = server.Connect();
  const std::vector<std::string> next = {"RETRY.NEXT", "job",    "BASE", "100", "CAP",
                                         "1000",       "JITTER", "none", "MAX", "4"};
  CHECK(Command(c, next) == Step(1, 100));  // BASE is the first retry's delay
  CHECK(Command(c, {"TYPE", "job"}) == Reply::Status("retry"));
  CHECK(Command(c, {"PTTL", "job"}) == Reply::Int(2000));
  CHECK(Command(c, next) == Step(2, 200));
  CHECK(Command(c, next) == Step(3, 400));
  CHECK(Command(c, next) == Step(4, 800));
  CHECK(Command(c, next) == Step(5, -1));  // gave up
  CHECK(Command(c, next) == Step(5, -1));
  CHECK(Command(c, {"RETRY.RESET", "job"}) == Reply::Int(1));
  CHECK(Command(c, {"RETRY.RESET", "job"}) == Reply::Int(0));
  CHECK(Command(c, next) == Step(1, 100));

  // The state outlives every delay (TTL 2 x CAP from the last call), then goes by itself.
  Advance(c, 2000);
  CHECK(Command(c, next) == Step(2, 200));
  Advance(c, 2001);
  CHECK(Command(c, {"EXISTS", "job"}) == Reply::Int(0));
  CHECK(Command(c, next) == Step(1, 100));

  // Defaults: BASE 100, CAP 20000, full jitter, no MAX.
  const Reply d = Command(c, {"RETRY.NEXT", "defaults"});
  REQUIRE(d.elements.size() == 2);
  CHECK(d.elements[0] == Reply::Int(1));
  CHECK(d.elements[1].integer >= 0);
  CHECK(d.elements[1].integer <= 100);
  CHECK(Command(c, {"PTTL", "defaults"}) == Reply::Int(40000));

  RawClient r3 = server.Raw();
  REQUIRE(r3.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  CHECK(r3.Call({"RETRY.NEXT", "r3", "JITTER", "none", "MAX", "1"}) == Step(1, 100));
  CHECK(r3.Call({"RETRY.NEXT", "r3", "JITTER", "none", "MAX", "1"}) == Step(2, -1));

  const Reply info = Command(c, {"INFO", "retry"});
  CHECK(InfoField(info.str, "retry_next") == "9");
  CHECK(InfoField(info.str, "retry_gave_up") == "3");
  CHECK(InfoField(info.str, "retry_resets") == "1");
}

TEST_CASE("retry: each jitter stays within its formula's bounds", "[retry]") {
  PylonServer server;
  auto c = server.Connect();
  constexpr int64_t kBase = 10, kCap = 500;
  for (const std::string jitter : {"full", "equal", "decorrelated"}) {
    INFO(jitter);
    for (int run = 0; run < 30; run++) {
      const std::string key = jitter + std::to_string(run);
      int64_t previous = kBase;
      int64_t lowest = kCap, highest = 0;
      for (int64_t n = 1; n <= 8; n++) {
        const Reply r = Command(c, {"RETRY.NEXT", key, "BASE", std::to_string(kBase), "CAP",
                                    std::to_string(kCap), "JITTER", jitter});
        REQUIRE(r.elements.size() == 2);
        REQUIRE(r.elements[0] == Reply::Int(n));
        const int64_t delay = r.elements[1].integer;
        const int64_t temp = std::min(kCap, kBase << (n - 1));
        if (jitter == "full") {
          REQUIRE(delay >= 0);
          REQUIRE(delay <= temp);
        } else if (jitter == "equal") {
          REQUIRE(delay >= temp / 2);
          REQUIRE(delay <= temp);
        } else {
          REQUIRE(delay >= kBase);
          REQUIRE(delay <= std::min(kCap, previous * 3));
        }
        lowest = std::min(lowest, delay);
        highest = std::max(highest, delay);
        previous = delay;
      }
      CHECK(lowest < highest);  // random, not a fixed sequence
    }
  }
}

TEST_CASE("retry: bad input answers clear errors and changes nothing", "[retry]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "str", "v"}) == Reply::Ok());
  const std::string kWrongType =
      "WRONGTYPE Operation against a key holding the wrong kind of value";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"RETRY.NEXT"}, "ERR wrong number of arguments for 'retry.next' command"},
      {{"RETRY.NEXT", "k", "BASE"}, "ERR syntax error"},
      {{"RETRY.NEXT", "k", "BOGUS", "1"}, "ERR syntax error"},
      {{"RETRY.NEXT", "k", "BASE", "x"}, "ERR value is not an integer or out of range"},
      {{"RETRY.NEXT", "k", "BASE", "0"}, "ERR BASE must be from 1 to 4398046511104 ms"},
      {{"RETRY.NEXT", "k", "CAP", "0"}, "ERR CAP must be from 1 to 4398046511104 ms"},
      {{"RETRY.NEXT", "k", "CAP", "4398046511105"}, "ERR CAP must be from 1 to 4398046511104 ms"},
      {{"RETRY.NEXT", "k", "BASE", "500", "CAP", "100"}, "ERR CAP must not be less than BASE"},
      {{"RETRY.NEXT", "k", "BASE", "30000"}, "ERR CAP must not be less than BASE"},
      {{"RETRY.NEXT", "k", "JITTER", "exponential"},
       "ERR JITTER must be none, full, equal or decorrelated"},
      {{"RETRY.NEXT", "k", "MAX", "0"}, "ERR MAX must be from 1 to 1000000"},
      {{"RETRY.NEXT", "k", "MAX", "x"}, "ERR value is not an integer or out of range"},
      {{"RETRY.NEXT", "str"}, kWrongType},
      {{"RETRY.RESET", "str"}, kWrongType},
      {{"RETRY.RESET"}, "ERR wrong number of arguments for 'retry.reset' command"},
  };
  for (const auto& [args, error] : cases) {
    INFO(Encode(args));
    CHECK(Command(c, args) == Reply::Error(error));
  }
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(0));
  CHECK(Command(c, {"GET", "str"}) == Reply::Bulk("v"));
}

}  // namespace
}  // namespace pylon::e2e
