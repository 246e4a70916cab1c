// CB.* over real sockets on the test clock: a full CLOSED -> OPEN -> HALF_OPEN -> CLOSED cycle
// with its events on __breaker__:<name>, CB.STATE in RESP2 and RESP3, forcing, a trial that is
// never reported, the breaker as a keyspace value (TYPE, TTL, SCAN, DEL, INFO), and bad input.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

void Advance(const Connection& c, int64_t ms) {
  REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)}).type == Reply::Type::kInteger);
}

int64_t Now(const Connection& c) {
  const Reply r = Command(c, {"TESTCLOCK", "GET"});
  REQUIRE(r.type == Reply::Type::kInteger);
  return r.integer;
}

Reply Allow(int allowed, const std::string& state, int64_t retry_after) {
  return Reply::Array({Reply::Int(allowed), Reply::Bulk(state), Reply::Int(retry_after)});
}

Reply Event(const std::string& name, const std::string& change) {
  return Reply::Array(
      {Reply::Bulk("message"), Reply::Bulk("__breaker__:" + name), Reply::Bulk(change)});
}

Reply Double(const std::string& text) { return {Reply::Type::kDouble, text, 0, {}}; }

TEST_CASE("breaker: a full cycle, each transition announced on __breaker__:<name>", "[breaker]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient sub = server.Raw();
  REQUIRE(sub.Call({"SUBSCRIBE", "__breaker__:api"}).type == Reply::Type::kArray);
  CHECK(Command(c, {"CB.CONFIG", "api", "WINDOW", "4", "COUNT", "MIN-CALLS", "4", "OPEN-MS", "1000",
                    "HALF-OPEN-CALLS", "2"}) == Reply::Ok());
  CHECK(Command(c, {"CB.ALLOW", "api"}) == Allow(1, "CLOSED", 0));
  CHECK(Command(c, {"CB.RECORD", "api", "SUCCESS"}) == Reply::Bulk("CLOSED"));
  CHECK(Command(c, {"CB.RECORD", "api", "success", "LATENCY", "20"}) == Reply::Bulk("CLOSED"));
  CHECK(Command(c, {"CB.RECORD", "api", "FAILURE"}) == Reply::Bulk("CLOSED"));
  const int64_t opened = Now(c);
  CHECK(Command(c, {"CB.RECORD", "api", "FAILURE"}) == Reply::Bulk("OPEN"));  // 2 of 4: 50 %
  CHECK(sub.ReadReply() == Event("api", "CLOSED OPEN"));

  CHECK(Command(c, {"CB.ALLOW", "api"}) == Allow(0, "OPEN", 1000));
  Advance(c, 400);
  CHECK(Command(c, {"CB.ALLOW", "api"}) == Allow(0, "OPEN", 600));
  Advance(c, 600);  // exactly OPEN-MS: the next call finds it HALF_OPEN
  CHECK(Command(c, {"CB.ALLOW", "api"}) == Allow(1, "HALF_OPEN", 0));
  CHECK(sub.ReadReply() == Event("api", "OPEN HALF_OPEN"));
  const Reply half = Command(c, {"CB.STATE", "api"});
  CHECK(*half.Field("state") == Reply::Bulk("HALF_OPEN"));
  CHECK(*half.Field("since_ms") == Reply::Int(opened + 1000));
  CHECK(*half.Field("trials_in_flight") == Reply::Int(1));
  CHECK(*half.Field("not_permitted") == Reply::Int(2));
  CHECK(Command(c, {"CB.ALLOW", "api"}) == Allow(1, "HALF_OPEN", 0));
  // Both permits out: the oldest expires at TRIAL-MS, which follows SLOW-MS (60 s by default).
  CHECK(Command(c, {"CB.ALLOW", "api"}) == Allow(0, "HALF_OPEN", 60000));
  CHECK(Command(c, {"CB.RECORD", "api", "SUCCESS"}) == Reply::Bulk("HALF_OPEN"));
  CHECK(Command(c, {"CB.RECORD", "api", "SUCCESS"}) == Reply::Bulk("CLOSED"));
  CHECK(sub.ReadReply() == Event("api", "HALF_OPEN CLOSED"));

  const Reply closed = Command(c, {"CB.STATE", "api"});
  CHECK(*closed.Field("state") == Reply::Bulk("CLOSED"));
  CHECK(*closed.Field("buffered_calls") == Reply::Int(0));
  CHECK(*closed.Field("failure_rate") == Reply::Bulk("-1"));
  CHECK(*closed.Field("since_ms") == Reply::Int(opened + 1000));

  const Reply info = Command(c, {"INFO", "breakers"});
  CHECK(InfoField(info.str, "breakers") == "1");
  CHECK(InfoField(info.str, "cb_allowed") == "3");
  CHECK(InfoField(info.str, "cb_refused") == "3");
  CHECK(InfoField(info.str, "cb_recorded") == "6");
  CHECK(InfoField(info.str, "cb_transitions") == "3");
  CHECK(Command(c, {"CONFIG", "RESETSTAT"}) == Reply::Ok());
  const Reply reset = Command(c, {"INFO", "breakers"});
  CHECK(InfoField(reset.str, "breakers") == "1");
  CHECK(InfoField(reset.str, "cb_transitions") == "0");
}

