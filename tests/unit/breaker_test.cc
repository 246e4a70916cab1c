// The circuit breaker's state machine on a fake clock: every transition (by failure rate, slow
// rate and consecutive failures; OPEN to HALF_OPEN at exactly OPEN-MS; the trial round deciding
// CLOSED or OPEN; expired trials), both sliding windows, forcing, reconfiguration, and dumps.
#include "modules/breaker/breaker.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace pylon::breaker {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // a unix time in ms, on a whole second

// A breaker and its clock; every call collects the transitions it caused.
struct Fixture {
  explicit Fixture(const Config& config) : b(config, kT0) {}

  Decision Allow() { return b.Allow(now, &transitions); }
  State Record(bool success, int64_t latency = 0) {
    return b.Record(success, latency, now, &transitions);
  }
  State Success(int64_t latency = 0) { return Record(true, latency); }
  State Failure(int64_t latency = 0) { return Record(false, latency); }
  void Advance() { b.Advance(now, &transitions); }
  // Opens the breaker through CONSECUTIVE or the rate; the config must allow it by failures.
  void Trip() {
    while (b.state() == State::kClosed) Failure();
  }

  Breaker b;
  int64_t now = kT0;
  Transitions transitions;
};

bool Same(const Transition& t, State from, State to, int64_t at) {
  return t.from == from && t.to == to && t.at_ms == at;
}

Config Small() {
  Config c;
  c.window_size = 10;
  c.min_calls = 10;
  c.open_ms = 1000;
  c.half_open_calls = 3;
  c.slow_ms = 100;
  return c;
}

TEST_CASE("breaker: Resilience4j's defaults", "[breaker]") {
  const Config c;
  CHECK(c.failure_rate == 50);
  CHECK(c.slow_rate == 100);
  CHECK(c.slow_ms == 60000);
  CHECK(c.half_open_calls == 10);
  CHECK(c.window_type == WindowType::kCount);
  CHECK(c.window_size == 100);
  CHECK(c.min_calls == 100);
  CHECK(c.open_ms == 60000);
  CHECK(c.consecutive == 0);
  CHECK(c.TrialMs() == 60000);  // follows SLOW-MS
  CHECK_FALSE(Invalid(c));
  Fixture f(c);
  CHECK(f.b.state() == State::kClosed);
  CHECK(f.b.since_ms() == kT0);
  CHECK(f.b.window().FailureRate() == -1);
  CHECK(f.b.window().SlowRate() == -1);
}

TEST_CASE("breaker: CLOSED to OPEN by failure rate, not before MIN-CALLS", "[breaker]") {
  Fixture f(Small());
  for (int i = 0; i < 5; i++) f.Success();
  for (int i = 0; i < 4; i++) CHECK(f.Failure() == State::kClosed);
  // 4 of 9 failed, but 9 < MIN-CALLS: no rate yet, whatever it would be.
  CHECK(f.b.window().calls() == 9);
  CHECK(f.b.window().FailureRate() == -1);
  f.now += 7;
  CHECK(f.Failure() == State::kOpen);  // 5 of 10: 50 % reaches the threshold (>=)
  REQUIRE(f.transitions.size() == 1);
  CHECK(Same(f.transitions[0], State::kClosed, State::kOpen, kT0 + 7));
  CHECK(f.b.since_ms() == kT0 + 7);
  // OPEN keeps the window that tripped it.
  CHECK(f.b.window().FailureRate() == 50.0);
  CHECK(f.b.window().failed() == 5);
}

TEST_CASE("breaker: all failures below MIN-CALLS never trip", "[breaker]") {
  Config c = Small();
  c.min_calls = 5;
  Fixture f(c);
  for (int i = 0; i < 4; i++) CHECK(f.Failure() == State::kClosed);
  CHECK(f.b.window().FailureRate() == -1);
  CHECK(f.Failure() == State::kOpen);
}

