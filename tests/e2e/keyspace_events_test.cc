// Keyspace notifications where the differential session against redis-server cannot go: the
// events of Pylon's own families (class 'd'), a key expired by the active cycle on the test
// clock, and a key evicted for maxmemory. Redis's events are compared frame for frame in
// tests/compat/keyspace_events_differential_test.py.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

// A raw client subscribed to every keyspace and keyevent channel.
RawClient EventSubscriber(const PylonServer& server) {
  RawClient c = server.Raw();
  REQUIRE(c.Call({"PSUBSCRIBE", "__key*__:*"}) ==
          Reply::Array({Reply::Bulk("psubscribe"), Reply::Bulk("__key*__:*"), Reply::Int(1)}));
  return c;
}

Reply Event(const std::string& channel, const std::string& message) {
  return Reply::Array({Reply::Bulk("pmessage"), Reply::Bulk("__key*__:*"), Reply::Bulk(channel),
                       Reply::Bulk(message)});
}

// The next two frames are `event` on `key` (keyspace, then keyevent).
void ExpectEvent(RawClient& sub, const std::string& event, const std::string& key) {
  CHECK(sub.ReadReply() == Event("__keyspace@0__:" + key, event));
  CHECK(sub.ReadReply() == Event("__keyevent@0__:" + event, key));
}

TEST_CASE("a write of a Pylon family notifies its command's name on each key it changed",
          "[keyspace_events]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"CONFIG", "SET", "notify-keyspace-events", "KEd"}) == Reply::Ok());
  RawClient sub = EventSubscriber(server);
  CHECK(Command(c, {"BF.ADD", "filter", "a"}) == Reply::Int(1));
  ExpectEvent(sub, "bf.add", "filter");
  CHECK(Command(c, {"RL.ALLOW", "limit", "LIMIT", "10", "PERIOD", "60000"}).type ==
        Reply::Type::kArray);
  ExpectEvent(sub, "rl.allow", "limit");
  // A read changes nothing and says nothing; a Redis type is not class 'd'.
  CHECK(Command(c, {"BF.EXISTS", "filter", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"SET", "plain", "v"}) == Reply::Ok());
  CHECK(Command(c, {"PUBLISH", "__keyevent@0__:marker", "end"}) == Reply::Int(1));
  CHECK(sub.ReadReply() == Event("__keyevent@0__:marker", "end"));
  // Without 'd', a family's write is silent too.
  REQUIRE(Command(c, {"CONFIG", "SET", "notify-keyspace-events", "KE$"}) == Reply::Ok());
  CHECK(Command(c, {"BF.ADD", "filter", "b"}) == Reply::Int(1));
  CHECK(Command(c, {"SET", "plain", "w"}) == Reply::Ok());
  ExpectEvent(sub, "set", "plain");
}

TEST_CASE("a key the active expiry cycle removes is notified as expired", "[keyspace_events]") {
  PylonServer server({"--hz", "100"});
  auto c = server.Connect();
  REQUIRE(Command(c, {"CONFIG", "SET", "notify-keyspace-events", "Ex"}) == Reply::Ok());
  RawClient sub = EventSubscriber(server);
  REQUIRE(Command(c, {"SET", "short", "v", "PX", "500"}) == Reply::Ok());
  REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", "1000"}).type == Reply::Type::kInteger);
  // Nobody reads the key: only the cycle can have removed it, and it says so.
  CHECK(sub.ReadReply() == Event("__keyevent@0__:expired", "short"));
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(0));
}

TEST_CASE("a key evicted for maxmemory is notified as evicted", "[keyspace_events]") {
  PylonServer server({"--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"});
  auto c = server.Connect();
  REQUIRE(Command(c, {"CONFIG", "SET", "notify-keyspace-events", "Ee"}) == Reply::Ok());
  RawClient sub = EventSubscriber(server);
  const std::string value(100000, 'v');
  for (int i = 0; i < 60; i++) {
    REQUIRE(Command(c, {"SET", "key:" + std::to_string(i), value}) == Reply::Ok());
  }
  // The first keys written are the least recently used: the first eviction is one of them.
  Reply first = sub.ReadReply();
  REQUIRE(first.type == Reply::Type::kArray);
  REQUIRE(first.elements.size() == 4);
  CHECK(first.elements[2] == Reply::Bulk("__keyevent@0__:evicted"));
  CHECK(first.elements[3].str.rfind("key:", 0) == 0);
  CHECK(Command(c, {"EXISTS", first.elements[3].str}) == Reply::Int(0));
}

}  // namespace
}  // namespace pylon::e2e