TEST_CASE("breaker: CB.STATE in RESP2 and RESP3", "[breaker]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CB.CONFIG", "s", "WINDOW", "4", "COUNT", "MIN-CALLS", "4", "SLOW-MS",
                    "100"}) == Reply::Ok());
  CHECK(Command(c, {"CB.STATE", "s"}) ==
        Reply::Array({Reply::Bulk("state"), Reply::Bulk("CLOSED"), Reply::Bulk("failure_rate"),
                      Reply::Bulk("-1"), Reply::Bulk("slow_rate"), Reply::Bulk("-1"),
                      Reply::Bulk("buffered_calls"), Reply::Int(0), Reply::Bulk("failed_calls"),
                      Reply::Int(0), Reply::Bulk("slow_calls"), Reply::Int(0),
                      Reply::Bulk("not_permitted"), Reply::Int(0), Reply::Bulk("since_ms"),
                      Reply::Int(Now(c)), Reply::Bulk("trials_in_flight"), Reply::Int(0)}));
  Command(c, {"CB.RECORD", "s", "SUCCESS"});
  Command(c, {"CB.RECORD", "s", "SUCCESS", "LATENCY", "150"});  // slow
  Command(c, {"CB.RECORD", "s", "FAILURE", "LATENCY", "100"});  // not slower than SLOW-MS
  Advance(c, 5);
  const int64_t opened = Now(c);
  CHECK(Command(c, {"CB.RECORD", "s", "FAILURE"}) == Reply::Bulk("OPEN"));
  Command(c, {"CB.ALLOW", "s"});

  const std::vector<Reply> resp2 = {Reply::Bulk("state"),
                                    Reply::Bulk("OPEN"),
                                    Reply::Bulk("failure_rate"),
                                    Reply::Bulk("50"),
                                    Reply::Bulk("slow_rate"),
                                    Reply::Bulk("25"),
                                    Reply::Bulk("buffered_calls"),
                                    Reply::Int(4),
                                    Reply::Bulk("failed_calls"),
                                    Reply::Int(2),
                                    Reply::Bulk("slow_calls"),
                                    Reply::Int(1),
                                    Reply::Bulk("not_permitted"),
                                    Reply::Int(1),
                                    Reply::Bulk("since_ms"),
                                    Reply::Int(opened),
                                    Reply::Bulk("trials_in_flight"),
                                    Reply::Int(0)};
  CHECK(Command(c, {"CB.STATE", "s"}) == Reply::Array(resp2));

  RawClient r3 = server.Raw();
  REQUIRE(r3.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  std::vector<Reply> resp3 = resp2;
  resp3[3] = Double("50");
  resp3[5] = Double("25");
  CHECK(r3.Call({"CB.STATE", "s"}) == Reply::Map(resp3));
  CHECK(r3.Call({"CB.ALLOW", "s"}) == Allow(0, "OPEN", 60000));  // OPEN-MS by default
  CHECK(r3.Call({"CB.STATE", "absent"}) == Reply::Nil());
  CHECK(Command(c, {"CB.STATE", "absent"}) == Reply::Nil());
}