TEST_CASE("breaker: CLOSED to OPEN by slow-call rate; slow means slower than SLOW-MS",
          "[breaker]") {
  Config c = Small();
  c.slow_rate = 50;
  Fixture f(c);
  for (int i = 0; i < 5; i++) f.Success(100);  // exactly SLOW-MS: not slow (Resilience4j: >)
  CHECK(f.b.window().slow() == 0);
  for (int i = 0; i < 4; i++) f.Success(101);
  CHECK(f.b.window().slow() == 4);
  CHECK(f.b.state() == State::kClosed);
  CHECK(f.Success(5000) == State::kOpen);  // 5 slow of 10, none failed
  CHECK(f.b.window().SlowRate() == 50.0);
  CHECK(f.b.window().FailureRate() == 0.0);
}

TEST_CASE("breaker: slow failures count in both rates", "[breaker]") {
  Config c = Small();
  c.failure_rate = 100;
  c.slow_rate = 100;
  Fixture f(c);
  for (int i = 0; i < 9; i++) f.Failure(500);
  CHECK(f.b.window().slow() == 9);
  CHECK(f.b.window().failed() == 9);
  CHECK(f.Success() == State::kClosed);  // 90 % of each
}

TEST_CASE("breaker: CONSECUTIVE trips whatever the rate, and a success restarts the count",
          "[breaker]") {
  Config c = Small();
  c.window_size = 100;
  c.min_calls = 100;
  c.consecutive = 3;
  Fixture f(c);
  f.Failure();
  f.Failure();
  f.Success();
  f.Failure();
  CHECK(f.Failure() == State::kClosed);
  CHECK(f.Failure() == State::kOpen);
  CHECK(f.b.window().FailureRate() == -1);  // 6 calls: far below MIN-CALLS
}

TEST_CASE("breaker: a count window slides the oldest calls out", "[breaker]") {
  Config c = Small();
  c.window_size = 4;
  c.min_calls = 4;
  c.failure_rate = 75;
  Fixture f(c);
  f.Failure();
  f.Failure();
  f.Success();
  f.Success();  // F F S S: 50 %
  CHECK(f.b.window().FailureRate() == 50.0);
  f.Success();  // F S S S
  CHECK(f.b.window().failed() == 1);
  f.Success();  // S S S S
  CHECK(f.b.window().failed() == 0);
  CHECK(f.b.window().calls() == 4);
  f.Failure();
  f.Failure();  // S S F F
  CHECK(f.b.state() == State::kClosed);
  CHECK(f.Failure() == State::kOpen);  // S F F F: 75 %
}

TEST_CASE("breaker: MIN-CALLS above a count window's size is capped at the size", "[breaker]") {
  Config c = Small();
  c.window_size = 4;
  c.min_calls = 100;
  CHECK(c.EffectiveMinCalls() == 4);
  Fixture f(c);
  for (int i = 0; i < 3; i++) f.Failure();
  CHECK(f.Failure() == State::kOpen);
}

TEST_CASE("breaker: a time window holds the current second and the size-1 before it", "[breaker]") {
  Config c = Small();
  c.window_type = WindowType::kTime;
  c.window_size = 3;
  c.min_calls = 2;
  c.failure_rate = 100;
  CHECK(c.EffectiveMinCalls() == 2);  // not capped: the size is seconds, not calls
  Fixture f(c);
  f.now = kT0 + 500;  // second 0
  f.Success();
  f.now = kT0 + 2500;                    // second 2
  CHECK(f.Failure() == State::kClosed);  // S F: 50 %
  f.now = kT0 + 2999;
  f.Advance();
  CHECK(f.b.window().calls() == 2);  // seconds 0..2
  f.now = kT0 + 3000;                // second 3: second 0 leaves
  f.Advance();
  CHECK(f.b.window().calls() == 1);
  CHECK(f.b.window().FailureRate() == -1);
  CHECK(f.Failure() == State::kOpen);  // F F: 100 %, only because the success left
  CHECK(f.b.window().calls() == 2);
}

