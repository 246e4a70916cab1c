// Pub/sub over real sockets, where the differential session cannot go: subscribers that never
// read (the hard limit, the soft limit on the test clock, and one message shared by many slow
// subscribers instead of copied), and the counters CLIENT LIST and INFO show. Frames are
// compared with redis-server in tests/compat/pubsub_differential_test.py.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

int64_t InfoInt(const Connection& c, std::string_view field, const char* section) {
  Reply info = Command(c, {"INFO", section});
  REQUIRE(info.type == Reply::Type::kBulk);
  const auto value = InfoField(info.str, field);
  REQUIRE(value);
  return std::stoll(*value);
}

// A raw subscriber to `channel`, its subscribe frame read.
RawClient Subscriber(const PylonServer& server, const std::string& channel) {
  RawClient c = server.Raw();
  REQUIRE(c.Call({"SUBSCRIBE", channel}) ==
          Reply::Array({Reply::Bulk("subscribe"), Reply::Bulk(channel), Reply::Int(1)}));
  return c;
}

// Publishes `count` messages of `size` bytes, pipelined; returns the receivers of the last.
int64_t PublishMany(const Connection& pub, const std::string& channel, int count, size_t size) {
  const std::string payload(size, 'm');
  for (int i = 0; i < count; i++) Append(pub, {"PUBLISH", channel, payload});
  int64_t receivers = -1;
  for (int i = 0; i < count; i++) {
    Reply r = GetReply(pub);
    REQUIRE(r.type == Reply::Type::kInteger);
    receivers = r.integer;
  }
  return receivers;
}

size_t ClientCount(const Connection& c) {
  Reply list = Command(c, {"CLIENT", "LIST"});
  REQUIRE(list.type == Reply::Type::kBulk);
  return Lines(list.str).size();
}

TEST_CASE("a subscriber that never reads is cut off at the pubsub hard limit; others go on",
          "[pubsub][limits]") {
  PylonServer server({"--client-output-buffer-limit", "pubsub", "1mb", "0", "0"});
  auto pub = server.Connect();
  RawClient slow = Subscriber(server, "feed");
  RawClient good = Subscriber(server, "feed");
  const int64_t used_before = InfoInt(pub, "used_memory", "memory");
  // 8 MB in batches the good subscriber reads as they come; the slow one reads nothing.
  constexpr int kBatches = 40, kPerBatch = 20;
  constexpr size_t kSize = 10000;
  int received = 0;
  for (int b = 0; b < kBatches; b++) {
    PublishMany(pub, "feed", kPerBatch, kSize);
    for (int i = 0; i < kPerBatch; i++) {
      Reply m = good.ReadReply();
      REQUIRE(m.elements.size() == 3);
      received += m.elements[2].str.size() == kSize;
    }
  }
  CHECK(received == kBatches * kPerBatch);
  slow.ReadUntilClosed();
  CHECK(slow.closed());
  CHECK(InfoInt(pub, "client_output_buffer_limit_disconnections", "stats") == 1);
  CHECK(Command(pub, {"PUBLISH", "feed", "still here?"}) == Reply::Int(1));
  CHECK(Command(pub, {"PUBSUB", "NUMSUB", "feed"}) ==
        Reply::Array({Reply::Bulk("feed"), Reply::Int(1)}));
  CHECK(ClientCount(pub) == 2);  // the publisher and the good subscriber
  // What the slow subscriber was owed went with it.
  CHECK(InfoInt(pub, "used_memory", "memory") < used_before + 4 * 1024 * 1024);
}

TEST_CASE("a subscriber over the pubsub soft limit for soft-seconds is cut off (test clock)",
          "[pubsub][limits]") {
  PylonServer server({"--client-output-buffer-limit", "pubsub", "0", "64kb", "10"});
  auto pub = server.Connect();
  RawClient slow = Subscriber(server, "feed");
  // Far more than the socket buffers take: the rest waits in pylond, over the soft limit.
  CHECK(PublishMany(pub, "feed", 200, 50000) == 1);
  CHECK(Command(pub, {"TESTCLOCK", "ADVANCE", "9000"}).type == Reply::Type::kInteger);
  CHECK(ClientCount(pub) == 2);  // over the soft limit for 9 s: still connected
  CHECK(Command(pub, {"TESTCLOCK", "ADVANCE", "2000"}).type == Reply::Type::kInteger);
  CHECK(ClientCount(pub) == 1);  // 11 s: cut off by the cron
  CHECK(InfoInt(pub, "client_output_buffer_limit_disconnections", "stats") == 1);
  slow.ReadUntilClosed();
  CHECK(slow.closed());
}