TEST_CASE("breaker: created with Resilience4j's defaults; a keyspace value like any other",
          "[breaker]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CB.CONFIG", "b"}) == Reply::Nil());  // reading creates nothing
  CHECK(Command(c, {"EXISTS", "b"}) == Reply::Int(0));
  CHECK(Command(c, {"CB.ALLOW", "b"}) == Allow(1, "CLOSED", 0));
  CHECK(Command(c, {"CB.CONFIG", "b"}) ==
        Reply::Array({Reply::Bulk("window_type"),     Reply::Bulk("COUNT"),
                      Reply::Bulk("window"),          Reply::Int(100),
                      Reply::Bulk("failure_rate"),    Reply::Int(50),
                      Reply::Bulk("slow_rate"),       Reply::Int(100),
                      Reply::Bulk("slow_ms"),         Reply::Int(60000),
                      Reply::Bulk("min_calls"),       Reply::Int(100),
                      Reply::Bulk("consecutive"),     Reply::Int(0),
                      Reply::Bulk("open_ms"),         Reply::Int(60000),
                      Reply::Bulk("half_open_calls"), Reply::Int(10),
                      Reply::Bulk("trial_ms"),        Reply::Int(60000)}));
  CHECK(Command(c, {"CB.CONFIG", "b", "WINDOW", "10000", "TIME", "TRIAL-MS", "5000"}) ==
        Reply::Ok());
  const Reply config = Command(c, {"CB.CONFIG", "b"});
  CHECK(*config.Field("window_type") == Reply::Bulk("TIME"));
  CHECK(*config.Field("window") == Reply::Int(10000));
  CHECK(*config.Field("trial_ms") == Reply::Int(5000));
  CHECK(*config.Field("failure_rate") == Reply::Int(50));  // untouched options stay

  CHECK(Command(c, {"TYPE", "b"}) == Reply::Status("breaker"));
  CHECK(Command(c, {"OBJECT", "ENCODING", "b"}) == Reply::Bulk("time"));
  CHECK(Command(c, {"TTL", "b"}) == Reply::Int(-1));
  CHECK(Command(c, {"EXPIRE", "b", "100"}) == Reply::Int(1));
  CHECK(Command(c, {"CB.RECORD", "b", "FAILURE"}) == Reply::Bulk("CLOSED"));
  CHECK(Command(c, {"TTL", "b"}) == Reply::Int(100));  // changes keep the TTL
  Command(c, {"SET", "str", "x"});
  CHECK(Command(c, {"SCAN", "0", "TYPE", "breaker"}) ==
        Reply::Array({Reply::Bulk("0"), Reply::Array({Reply::Bulk("b")})}));
  CHECK(InfoField(Command(c, {"INFO", "breakers"}).str, "breakers") == "1");
  CHECK(Command(c, {"DEL", "b"}) == Reply::Int(1));
  CHECK(InfoField(Command(c, {"INFO", "breakers"}).str, "breakers") == "0");
}

TEST_CASE("breaker: CB.FORCE, with its events", "[breaker]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient sub = server.Raw();
  REQUIRE(sub.Call({"SUBSCRIBE", "__breaker__:f"}).type == Reply::Type::kArray);
  CHECK(Command(c, {"CB.FORCE", "f", "OPEN"}) == Reply::Bulk("FORCED_OPEN"));  // creates it
  CHECK(sub.ReadReply() == Event("f", "CLOSED FORCED_OPEN"));
  Advance(c, 3'600'000);
  CHECK(Command(c, {"CB.ALLOW", "f"}) == Allow(0, "FORCED_OPEN", -1));
  CHECK(Command(c, {"CB.FORCE", "f", "disabled"}) == Reply::Bulk("DISABLED"));
  CHECK(sub.ReadReply() == Event("f", "FORCED_OPEN DISABLED"));
  CHECK(Command(c, {"CB.ALLOW", "f"}) == Allow(1, "DISABLED", 0));
  CHECK(Command(c, {"CB.RECORD", "f", "FAILURE"}) == Reply::Bulk("DISABLED"));
  CHECK(*Command(c, {"CB.STATE", "f"}).Field("buffered_calls") == Reply::Int(0));
  CHECK(Command(c, {"CB.FORCE", "f", "CLOSED"}) == Reply::Bulk("CLOSED"));
  CHECK(sub.ReadReply() == Event("f", "DISABLED CLOSED"));
  CHECK(*Command(c, {"CB.STATE", "f"}).Field("not_permitted") == Reply::Int(1));
  CHECK(Command(c, {"CB.FORCE", "f", "RESET"}) == Reply::Bulk("CLOSED"));  // no change: no event
  const Reply state = Command(c, {"CB.STATE", "f"});
  CHECK(*state.Field("not_permitted") == Reply::Int(0));
  CHECK(*state.Field("since_ms") == Reply::Int(Now(c)));
  CHECK(Command(c, {"PUBLISH", "__breaker__:f", "ping"}) == Reply::Int(1));
  CHECK(sub.ReadReply() == Event("f", "ping"));  // nothing was published in between
}