TEST_CASE("breaker: OPEN refuses with the rest of OPEN-MS, then HALF_OPEN at exactly OPEN-MS",
          "[breaker]") {
  Fixture f(Small());
  f.Trip();
  const int64_t opened = f.now;
  f.transitions.clear();
  f.now = opened + 300;
  Decision d = f.Allow();
  CHECK_FALSE(d.allowed);
  CHECK(d.state == State::kOpen);
  CHECK(d.retry_after_ms == 700);
  f.now = opened + 999;
  CHECK(f.Allow().retry_after_ms == 1);
  CHECK(f.b.not_permitted() == 2);

  SECTION("asked at the very moment") {
    f.now = opened + 1000;
    d = f.Allow();
    CHECK(d.allowed);
    CHECK(d.state == State::kHalfOpen);
    CHECK(d.retry_after_ms == 0);
  }
  SECTION("asked late: the transition is still dated OPEN-MS after opening") {
    f.now = opened + 5555;
    CHECK(f.Allow().allowed);
    CHECK(f.b.since_ms() == opened + 1000);
  }
  REQUIRE(f.transitions.size() == 1);
  CHECK(Same(f.transitions[0], State::kOpen, State::kHalfOpen, opened + 1000));
  CHECK(f.b.trials_in_flight() == 1);
  CHECK(f.b.window().calls() == 0);  // a fresh trial round
}

// Brings a Small() breaker to HALF_OPEN at f.now.
void ToHalfOpen(Fixture& f) {
  f.Trip();
  f.now += f.b.config().open_ms;
  f.Advance();
  REQUIRE(f.b.state() == State::kHalfOpen);
  f.transitions.clear();
}

TEST_CASE("breaker: HALF_OPEN grants at most HALF-OPEN-CALLS permits", "[breaker]") {
  Fixture f(Small());
  ToHalfOpen(f);
  const int64_t first = f.now;
  for (int i = 0; i < 3; i++) {
    CHECK(f.Allow().allowed);
    f.now += 10;
  }
  CHECK(f.b.trials_in_flight() == 3);
  const Decision d = f.Allow();
  CHECK_FALSE(d.allowed);
  CHECK(d.state == State::kHalfOpen);
  CHECK(d.retry_after_ms == first + 100 - f.now);  // the oldest trial expires at SLOW-MS
  // A settled trial does not free its permit: the round is HALF-OPEN-CALLS calls.
  f.Success();
  CHECK_FALSE(f.Allow().allowed);
  CHECK(f.b.not_permitted() == 2);
}

TEST_CASE("breaker: HALF_OPEN to CLOSED once every trial is in and the rates are below",
          "[breaker]") {
  Fixture f(Small());
  ToHalfOpen(f);
  for (int i = 0; i < 3; i++) f.Allow();
  CHECK(f.Success() == State::kHalfOpen);
  CHECK(f.Failure() == State::kHalfOpen);  // undecided until all three are in
  CHECK(f.b.window().FailureRate() == -1);
  f.now += 42;
  CHECK(f.Success() == State::kClosed);  // 1 of 3 failed: 33 % < 50 %
  REQUIRE(f.transitions.size() == 1);
  CHECK(Same(f.transitions[0], State::kHalfOpen, State::kClosed, f.now));
  CHECK(f.b.window().calls() == 0);  // CLOSED starts with an empty window
  CHECK_FALSE(f.b.window().trial());
  CHECK(f.Allow().allowed);
}

TEST_CASE("breaker: HALF_OPEN to OPEN when the trials fail (or are slow)", "[breaker]") {
  Config c = Small();
  c.slow_rate = 60;
  Fixture f(c);
  ToHalfOpen(f);
  for (int i = 0; i < 3; i++) f.Allow();
  f.Success();
  SECTION("failures") {
    f.Failure();
    CHECK(f.Failure() == State::kOpen);  // 67 % >= 50 %
  }
  SECTION("slow successes") {
    f.Success(101);
    CHECK(f.Success(101) == State::kOpen);  // 67 % slow >= 60 %
  }
  REQUIRE(f.transitions.size() == 1);
  CHECK(Same(f.transitions[0], State::kHalfOpen, State::kOpen, f.now));
  const Decision d = f.Allow();
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after_ms == 1000);  // a full OPEN-MS again
}

