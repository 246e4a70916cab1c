// Retry backoff without a server: the formulas of "Exponential Backoff And Jitter" (AWS
// Architecture Blog) with pinned draws (the exact ranges asked for) and with a seeded generator
// over many draws (the bounds), decorrelated jitter's dependence on the previous delay, MAX,
// and the state's dump.
#include "modules/retry/retry.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "daemon/keyspace.h"
#include "modules/retry/retry_value.h"

namespace pylon::retry {
namespace {

// Answers the low or the high end of every range, and records the ranges asked for.
class Pinned final : public RandomSource {
 public:
  explicit Pinned(bool high) : high_(high) {}
  int64_t Between(int64_t lo, int64_t hi) override {
    asked.emplace_back(lo, hi);
    return high_ ? hi : lo;
  }
  std::vector<std::pair<int64_t, int64_t>> asked;

 private:
  bool high_;
};

class Seeded final : public RandomSource {
 public:
  int64_t Between(int64_t lo, int64_t hi) override {
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine_);
  }

 private:
  std::mt19937_64 engine_{42};
};

TEST_CASE("retry: no jitter is min(cap, base * 2^(attempt - 1)): BASE is the first delay",
          "[retry]") {
  Policy p{.base_ms = 100, .cap_ms = 10000, .jitter = Jitter::kNone};
  State s;
  Pinned never(false);
  std::vector<int64_t> delays;
  for (int i = 0; i < 9; i++) {
    const Step step = Next(&s, p, never);
    CHECK(step.attempt == i + 1);
    delays.push_back(step.delay_ms);
  }
  CHECK(delays == std::vector<int64_t>{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000});
  CHECK(never.asked.empty());  // no draws
  CHECK(ExponentialMs(1, 4398046511104, 42) == 4398046511104);
  CHECK(ExponentialMs(1, 4398046511104, 41) == 2199023255552);
  CHECK(ExponentialMs(3, 100, 1000000) == 100);  // no overflow
  CHECK(ExponentialMs(4398046511104, 4398046511104, 61) == 4398046511104);
}

TEST_CASE("retry: full jitter draws from [0, min(cap, base * 2^(n-1))]", "[retry]") {
  Policy p{.base_ms = 50, .cap_ms = 1000, .jitter = Jitter::kFull};
  State s;
  Pinned high(true);
  for (int i = 0; i < 6; i++) Next(&s, p, high);
  CHECK(high.asked == std::vector<std::pair<int64_t, int64_t>>{
                          {0, 50}, {0, 100}, {0, 200}, {0, 400}, {0, 800}, {0, 1000}});
  Seeded random;
  for (int run = 0; run < 2000; run++) {
    State st;
    for (int n = 1; n <= 8; n++) {
      const Step step = Next(&st, p, random);
      const int64_t temp = std::min<int64_t>(1000, 50 << (n - 1));
      REQUIRE(step.delay_ms >= 0);
      REQUIRE(step.delay_ms <= temp);
    }
  }
}

TEST_CASE("retry: equal jitter is temp/2 + random_between(0, temp/2)", "[retry]") {
  Policy p{.base_ms = 50, .cap_ms = 1001, .jitter = Jitter::kEqual};
  State lo_state, hi_state;
  Pinned lo(false), hi(true);
  std::vector<int64_t> lows, highs;
  for (int i = 0; i < 6; i++) {
    lows.push_back(Next(&lo_state, p, lo).delay_ms);
    highs.push_back(Next(&hi_state, p, hi).delay_ms);
  }
  CHECK(lows == std::vector<int64_t>{25, 50, 100, 200, 400, 500});
  // An odd temp (the cap, 1001) still reaches temp: the random half is temp - temp / 2.
  CHECK(highs == std::vector<int64_t>{50, 100, 200, 400, 800, 1001});
  Seeded random;
  for (int run = 0; run < 2000; run++) {
    State st;
    for (int n = 1; n <= 8; n++) {
      const int64_t temp = std::min<int64_t>(1001, 50 << (n - 1));
      const int64_t d = Next(&st, p, random).delay_ms;
      REQUIRE(d >= temp / 2);
      REQUIRE(d <= temp);
    }
  }
}

TEST_CASE("retry: decorrelated jitter is min(cap, random_between(base, previous * 3))", "[retry]") {
  Policy p{.base_ms = 10, .cap_ms = 1000, .jitter = Jitter::kDecorrelated};
  State s;
  Pinned hi(true);
  std::vector<int64_t> delays;
  for (int i = 0; i < 6; i++) delays.push_back(Next(&s, p, hi).delay_ms);
  // The first "previous" is base; each draw's top is three times the last delay.
  CHECK(hi.asked == std::vector<std::pair<int64_t, int64_t>>{
                        {10, 30}, {10, 90}, {10, 270}, {10, 810}, {10, 2430}, {10, 3000}});
  CHECK(delays == std::vector<int64_t>{30, 90, 270, 810, 1000, 1000});
  // The same attempt number draws from another range when the previous delay differs.
  State after_short{.attempt = 3, .last_delay_ms = 12};
  State after_long{.attempt = 3, .last_delay_ms = 300};
  Pinned a(true), b(true);
  CHECK(Next(&after_short, p, a).delay_ms == 36);
  CHECK(Next(&after_long, p, b).delay_ms == 900);
  // A previous delay below base / 3 (another mode's 0) draws base.
  State after_zero{.attempt = 2, .last_delay_ms = 0};
  Pinned c(true);
  CHECK(Next(&after_zero, p, c).delay_ms == 10);
  CHECK(c.asked == std::vector<std::pair<int64_t, int64_t>>{{10, 10}});
  Seeded random;
  for (int run = 0; run < 2000; run++) {
    State st;
    int64_t previous = p.base_ms;
    for (int n = 1; n <= 10; n++) {
      const int64_t d = Next(&st, p, random).delay_ms;
      REQUIRE(d >= p.base_ms);
      REQUIRE(d <= std::min<int64_t>(p.cap_ms, previous * 3));
      previous = d;
    }
  }
}

TEST_CASE("retry: MAX attempts, then give up without advancing", "[retry]") {
  Policy p{.base_ms = 100, .cap_ms = 1000, .jitter = Jitter::kNone, .max_attempts = 3};
  State s;
  Pinned never(false);
  CHECK(Next(&s, p, never).attempt == 1);
  CHECK(Next(&s, p, never).attempt == 2);
  const Step third = Next(&s, p, never);
  CHECK(third.attempt == 3);
  CHECK(third.delay_ms == 400);
  CHECK_FALSE(third.gave_up());
  for (int i = 0; i < 3; i++) {
    const Step step = Next(&s, p, never);
    CHECK(step.gave_up());
    CHECK(step.attempt == 4);
    CHECK(step.delay_ms == -1);
  }
  CHECK(s.attempt == 3);
  // A higher MAX on a later call lets the sequence go on.
  p.max_attempts = 4;
  CHECK(Next(&s, p, never).attempt == 4);
}

TEST_CASE("retry: jitter names, and the state's dump", "[retry]") {
  CHECK(ParseJitter("none") == Jitter::kNone);
  CHECK(ParseJitter("FULL") == Jitter::kFull);
  CHECK(ParseJitter("Equal") == Jitter::kEqual);
  CHECK(ParseJitter("decorrelated") == Jitter::kDecorrelated);
  CHECK_FALSE(ParseJitter("exponential"));
  CHECK(JitterName(Jitter::kDecorrelated) == "decorrelated");

  daemon::RegisterValueType(kRetryType);
  RetryValue v(State{.attempt = 7, .last_delay_ms = 1234});
  std::string dump;
  v.Dump(&dump);
  const std::optional<State> back = RetryValue::Parse(dump);
  REQUIRE(back);
  CHECK(back->attempt == 7);
  CHECK(back->last_delay_ms == 1234);
  CHECK_FALSE(RetryValue::Parse(dump.substr(1)));
  CHECK_FALSE(RetryValue::Parse(dump + "x"));
  CHECK(kRetryType.evictable);
  CHECK(kRetryType.name == "retry");
}

}  // namespace
}  // namespace pylon::retry
