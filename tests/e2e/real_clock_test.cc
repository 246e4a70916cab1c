// The real clock, from the system to a command: the only tests that sleep. Every other
// time-based test runs on the test clock, which cannot show how the system clock reaches a
// command (a server that read the time before its loop slept would answer with a time as old
// as the idle gap, and no test-clock test would notice).
//
// Each case repeats 20 times with idle gaps from 1 to 150 ms, and asserts lower bounds only:
// the server's time when it runs a command is never earlier than the moment the client sent it.
// Time may pass faster under load, never slower, so these cannot flake on a slow machine. The
// client measures its sleeps on the clock the server reads (CLOCK_REALTIME), so the bounds hold
// even while NTP slews it.
#include <time.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

constexpr int kRepetitions = 20;

int64_t RealtimeUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

// Returns once CLOCK_REALTIME has advanced by at least ms since `from_us`.
void SleepUntil(int64_t from_us, int64_t ms) {
  const int64_t until = from_us + ms * 1000;
  for (int64_t now = RealtimeUs(); now < until; now = RealtimeUs()) {
    std::this_thread::sleep_for(std::chrono::microseconds(until - now));
  }
}

// The idle gap of repetition i: 1 ms to 150 ms, spread evenly.
int64_t Gap(int i) { return 1 + int64_t{i} * 149 / (kRepetitions - 1); }

PylonServer RealClockServer() {
  ServerOptions options;
  options.test_clock = false;
  return PylonServer(options);
}

int64_t TimeUs(const Connection& c) {
  const Reply r = Command(c, {"TIME"});
  REQUIRE(r.elements.size() == 2);
  return std::stoll(r.elements[0].str) * 1'000'000 + std::stoll(r.elements[1].str);
}

TEST_CASE("real clock: a command sees a time no earlier than it was sent", "[real-clock]") {
  PylonServer server = RealClockServer();
  auto c = server.Connect();
  for (int i = 0; i < kRepetitions; i++) {
    const int64_t gap = Gap(i);
    INFO("idle gap " << gap << " ms");
    const int64_t first = TimeUs(c);
    const int64_t answered = RealtimeUs();
    SleepUntil(answered, gap);
    const int64_t sent = RealtimeUs();
    const int64_t second = TimeUs(c);
    CHECK(second >= sent);
    CHECK(second - first >= gap * 1000);
  }
}

TEST_CASE("real clock: PTTL of a fresh key counts the idle gap", "[real-clock]") {
  PylonServer server = RealClockServer();
  auto c = server.Connect();
  for (int i = 0; i < kRepetitions; i++) {
    const int64_t gap = Gap(i);
    INFO("idle gap " << gap << " ms");
    REQUIRE(Command(c, {"SET", "k", "v", "PX", "10000"}) == Reply::Ok());
    SleepUntil(RealtimeUs(), gap);
    const Reply ttl = Command(c, {"PTTL", "k"});
    REQUIRE(ttl.type == Reply::Type::kInteger);
    CHECK(ttl.integer <= 10000 - gap);
  }
}

TEST_CASE("real clock: RL.INFO's reset counts the idle gap", "[real-clock]") {
  PylonServer server = RealClockServer();
  auto c = server.Connect();
  for (int i = 0; i < kRepetitions; i++) {
    const int64_t gap = Gap(i);
    INFO("idle gap " << gap << " ms");
    const std::string key = "rl" + std::to_string(i);
    const Reply allowed = Command(c, {"RL.ALLOW", key, "LIMIT", "1", "PERIOD", "10000"});
    REQUIRE(allowed.elements.size() == 5);
    REQUIRE(allowed.elements[0] == Reply::Int(1));
    const int64_t reset = allowed.elements[4].integer;
    SleepUntil(RealtimeUs(), gap);
    const Reply info = Command(c, {"RL.INFO", key});
    const Reply* reset_after = info.Field("reset_after");
    REQUIRE(reset_after != nullptr);
    CHECK(reset_after->integer <= reset - gap);
  }
}