TEST_CASE("breaker: outcomes that answer no trial permit take no part in the round", "[breaker]") {
  Fixture f(Small());
  ToHalfOpen(f);
  CHECK(f.Failure() == State::kHalfOpen);  // a call permitted while CLOSED, reporting late
  CHECK(f.b.window().calls() == 0);
  f.Allow();
  CHECK(f.b.trials_in_flight() == 1);
}

TEST_CASE("breaker: a trial never reported expires as a failure, so HALF_OPEN cannot stick",
          "[breaker]") {
  Config c = Small();
  c.half_open_calls = 2;
  c.trial_ms = 500;
  Fixture f(c);
  ToHalfOpen(f);
  const int64_t granted = f.now;
  f.Allow();
  f.Allow();
  f.Success();  // one trial reports; the other is lost (#903)
  f.now = granted + 499;
  CHECK(f.Allow().retry_after_ms == 1);
  CHECK(f.b.state() == State::kHalfOpen);

  SECTION("the expired trial decides the round, dated when it expired") {
    f.now = granted + 777;
    const Decision d = f.Allow();
    CHECK_FALSE(d.allowed);
    CHECK(d.state == State::kOpen);  // S + expired F: 50 % >= 50 %
    REQUIRE(f.transitions.size() == 1);
    CHECK(Same(f.transitions[0], State::kHalfOpen, State::kOpen, granted + 500));
    CHECK(d.retry_after_ms == 500 + 1000 - 777);
    CHECK(f.b.window().failed() == 1);
    CHECK(f.b.window().slow() == 1);  // TRIAL-MS 500 > SLOW-MS 100
    // The lost call reporting after all changes nothing.
    f.Success();
    CHECK(f.b.state() == State::kOpen);
  }
  SECTION("with a tolerant threshold the breaker closes instead") {
    Config tolerant = c;
    tolerant.failure_rate = 100;
    tolerant.slow_rate = 100;
    f.b.Reconfigure(tolerant, f.now, &f.transitions);
    f.now = granted + 500;
    f.Advance();
    CHECK(f.b.state() == State::kClosed);
  }
  SECTION("nobody asks for a long time: every step is dated, OPEN then HALF_OPEN again") {
    f.now = granted + 10'000;
    f.Advance();
    REQUIRE(f.transitions.size() == 2);
    CHECK(Same(f.transitions[0], State::kHalfOpen, State::kOpen, granted + 500));
    CHECK(Same(f.transitions[1], State::kOpen, State::kHalfOpen, granted + 1500));
    CHECK(f.Allow().allowed);
  }
}

TEST_CASE("breaker: TRIAL-MS 0 follows SLOW-MS", "[breaker]") {
  Config c = Small();
  c.half_open_calls = 1;
  Fixture f(c);
  ToHalfOpen(f);
  f.Allow();
  f.now += 99;
  f.Advance();
  CHECK(f.b.state() == State::kHalfOpen);
  f.now += 1;
  f.Advance();
  CHECK(f.b.state() == State::kOpen);  // one expired trial of one: 100 % failed
  CHECK(f.b.window().slow() == 0);     // TRIAL-MS == SLOW-MS: not slower than it
}

TEST_CASE("breaker: FORCE OPEN refuses always, with no retry time", "[breaker]") {
  Fixture f(Small());
  f.b.ForceState(Force::kOpen, f.now, &f.transitions);
  CHECK(f.b.state() == State::kForcedOpen);
  f.now += 1'000'000;
  const Decision d = f.Allow();
  CHECK_FALSE(d.allowed);
  CHECK(d.state == State::kForcedOpen);
  CHECK(d.retry_after_ms == -1);
  for (int i = 0; i < 10; i++) f.Failure();  // kept in the metrics, decides nothing
  CHECK(f.b.state() == State::kForcedOpen);
  CHECK(f.b.window().calls() == 10);
  REQUIRE(f.transitions.size() == 1);
  CHECK(Same(f.transitions[0], State::kClosed, State::kForcedOpen, kT0));
}