TEST_CASE("breaker: a trial never reported expires, and the breaker moves on", "[breaker]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CB.CONFIG", "t", "CONSECUTIVE", "1", "OPEN-MS", "100", "HALF-OPEN-CALLS", "1",
                    "TRIAL-MS", "300"}) == Reply::Ok());
  CHECK(Command(c, {"CB.RECORD", "t", "FAILURE"}) == Reply::Bulk("OPEN"));
  Advance(c, 100);
  CHECK(Command(c, {"CB.ALLOW", "t"}) == Allow(1, "HALF_OPEN", 0));  // and never reported
  CHECK(Command(c, {"CB.ALLOW", "t"}) == Allow(0, "HALF_OPEN", 300));
  Advance(c, 300);  // expired: a failed trial, so OPEN again, then HALF_OPEN after OPEN-MS
  CHECK(Command(c, {"CB.ALLOW", "t"}) == Allow(0, "OPEN", 100));
  Advance(c, 100);
  CHECK(Command(c, {"CB.ALLOW", "t"}) == Allow(1, "HALF_OPEN", 0));
  CHECK(Command(c, {"CB.RECORD", "t", "SUCCESS"}) == Reply::Bulk("CLOSED"));
}

TEST_CASE("breaker: bad input gets a clear error and changes nothing", "[breaker]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CB.CONFIG", "b", "FAILURE-RATE", "30"}) == Reply::Ok());
  CHECK(Command(c, {"SET", "str", "x"}) == Reply::Ok());
  const Reply config_before = Command(c, {"CB.CONFIG", "b"});
  const Reply state_before = Command(c, {"CB.STATE", "b"});
  const std::string wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
  const std::string syntax = "ERR syntax error";
  const std::string integer = "ERR value is not an integer or out of range";
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"CB.ALLOW"}, "ERR wrong number of arguments for 'cb.allow' command"},
      {{"CB.ALLOW", "b", "x"}, "ERR wrong number of arguments for 'cb.allow' command"},
      {{"CB.STATE"}, "ERR wrong number of arguments for 'cb.state' command"},
      {{"CB.CONFIG"}, "ERR wrong number of arguments for 'cb.config' command"},
      {{"CB.RECORD", "b"}, "ERR wrong number of arguments for 'cb.record' command"},
      {{"CB.FORCE", "b"}, "ERR wrong number of arguments for 'cb.force' command"},
      {{"CB.ALLOW", "str"}, wrongtype},
      {{"CB.STATE", "str"}, wrongtype},
      {{"CB.CONFIG", "str"}, wrongtype},
      {{"CB.CONFIG", "str", "OPEN-MS", "5"}, wrongtype},
      {{"CB.RECORD", "str", "SUCCESS"}, wrongtype},
      {{"CB.FORCE", "str", "OPEN"}, wrongtype},
      {{"CB.RECORD", "absent", "SUCCESS"}, "ERR no such breaker"},
      {{"CB.RECORD", "b", "MAYBE"}, "ERR outcome must be SUCCESS or FAILURE"},
      {{"CB.RECORD", "b", "SUCCESS", "LATENCY"}, syntax},
      {{"CB.RECORD", "b", "SUCCESS", "DURATION", "5"}, syntax},
      {{"CB.RECORD", "b", "SUCCESS", "LATENCY", "5", "x"}, syntax},
      {{"CB.RECORD", "b", "SUCCESS", "LATENCY", "fast"}, integer},
      {{"CB.RECORD", "b", "FAILURE", "LATENCY", "-1"},
       "ERR LATENCY must be from 0 to 4398046511104 ms"},
      {{"CB.FORCE", "b", "SIDEWAYS"}, "ERR CB.FORCE takes OPEN, CLOSED, DISABLED or RESET"},
      {{"CB.FORCE", "b", "HALF_OPEN"}, "ERR CB.FORCE takes OPEN, CLOSED, DISABLED or RESET"},
      {{"CB.CONFIG", "b", "WINDOW", "10"}, syntax},
      {{"CB.CONFIG", "b", "WINDOW", "10", "CALLS"},
       "ERR WINDOW must be followed by a size and COUNT or TIME"},
      {{"CB.CONFIG", "b", "WINDOW", "ten", "COUNT"}, integer},
      {{"CB.CONFIG", "b", "WINDOW", "0", "COUNT"},
       "ERR WINDOW COUNT must be from 1 to 100000 calls"},
      {{"CB.CONFIG", "b", "WINDOW", "100001", "COUNT"},
       "ERR WINDOW COUNT must be from 1 to 100000 calls"},
      {{"CB.CONFIG", "b", "WINDOW", "1500", "TIME"},
       "ERR WINDOW TIME must be whole seconds from 1000 to 3600000 ms"},
      {{"CB.CONFIG", "b", "WINDOW", "0", "TIME"},
       "ERR WINDOW TIME must be whole seconds from 1000 to 3600000 ms"},
      {{"CB.CONFIG", "b", "WINDOW", "3601000", "TIME"},
       "ERR WINDOW TIME must be whole seconds from 1000 to 3600000 ms"},
      {{"CB.CONFIG", "b", "FAILURE-RATE", "0"}, "ERR FAILURE-RATE must be from 1 to 100"},
      {{"CB.CONFIG", "b", "FAILURE-RATE", "50.5"}, integer},
      {{"CB.CONFIG", "b", "SLOW-RATE", "101"}, "ERR SLOW-RATE must be from 1 to 100"},
      {{"CB.CONFIG", "b", "SLOW-MS", "0"}, "ERR SLOW-MS must be from 1 to 4398046511104 ms"},
      {{"CB.CONFIG", "b", "MIN-CALLS", "0"}, "ERR MIN-CALLS must be from 1 to 1000000000"},
      {{"CB.CONFIG", "b", "CONSECUTIVE", "-1"}, "ERR CONSECUTIVE must be from 0 to 1000000000"},
      {{"CB.CONFIG", "b", "OPEN-MS", "0"}, "ERR OPEN-MS must be from 1 to 4398046511104 ms"},
      {{"CB.CONFIG", "b", "HALF-OPEN-CALLS", "0"}, "ERR HALF-OPEN-CALLS must be from 1 to 10000"},
      {{"CB.CONFIG", "b", "TRIAL-MS", "-5"}, "ERR TRIAL-MS must be from 0 to 4398046511104 ms"},
      {{"CB.CONFIG", "b", "FAILURE-RATE"}, syntax},
      {{"CB.CONFIG", "b", "COLOR", "red"}, syntax},
      // All or nothing: the good first option is not applied either.
      {{"CB.CONFIG", "b", "FAILURE-RATE", "90", "SLOW-RATE", "0"},
       "ERR SLOW-RATE must be from 1 to 100"},
      {{"CB.CONFIG", "new", "OPEN-MS", "5", "MIN-CALLS", "x"}, integer},
  };
  for (const Case& k : cases) {
    INFO(Encode(k.args));
    CHECK(Command(c, k.args) == Reply::Error(k.error));
  }
  CHECK(Command(c, {"CB.CONFIG", "b"}) == config_before);
  CHECK(Command(c, {"CB.STATE", "b"}) == state_before);
  CHECK(Command(c, {"EXISTS", "absent", "new"}) == Reply::Int(0));
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(2));
}

}  // namespace
}  // namespace pylon::e2e