TEST_CASE("real clock: a key with PX t is gone on the first GET after t + 1 ms idle",
          "[real-clock]") {
  PylonServer server = RealClockServer();
  auto c = server.Connect();
  for (int i = 0; i < kRepetitions; i++) {
    const int64_t gap = Gap(i);
    INFO("PX " << gap);
    REQUIRE(Command(c, {"SET", "k", "v", "PX", std::to_string(gap)}) == Reply::Ok());
    SleepUntil(RealtimeUs(), gap + 1);  // a key lives through its expiry's millisecond
    CHECK(Command(c, {"GET", "k"}) == Reply::Nil());
  }
}

TEST_CASE("real clock: RL.ALLOW admits after exactly the retry-after it announced",
          "[real-clock]") {
  PylonServer server = RealClockServer();
  auto c = server.Connect();
  for (const std::string algo : {"token", "leaky", "gcra", "fixed", "sliding", "sliding-log"}) {
    for (int i = 0; i < kRepetitions; i++) {
      const int64_t gap = Gap(i);
      INFO(algo << ", a limit of 5 per " << 5 * gap << " ms");
      const std::vector<std::string> allow = {
          "RL.ALLOW", "t" + algo + std::to_string(i), "LIMIT", "5",
          "PERIOD",   std::to_string(5 * gap),        "ALGO",  algo};
      // Spend the limit (more calls than 5 if time refills it meanwhile), up to the refusal.
      Reply r;
      for (int call = 0; call < 1000; call++) {
        r = Command(c, allow);
        REQUIRE(r.elements.size() == 5);
        if (r.elements[0] == Reply::Int(0)) break;
      }
      REQUIRE(r.elements[0] == Reply::Int(0));
      const int64_t retry_after = r.elements[3].integer;
      CHECK(retry_after >= 1);
      SleepUntil(RealtimeUs(), retry_after);
      const Reply again = Command(c, allow);
      REQUIRE(again.elements.size() == 5);
      CHECK(again.elements[0] == Reply::Int(1));
    }
  }
}

TEST_CASE("real clock: a breaker half-opens on the first CB.ALLOW after OPEN-MS", "[real-clock]") {
  PylonServer server = RealClockServer();
  auto c = server.Connect();
  for (int i = 0; i < kRepetitions; i++) {
    const int64_t gap = Gap(i);
    INFO("OPEN-MS " << gap);
    const std::string name = "up" + std::to_string(i);
    REQUIRE(Command(c, {"CB.CONFIG", name, "CONSECUTIVE", "5", "OPEN-MS", std::to_string(gap)}) ==
            Reply::Ok());
    Reply state;
    for (int f = 0; f < 5; f++) state = Command(c, {"CB.RECORD", name, "FAILURE"});
    REQUIRE(state == Reply::Bulk("OPEN"));
    SleepUntil(RealtimeUs(), gap);
    const Reply allow = Command(c, {"CB.ALLOW", name});
    CHECK(allow == Reply::Array({Reply::Int(1), Reply::Bulk("HALF_OPEN"), Reply::Int(0)}));
  }
}

TEST_CASE("real clock: a semaphore lease and a queue lease end on time", "[real-clock]") {
  PylonServer server = RealClockServer();
  auto c = server.Connect();
  for (int i = 0; i < kRepetitions; i++) {
    const int64_t gap = Gap(i);
    INFO("LEASE " << gap);
    const std::string sem = "sem" + std::to_string(i);
    const std::vector<std::string> acquire = {"SEM.ACQUIRE", sem,     "LIMIT",
                                              "1",           "LEASE", std::to_string(gap)};
    REQUIRE(Command(c, acquire).type == Reply::Type::kBulk);
    const int64_t granted = RealtimeUs();
    const std::string queue = "q" + std::to_string(i);
    REQUIRE(Command(c, {"Q.PUSH", queue, "job"}).type == Reply::Type::kBulk);
    const Reply popped = Command(c, {"Q.POP", queue, "LEASE", std::to_string(gap)});
    const int64_t leased = RealtimeUs();
    REQUIRE(popped.elements.size() == 1);

    SleepUntil(granted, gap);
    CHECK(Command(c, acquire).type == Reply::Type::kBulk);  // the first holder's lease ended
    SleepUntil(leased, gap);
    const Reply again = Command(c, {"Q.POP", queue});
    REQUIRE(again.elements.size() == 1);
    CHECK(again.elements[0].elements[2] == Reply::Int(2));  // delivered a second time
  }
}

}  // namespace
}  // namespace pylon::e2e