TEST_CASE("breaker: FORCE DISABLED allows always and records nothing", "[breaker]") {
  Config c = Small();
  c.consecutive = 1;
  Fixture f(c);
  f.b.ForceState(Force::kDisabled, f.now, &f.transitions);
  for (int i = 0; i < 20; i++) {
    CHECK(f.Allow().allowed);
    CHECK(f.Failure() == State::kDisabled);
  }
  CHECK(f.b.window().calls() == 0);
  CHECK(f.Allow().state == State::kDisabled);
}

TEST_CASE("breaker: FORCE CLOSED empties the window; RESET also clears the counters", "[breaker]") {
  Fixture f(Small());
  f.Trip();
  f.now += 10;
  f.Allow();
  CHECK(f.b.not_permitted() == 1);
  f.transitions.clear();
  SECTION("CLOSED") {
    f.b.ForceState(Force::kClosed, f.now, &f.transitions);
    CHECK(f.b.not_permitted() == 1);
  }
  SECTION("RESET") {
    f.b.ForceState(Force::kReset, f.now, &f.transitions);
    CHECK(f.b.not_permitted() == 0);
  }
  CHECK(f.b.state() == State::kClosed);
  CHECK(f.b.window().calls() == 0);
  CHECK(f.b.since_ms() == f.now);
  REQUIRE(f.transitions.size() == 1);
  CHECK(Same(f.transitions[0], State::kOpen, State::kClosed, f.now));
  // Forcing the state it has publishes nothing but still starts afresh.
  f.Failure();
  f.transitions.clear();
  f.b.ForceState(Force::kClosed, f.now, &f.transitions);
  CHECK(f.transitions.empty());
  CHECK(f.b.window().calls() == 0);
}

TEST_CASE("breaker: reconfiguration", "[breaker]") {
  Fixture f(Small());
  for (int i = 0; i < 4; i++) f.Failure();

  SECTION("thresholds keep the window and apply from the next call") {
    Config c = f.b.config();
    c.min_calls = 5;
    c.failure_rate = 80;
    f.b.Reconfigure(c, f.now, &f.transitions);
    CHECK(f.b.window().calls() == 4);
    CHECK(f.b.state() == State::kClosed);  // nothing recorded yet under the new rule
    CHECK(f.Failure() == State::kOpen);
  }
  SECTION("a new window shape starts empty") {
    Config c = f.b.config();
    c.window_type = WindowType::kTime;
    c.window_size = 5;
    f.b.Reconfigure(c, f.now, &f.transitions);
    CHECK(f.b.window().calls() == 0);
    CHECK(f.b.window().type() == WindowType::kTime);
  }
  SECTION("a shorter OPEN-MS applies to an open breaker at once") {
    f.Trip();
    const int64_t opened = f.now;
    f.now += 300;
    Config c = f.b.config();
    c.open_ms = 200;
    f.transitions.clear();
    f.b.Reconfigure(c, f.now, &f.transitions);
    REQUIRE(f.transitions.size() == 1);
    CHECK(Same(f.transitions[0], State::kOpen, State::kHalfOpen, opened + 200));
  }
  SECTION("a new HALF-OPEN-CALLS restarts a trial round") {
    ToHalfOpen(f);
    f.Allow();
    f.Allow();
    Config c = f.b.config();
    c.half_open_calls = 1;
    f.b.Reconfigure(c, f.now, &f.transitions);
    CHECK(f.b.trials_in_flight() == 0);
    CHECK(f.Allow().allowed);
    CHECK_FALSE(f.Allow().allowed);
    CHECK(f.Success() == State::kClosed);
  }
}