TEST_CASE("a message waiting for many slow subscribers is held once, not once per subscriber",
          "[pubsub][memory]") {
  PylonServer server({"--client-output-buffer-limit", "pubsub", "256mb", "0", "0"});
  auto pub = server.Connect();
  constexpr int kSubscribers = 20;
  std::vector<RawClient> subscribers;
  for (int i = 0; i < kSubscribers; i++) subscribers.push_back(Subscriber(server, "wide"));
  const int64_t before = InfoInt(pub, "used_memory", "memory");
  // 10 MB for each subscriber, none of them reading: past what their sockets take (a few MB),
  // the rest is queued in pylond for all 20.
  constexpr int kMessages = 40;
  constexpr size_t kSize = 256 * 1024;
  CHECK(PublishMany(pub, "wide", kMessages, kSize) == kSubscribers);
  const int64_t grew = InfoInt(pub, "used_memory", "memory") - before;
  Reply list = Command(pub, {"CLIENT", "LIST"});
  int64_t owed = 0;  // unsent bytes over every subscriber
  for (const std::string& line : Lines(list.str)) owed += std::stoll(*ClientField(line, "obl"));
  WARN("queued for 20 subscribers: " << owed << " bytes; used_memory grew by " << grew);
  // Copies would cost what is owed; shared frames cost the 10 MB of messages, plus what each
  // subscriber is copied before it is behind (16 KB and one message), plus slack.
  REQUIRE(owed > 2 * int64_t{kMessages} * int64_t{kSize});
  const int64_t copied_before_behind = kSubscribers * (16 * 1024 + int64_t{kSize});
  CHECK(grew < int64_t{kMessages} * int64_t{kSize} + copied_before_behind + 4 * 1024 * 1024);
  // And every subscriber still gets every byte, in order.
  for (RawClient& s : subscribers) {
    for (int i = 0; i < kMessages; i++) {
      Reply m = s.ReadReply();
      REQUIRE(m.elements.size() == 3);
      REQUIRE(m.elements[2].str.size() == kSize);
    }
  }
}

TEST_CASE("CLIENT LIST and INFO count subscriptions", "[pubsub][info]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient sub = server.Raw();
  sub.Call({"SUBSCRIBE", "a", "b"});
  sub.ReadReply();
  sub.Call({"PSUBSCRIBE", "p*"});
  sub.Call({"SSUBSCRIBE", "s"});
  std::string line;
  for (const std::string& l : Lines(Command(c, {"CLIENT", "LIST"}).str)) {
    if (ClientField(l, "sub") != "0") line = l;
  }
  REQUIRE_FALSE(line.empty());
  CHECK(ClientField(line, "sub") == "2");
  CHECK(ClientField(line, "psub") == "1");
  CHECK(ClientField(line, "ssub") == "1");
  CHECK(ClientField(line, "flags") == "P");
  CHECK(InfoInt(c, "pubsub_channels", "stats") == 2);
  CHECK(InfoInt(c, "pubsub_patterns", "stats") == 1);
  CHECK(InfoInt(c, "pubsubshard_channels", "stats") == 1);
  sub.Close();
  // The disconnected subscriber is gone from every channel, pattern and shard channel.
  for (int i = 0; i < 100 && InfoInt(c, "pubsub_channels", "stats") != 0; i++) {
    Command(c, {"PING"});
  }
  CHECK(InfoInt(c, "pubsub_channels", "stats") == 0);
  CHECK(InfoInt(c, "pubsub_patterns", "stats") == 0);
  CHECK(InfoInt(c, "pubsubshard_channels", "stats") == 0);
}

}  // namespace
}  // namespace pylon::e2e