TEST_CASE("breaker: invalid configurations", "[breaker]") {
  auto invalid = [](auto change) {
    Config c;
    change(c);
    return Invalid(c).has_value();
  };
  CHECK(invalid([](Config& c) { c.window_size = 0; }));
  CHECK(invalid([](Config& c) { c.window_size = kMaxCountWindow + 1; }));
  CHECK(invalid([](Config& c) {
    c.window_type = WindowType::kTime;
    c.window_size = kMaxTimeWindowSeconds + 1;
  }));
  CHECK(invalid([](Config& c) { c.failure_rate = 0; }));
  CHECK(invalid([](Config& c) { c.slow_rate = 101; }));
  CHECK(invalid([](Config& c) { c.slow_ms = 0; }));
  CHECK(invalid([](Config& c) { c.min_calls = 0; }));
  CHECK(invalid([](Config& c) { c.consecutive = -1; }));
  CHECK(invalid([](Config& c) { c.open_ms = 0; }));
  CHECK(invalid([](Config& c) { c.half_open_calls = 0; }));
  CHECK(invalid([](Config& c) { c.trial_ms = -1; }));
  CHECK_FALSE(invalid([](Config& c) { c.trial_ms = 1; }));
}

// A dump restores to a breaker that dumps the same bytes and behaves the same from then on.
void CheckRoundTrip(Fixture& f) {
  std::string dump;
  f.b.Dump(&dump);
  std::optional<Breaker> copy = Breaker::Restore(dump);
  REQUIRE(copy);
  std::string again;
  copy->Dump(&again);
  CHECK(again == dump);
  CHECK(copy->config() == f.b.config());
  CHECK(copy->state() == f.b.state());
  CHECK(copy->since_ms() == f.b.since_ms());
  CHECK(copy->not_permitted() == f.b.not_permitted());
  CHECK(copy->window().calls() == f.b.window().calls());
  CHECK(copy->window().failed() == f.b.window().failed());
  CHECK(copy->window().slow() == f.b.window().slow());
  Transitions t1, t2;
  for (int i = 0; i < 30; i++) {
    const int64_t now = f.now + i * 137;
    const Decision a = f.b.Allow(now, &t1), b = copy->Allow(now, &t2);
    CHECK(a.allowed == b.allowed);
    CHECK(a.retry_after_ms == b.retry_after_ms);
    CHECK(f.b.Record(i % 3 != 0, i * 7, now, &t1) == copy->Record(i % 3 != 0, i * 7, now, &t2));
  }
  CHECK(t1.size() == t2.size());
  // Every truncation is refused, as is trailing garbage or another version.
  for (size_t n = 0; n < dump.size(); n++) CHECK_FALSE(Breaker::Restore(dump.substr(0, n)));
  CHECK_FALSE(Breaker::Restore(dump + "x"));
  std::string other = dump;
  other[0] = 2;
  CHECK_FALSE(Breaker::Restore(other));
}

TEST_CASE("breaker: dump and restore", "[breaker]") {
  SECTION("a count window that wrapped") {
    Config c = Small();
    c.window_size = 5;
    c.min_calls = 5;
    c.failure_rate = 100;
    c.consecutive = 7;
    Fixture f(c);
    for (int i = 0; i < 12; i++) f.Record(i % 2 == 0, i * 30);
    CHECK(f.b.window().calls() == 5);
    CheckRoundTrip(f);
  }
  SECTION("a time window") {
    Config c = Small();
    c.window_type = WindowType::kTime;
    c.window_size = 4;
    c.failure_rate = 100;
    Fixture f(c);
    for (int i = 0; i < 8; i++) {
      f.now += 700;
      f.Record(i % 3 != 0, 150);
    }
    CheckRoundTrip(f);
  }
  SECTION("HALF_OPEN with trials in flight") {
    Fixture f(Small());
    ToHalfOpen(f);
    f.Allow();
    f.Allow();
    f.Failure();
    CHECK(f.b.trials_in_flight() == 1);
    CheckRoundTrip(f);
  }
  SECTION("OPEN and FORCED_OPEN") {
    Fixture f(Small());
    f.Trip();
    f.Allow();
    CheckRoundTrip(f);
    f.now += 10'000;  // past what the round trip played
    f.b.ForceState(Force::kOpen, f.now, &f.transitions);
    CheckRoundTrip(f);
  }
}

}  // namespace
}  // namespace pylon::breaker
