// The rate-limiting algorithms of modules/ratelimit/limiter.h: admit/refuse sequences worked out
// by hand at window and emission boundaries, costs above 1, peeks and refused calls that change
// nothing, exact retry_after and reset_after, idle gaps of years, rules at the bounds on clocks
// near 2^41 ms and beyond, rule validation and names, a property test of each algorithm's
// contract (and of exactness against a reference model) on random schedules, and liveness.
#include "modules/ratelimit/limiter.h"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

using pylon::ratelimit::Algorithm;
using pylon::ratelimit::AlgorithmName;
using pylon::ratelimit::Decision;
using pylon::ratelimit::IsWindowed;
using pylon::ratelimit::kMaxLimit;
using pylon::ratelimit::kMaxPeriodMs;
using pylon::ratelimit::kMaxScaled;
using pylon::ratelimit::kMaxSlidingLogLimit;
using pylon::ratelimit::Limiter;
using pylon::ratelimit::ParseAlgorithm;
using pylon::ratelimit::Rule;
using pylon::ratelimit::ValidateRule;

namespace {

constexpr int64_t kYearMs = 31'557'600'000;    // 365.25 days
constexpr int64_t k2100 = 4'102'444'800'000;   // 2100-01-01T00:00:00Z, a multiple of a day
constexpr int64_t k2Pow41 = int64_t{1} << 41;  // ~2039
constexpr int64_t k2Pow52 = int64_t{1} << 52;  // well beyond any wall clock
constexpr int64_t kDayMs = 86'400'000;
// The daemon's clock counts microseconds in 64 bits: no limiter ever sees a later ms.
constexpr int64_t kMaxClockMs = INT64_MAX / 1000;

constexpr std::array<Algorithm, 6> kAlgorithms = {Algorithm::kToken,      Algorithm::kLeaky,
                                                  Algorithm::kFixed,      Algorithm::kSliding,
                                                  Algorithm::kSlidingLog, Algorithm::kGcra};
constexpr std::array<Algorithm, 3> kBuckets = {Algorithm::kToken, Algorithm::kLeaky,
                                               Algorithm::kGcra};

// A rule; windowed algorithms take BURST = LIMIT, as do buckets when no burst is given.
Rule MakeRule(Algorithm algorithm, int64_t limit, int64_t period_ms, int64_t burst = 0) {
  return Rule{algorithm, limit, period_ms, IsWindowed(algorithm) || burst == 0 ? limit : burst};
}

int64_t Capacity(const Rule& rule) { return IsWindowed(rule.algorithm) ? rule.limit : rule.burst; }

// A decision in one line, so a hand-worked expectation reads as a string and fails readably.
std::string Str(const Decision& d) {
  return std::string(d.allowed ? "ok" : "no") + " rem=" + std::to_string(d.remaining) +
         " retry=" + std::to_string(d.retry_after_ms) +
         " reset=" + std::to_string(d.reset_after_ms);
}

bool Same(const Decision& x, const Decision& y) {
  return x.allowed == y.allowed && x.limit == y.limit && x.remaining == y.remaining &&
         x.retry_after_ms == y.retry_after_ms && x.reset_after_ms == y.reset_after_ms;
}

// The whole state (rule and counters), to check that a call changed nothing.
std::string State(const Limiter& limiter) {
  std::string out;
  limiter.Serialize(&out);
  return out;
}

// Broken expectations of the property tests, counted without a Catch assertion per check (there
// are millions) and reported once per schedule with the first one's context.
struct Failures {
  int count = 0;
  std::string first;
  // Context of the call being checked.
  std::string rule;
  size_t call = 0;
  int64_t now = 0, cost = 0;

  void Add(int line, const char* what) {
    if (count++ == 0) {
      first = rule + " call #" + std::to_string(call) + " now=" + std::to_string(now) +
              " cost=" + std::to_string(cost) + ": line " + std::to_string(line) + ": " + what;
    }
  }
};
#define EXPECT(f, cond) ((cond) ? void() : (f).Add(__LINE__, #cond))

std::string Describe(const Rule& r) {
  return std::string(AlgorithmName(r.algorithm)) + " LIMIT " + std::to_string(r.limit) +
         " PERIOD " + std::to_string(r.period_ms) + " BURST " + std::to_string(r.burst);
}

// Everything a decision promises about the limiter right after the call that made it:
//   retry_after is exact: at now + retry_after - 1 the same cost is still refused, at
//     now + retry_after it is admitted (-1 when admitted or when the cost never fits);
//   remaining is exact: that cost would fit now, one more would not;
//   reset_after is exact: the limiter is full (ResetAfter 0, remaining = capacity) then, and
//     not a ms earlier.
void CheckDecision(const Limiter& l, int64_t now, int64_t cost, const Decision& d, Failures& f) {
  const int64_t cap = Capacity(l.rule());
  EXPECT(f, d.limit == cap);
  EXPECT(f, d.remaining >= 0 && d.remaining <= cap);
  if (d.allowed || cost > cap) {
    EXPECT(f, d.retry_after_ms == -1);
  } else {
    EXPECT(f, d.retry_after_ms >= 1);
    EXPECT(f, !l.Check(now + d.retry_after_ms - 1, cost).allowed);
    EXPECT(f, l.Check(now + d.retry_after_ms, cost).allowed);
  }
  EXPECT(f, l.Check(now, d.remaining).allowed);
  if (d.remaining < cap) EXPECT(f, !l.Check(now, d.remaining + 1).allowed);
  EXPECT(f, d.reset_after_ms >= 0);
  EXPECT(f, l.ResetAfter(now) == d.reset_after_ms);
  const Decision then = l.Check(now + d.reset_after_ms, 0);
  EXPECT(f, then.reset_after_ms == 0 && then.remaining == cap);
  EXPECT(f, l.IsFull(now + d.reset_after_ms));
  if (d.reset_after_ms > 0) EXPECT(f, l.ResetAfter(now + d.reset_after_ms - 1) > 0);
}

// The same, as Catch assertions, for the hand-written cases.
void CheckExact(const Limiter& l, int64_t now, int64_t cost, const Decision& d) {
  Failures f;
  f.rule = Describe(l.rule());
  f.now = now;
  f.cost = cost;
  CheckDecision(l, now, cost, d, f);
  INFO(f.first);
  CHECK(f.count == 0);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

struct Admitted {
  int64_t at;
  int64_t cost;
};

// What the algorithm's definition decides for `cost` (1..capacity) at `now`, from the calls it
// admitted so far, independently of the implementation's state:
//   buckets: a bucket of B * P units that starts full and refills L units per ms holds, at now,
//     min over every admitted call k of B*P + (now - t_k) * L - P * (cost admitted from k on):
//     the call fits when cost * P fits in that for every k (and cost <= B);
//   fixed: the count in the aligned window of now, plus cost, is at most L;
//   sliding: prev * (P - e) + (curr + cost) * P <= L * P, e = now - window start;
//   sliding-log: the cost admitted in (now - P, now], plus cost, is at most L.
bool ReferenceAdmits(const Rule& r, const std::vector<Admitted>& past, int64_t now, int64_t cost) {
  const int64_t L = r.limit, P = r.period_ms, B = r.burst;
  switch (r.algorithm) {
    case Algorithm::kToken:
    case Algorithm::kLeaky:
    case Algorithm::kGcra: {
      if (cost > B) return false;
      __int128 since = 0;  // cost admitted from call k on
      for (size_t k = past.size(); k-- > 0;) {
        since += past[k].cost;
        if ((since + cost) * P >
            static_cast<__int128>(B) * P + static_cast<__int128>(now - past[k].at) * L) {
          return false;
        }
      }
      return true;
    }
    case Algorithm::kFixed: {
      int64_t count = 0;
      for (const Admitted& a : past) count += FloorDiv(a.at, P) == FloorDiv(now, P) ? a.cost : 0;
      return count + cost <= L;
    }
    case Algorithm::kSliding: {
      const int64_t w = FloorDiv(now, P), e = now - w * P;
      int64_t curr = 0, prev = 0;
      for (const Admitted& a : past) {
        if (FloorDiv(a.at, P) == w) curr += a.cost;
        if (FloorDiv(a.at, P) == w - 1) prev += a.cost;
      }
      return static_cast<__int128>(prev) * (P - e) + static_cast<__int128>(curr + cost) * P <=
             static_cast<__int128>(L) * P;
    }
    case Algorithm::kSlidingLog: {
      int64_t sum = 0;
      for (const Admitted& a : past) sum += a.at > now - P ? a.cost : 0;
      return sum + cost <= L;
    }
  }
  return false;
}

// The contract of the header over every closed interval [t_i, t_j] between admitted calls.
void CheckContract(const Rule& r, const std::vector<Admitted>& admitted, Failures& f) {
  const int64_t L = r.limit, P = r.period_ms, B = r.burst;
  std::vector<int64_t> prefix(admitted.size() + 1, 0);
  for (size_t i = 0; i < admitted.size(); i++) prefix[i + 1] = prefix[i] + admitted[i].cost;
  f.cost = 0;
  for (size_t i = 0; i < admitted.size(); i++) {
    f.call = i;
    f.now = admitted[i].at;
    for (size_t j = i; j < admitted.size(); j++) {
      const int64_t sum = prefix[j + 1] - prefix[i];
      const int64_t d = admitted[j].at - admitted[i].at;
      switch (r.algorithm) {
        case Algorithm::kToken:
        case Algorithm::kLeaky:
        case Algorithm::kGcra:
          EXPECT(f, sum <= B + static_cast<int64_t>(static_cast<__int128>(d) * L / P));
          break;
        case Algorithm::kFixed:
          if (FloorDiv(admitted[i].at, P) == FloorDiv(admitted[j].at, P)) EXPECT(f, sum <= L);
          break;
        case Algorithm::kSliding:
          if (FloorDiv(admitted[i].at, P) == FloorDiv(admitted[j].at, P)) EXPECT(f, sum <= L);
          if (d < P) EXPECT(f, sum <= 2 * L);
          break;
        case Algorithm::kSlidingLog:
          if (d < P) EXPECT(f, sum <= L);
          break;
      }
    }
  }
}

// A small deterministic generator (the standard distributions differ between libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  int64_t Between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Percent(int p) { return Between(1, 100) <= p; }

 private:
  std::mt19937_64 rng_;
};

Rule RandomRule(Random& rnd, Algorithm algorithm) {
  const int64_t limit = rnd.Between(1, 20);
  const int64_t period = rnd.Percent(20) ? rnd.Between(1, 10) : rnd.Between(1, 2000);
  return MakeRule(algorithm, limit, period, rnd.Between(1, 30));
}

struct Call {
  int64_t at;
  int64_t cost;
};

// Gaps of 0 (several calls in one ms), around the emission interval, up to two periods, about a
// period, to the last or first ms of an aligned window, and of years; costs from 0 (peeks) to the
// capacity, now and then one above it.
std::vector<Call> RandomSchedule(Random& rnd, const Rule& r, size_t n) {
  const int64_t P = r.period_ms, cap = Capacity(r);
  const int64_t emission = std::max<int64_t>(1, P / r.limit);
  int64_t t;
  switch (rnd.Between(0, 3)) {
    case 0:
      t = rnd.Between(0, 3 * P);
      break;
    case 1:
      t = k2Pow41 + rnd.Between(0, 3 * P);
      break;
    case 2:
      t = k2100 + rnd.Between(-P, P);
      break;
    default:
      t = rnd.Between(0, k2Pow52);
      break;
  }
  std::vector<Call> calls;
  calls.reserve(n);
  for (size_t i = 0; i < n; i++) {
    const int64_t kind = rnd.Between(1, 100);
    if (kind <= 30) {
      // same ms
    } else if (kind <= 60) {
      t += rnd.Between(1, 2 * emission);
    } else if (kind <= 85) {
      t += rnd.Between(1, 2 * P);
    } else if (kind <= 91) {
      t += std::max<int64_t>(0, P + rnd.Between(-2, 2));
    } else if (kind <= 97) {
      t = (t / P + 1) * P - rnd.Between(0, 1);  // the last or first ms of an aligned window
    } else {
      t += rnd.Between(1, 10 * kYearMs);
    }
    const int64_t cost = rnd.Percent(3) ? cap + 1 : rnd.Between(0, cap);
    calls.push_back({t, cost});
  }
  return calls;
}

// Runs one limiter over a schedule, checking every decision as it goes: Check answers what Allow
// does; the decision is the reference model's; peeks and refused calls leave the state as it was
// and the same call again gets the same answer; retry/remaining/reset are exact. Returns every
// decision and fills `admitted`.
std::vector<Decision> Run(const Rule& rule, const std::vector<Call>& calls,
                          std::vector<Admitted>* admitted, Failures& f) {
  Limiter l(rule);
  const int64_t cap = Capacity(rule);
  std::vector<Decision> decisions;
  decisions.reserve(calls.size());
  f.rule = Describe(rule);
  for (size_t i = 0; i < calls.size(); i++) {
    const int64_t now = calls[i].at, cost = calls[i].cost;
    f.call = i;
    f.now = now;
    f.cost = cost;
    const std::string before = State(l);
    const Decision checked = l.Check(now, cost);
    const Decision d = l.Allow(now, cost);
    EXPECT(f, Same(checked, d));
    const bool expected = cost == 0 || (cost <= cap && ReferenceAdmits(rule, *admitted, now, cost));
    EXPECT(f, d.allowed == expected);
    if (!d.allowed || cost == 0) {
      EXPECT(f, State(l) == before);
      EXPECT(f, Same(l.Allow(now, cost), d));
      EXPECT(f, State(l) == before);
    } else {
      admitted->push_back({now, cost});
    }
    CheckDecision(l, now, cost, d, f);
    decisions.push_back(d);
  }
  return decisions;
}

}  // namespace

TEST_CASE("ParseAlgorithm reads every name in any case and AlgorithmName writes it back",
          "[limiter]") {
  for (Algorithm a : kAlgorithms) {
    INFO(AlgorithmName(a));
    CHECK(ParseAlgorithm(AlgorithmName(a)) == a);
    std::string upper(AlgorithmName(a));
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(ParseAlgorithm(upper) == a);
  }
  CHECK(AlgorithmName(Algorithm::kSlidingLog) == "sliding-log");
  CHECK(ParseAlgorithm("Sliding-Log") == Algorithm::kSlidingLog);
  CHECK(ParseAlgorithm("GCRA") == Algorithm::kGcra);
  for (const char* name : {"", "tokens", "token ", " token", "sliding_log", "slidinglog",
                           "sliding-", "log", "gcra2", "unknown"}) {
    INFO('"' << name << '"');
    CHECK_FALSE(ParseAlgorithm(name).has_value());
  }
  CHECK(AlgorithmName(static_cast<Algorithm>(99)) == "unknown");
  CHECK_FALSE(IsWindowed(Algorithm::kToken));
  CHECK_FALSE(IsWindowed(Algorithm::kLeaky));
  CHECK_FALSE(IsWindowed(Algorithm::kGcra));
  CHECK(IsWindowed(Algorithm::kFixed));
  CHECK(IsWindowed(Algorithm::kSliding));
  CHECK(IsWindowed(Algorithm::kSlidingLog));
}

TEST_CASE(
    "ValidateRule refuses zero, negative and over-bound values, BURST with windows, "
    "and long logs",
    "[limiter]") {
  const std::string_view kLimit = "LIMIT must be an integer from 1 to 4294967296";
  const std::string_view kPeriod =
      "PERIOD must be an integer from 1 to 1099511627776 (milliseconds)";
  const std::string_view kBurst = "BURST must be an integer from 1 to 4294967296";
  const std::string_view kWindowBurst =
      "BURST applies to the token, leaky and gcra algorithms only";
  const std::string_view kScaled = "LIMIT or BURST times PERIOD is too large (at most 2^62)";
  const std::string_view kLog = "sliding-log keeps one entry per call: LIMIT may be at most 100000";

  for (Algorithm a : kAlgorithms) {
    INFO(AlgorithmName(a));
    CHECK_FALSE(ValidateRule(MakeRule(a, 1, 1)));
    CHECK_FALSE(ValidateRule(MakeRule(a, 10, 1000)));
    CHECK(ValidateRule(MakeRule(a, 0, 1000)) == kLimit);
    CHECK(ValidateRule(MakeRule(a, -1, 1000)) == kLimit);
    CHECK(ValidateRule(MakeRule(a, kMaxLimit + 1, 1)) == kLimit);
    CHECK(ValidateRule(MakeRule(a, INT64_MIN, 1)) == kLimit);
    CHECK(ValidateRule(MakeRule(a, 10, 0)) == kPeriod);
    CHECK(ValidateRule(MakeRule(a, 10, -1000)) == kPeriod);
    CHECK(ValidateRule(MakeRule(a, 1, kMaxPeriodMs + 1)) == kPeriod);
    CHECK(ValidateRule(MakeRule(a, 1, INT64_MAX)) == kPeriod);
    // At the bounds: PERIOD 2^40, LIMIT 2^32, and LIMIT x PERIOD = 2^62 exactly are fine; one
    // more of either factor is not.
    CHECK_FALSE(ValidateRule(MakeRule(a, 1, kMaxPeriodMs)));
    if (a != Algorithm::kSlidingLog) {
      CHECK_FALSE(ValidateRule(MakeRule(a, kMaxLimit, 1)));
      CHECK_FALSE(ValidateRule(MakeRule(a, kMaxLimit, kMaxScaled / kMaxLimit)));
      CHECK(ValidateRule(MakeRule(a, kMaxLimit, kMaxScaled / kMaxLimit + 1)) == kScaled);
      CHECK_FALSE(ValidateRule(MakeRule(a, kMaxScaled / kMaxPeriodMs, kMaxPeriodMs)));
      CHECK(ValidateRule(MakeRule(a, kMaxScaled / kMaxPeriodMs + 1, kMaxPeriodMs)) == kScaled);
    }
    // BURST 0, negative or over 2^32 is refused by every algorithm; windows take no BURST but
    // LIMIT, buckets any (even above LIMIT).
    Rule r = MakeRule(a, 10, 1000);
    r.burst = 0;
    CHECK(ValidateRule(r) == kBurst);
    r.burst = -5;
    CHECK(ValidateRule(r) == kBurst);
    r.burst = kMaxLimit + 1;
    CHECK(ValidateRule(r) == kBurst);
    r.burst = 5;
    if (IsWindowed(a)) {
      CHECK(ValidateRule(r) == kWindowBurst);
      r.burst = 11;
      CHECK(ValidateRule(r) == kWindowBurst);
    } else {
      CHECK_FALSE(ValidateRule(r));
      r.burst = kMaxLimit;  // BURST may exceed LIMIT
      CHECK_FALSE(ValidateRule(r));
    }
  }
  // BURST x PERIOD counts as well as LIMIT x PERIOD.
  CHECK_FALSE(ValidateRule(MakeRule(Algorithm::kToken, 1, kMaxScaled / kMaxLimit, kMaxLimit)));
  CHECK(ValidateRule(MakeRule(Algorithm::kGcra, 1, kMaxScaled / kMaxLimit + 1, kMaxLimit)) ==
        kScaled);
  CHECK(ValidateRule(MakeRule(Algorithm::kLeaky, 1, kMaxPeriodMs, 1 << 23)) == kScaled);
  // A sliding log keeps an entry per call: at most 100000, whatever the period.
  CHECK_FALSE(ValidateRule(MakeRule(Algorithm::kSlidingLog, kMaxSlidingLogLimit, kMaxPeriodMs)));
  CHECK(ValidateRule(MakeRule(Algorithm::kSlidingLog, kMaxSlidingLogLimit + 1, 1000)) == kLog);
  CHECK(ValidateRule(MakeRule(Algorithm::kSlidingLog, kMaxLimit, 1)) == kLog);
  CHECK_FALSE(ValidateRule(MakeRule(Algorithm::kSliding, kMaxSlidingLogLimit + 1, 1000)));
}

TEST_CASE("A bucket admits its burst at once, then one call per emission interval", "[limiter]") {
  // LIMIT 10 PERIOD 1000 BURST 5: a token is 1000 units and 10 units flow back per ms, so a
  // token every 100 ms and a full bucket 500 ms after it was emptied. Token, leaky and gcra are
  // the same bucket (tokens, water = capacity - tokens, TAT = now + water / rate).
  for (Algorithm a : kBuckets) {
    INFO(AlgorithmName(a));
    Limiter l(MakeRule(a, 10, 1000, 5));
    const int64_t t0 = 1'000'000;
    // Full at first: 5 at once, each 100 ms further from full.
    CHECK(Str(l.Allow(t0, 1)) == "ok rem=4 retry=-1 reset=100");
    CHECK(Str(l.Allow(t0, 1)) == "ok rem=3 retry=-1 reset=200");
    CHECK(Str(l.Allow(t0, 1)) == "ok rem=2 retry=-1 reset=300");
    CHECK(Str(l.Allow(t0, 1)) == "ok rem=1 retry=-1 reset=400");
    CHECK(Str(l.Allow(t0, 1)) == "ok rem=0 retry=-1 reset=500");
    // The sixth waits a whole token.
    CHECK(Str(l.Allow(t0, 1)) == "no rem=0 retry=100 reset=500");
    // At +99: 990 units, 10 short: 1 ms (and 4010 units to full: 401 ms).
    CHECK(Str(l.Allow(t0 + 99, 1)) == "no rem=0 retry=1 reset=401");
    CHECK(Str(l.Allow(t0 + 100, 1)) == "ok rem=0 retry=-1 reset=500");
    // Steady state: one every 100 ms, refused on the ms before.
    for (int64_t k = 2; k <= 20; k++) {
      INFO("k = " << k);
      CHECK(Str(l.Allow(t0 + 100 * k - 1, 1)) == "no rem=0 retry=1 reset=401");
      CHECK(Str(l.Allow(t0 + 100 * k, 1)) == "ok rem=0 retry=-1 reset=500");
    }
    // Idle for 250 ms: 2.5 tokens.
    CHECK(Str(l.Allow(t0 + 2250, 0)) == "ok rem=2 retry=-1 reset=250");
    CheckExact(l, t0 + 2250, 3, l.Check(t0 + 2250, 3));
  }
}

TEST_CASE("A bucket takes a cost above 1 as that many calls, and never a cost above its BURST",
          "[limiter]") {
  // LIMIT 10 PERIOD 1000 BURST 5 (100 ms a token). Cost 5 empties it; at +250 there are 2.5
  // tokens: cost 3 is 500 units short (50 ms), and the state is 2500 units from full (250 ms).
  for (Algorithm a : kBuckets) {
    INFO(AlgorithmName(a));
    Limiter l(MakeRule(a, 10, 1000, 5));
    CHECK(Str(l.Allow(0, 5)) == "ok rem=0 retry=-1 reset=500");
    CHECK(Str(l.Allow(250, 3)) == "no rem=2 retry=50 reset=250");
    CHECK(Str(l.Allow(250, 2)) == "ok rem=0 retry=-1 reset=450");
    // 500 units at +250 after taking 2: cost 3 is 2500 units short.
    CHECK(Str(l.Allow(250, 3)) == "no rem=0 retry=250 reset=450");
    CHECK(Str(l.Allow(499, 3)) == "no rem=2 retry=1 reset=201");
    CHECK(Str(l.Allow(500, 3)) == "ok rem=0 retry=-1 reset=500");
    // More than BURST never fits: refused with retry -1, even full and years later.
    CHECK(Str(l.Allow(500, 6)) == "no rem=0 retry=-1 reset=500");
    CHECK(Str(l.Allow(500 + 3 * kYearMs, 6)) == "no rem=5 retry=-1 reset=0");
    CHECK(Str(l.Allow(500 + 3 * kYearMs, 5)) == "ok rem=0 retry=-1 reset=500");
  }
  // BURST above LIMIT: LIMIT 2 PERIOD 1000 BURST 10 takes 10 at once, then 500 ms a token.
  for (Algorithm a : kBuckets) {
    INFO(AlgorithmName(a));
    Limiter l(MakeRule(a, 2, 1000, 10));
    CHECK(Str(l.Allow(7, 10)) == "ok rem=0 retry=-1 reset=5000");
    CHECK(Str(l.Allow(7, 2)) == "no rem=0 retry=1000 reset=5000");
    CHECK(Str(l.Allow(1006, 2)) == "no rem=1 retry=1 reset=4001");
    CHECK(Str(l.Allow(1007, 2)) == "ok rem=0 retry=-1 reset=5000");
  }
}

TEST_CASE("A fractional rate admits each call at the exact ms it is due, never earlier",
          "[limiter]") {
  // LIMIT 3 PERIOD 1000 BURST 2: a token is 1000 units, 3 flow back per ms, so the emission
  // interval is 333.33 ms. Emptied at t0, the k-th next call is due at t0 + ceil(1000k / 3):
  // +334 (1002 units, 2 left over), +667 (2 + 999 = 1001, 1 left), +1000 (1 + 999 = 1000), +1334,
  // ... (the bucket never holds more than 1002 units of its 2000, so nothing overflows). Every
  // ms before is refused, with the wait to the due time exactly; one ms before, it is 1..3 units
  // short: 1 ms.
  for (Algorithm a : kBuckets) {
    for (int64_t t0 : {int64_t{0}, int64_t{5}, k2Pow41 + 1, k2100}) {
      INFO(AlgorithmName(a) << " from " << t0);
      Limiter l(MakeRule(a, 3, 1000, 2));
      REQUIRE(l.Allow(t0, 2).allowed);
      int64_t last = t0;
      int early = 0;
      for (int64_t k = 1; k <= 30; k++) {
        const int64_t due = t0 + (1000 * k + 2) / 3;
        for (int64_t t = last; t < due; t++) {
          const Decision d = l.Check(t, 1);
          early += d.allowed || d.retry_after_ms != due - t;
        }
        const Decision before = l.Allow(due - 1, 1);
        CHECK_FALSE(before.allowed);
        CHECK(before.retry_after_ms == 1);
        CHECK(l.Allow(due, 1).allowed);
        last = due;
      }
      CHECK(early == 0);
      // 30 calls in 10 s, at exactly 3 per 1000 ms.
      CHECK(last == t0 + 10'000);
    }
  }
  // BURST 1 cannot bank the remainder: the bucket is full at +333.33 and the 2 units that flow
  // in by +334 overflow, so each call is due 334 ms after the one before (GCRA with no burst
  // tolerance does the same: TAT = max(TAT, now) + 333.33).
  for (Algorithm a : kBuckets) {
    INFO(AlgorithmName(a));
    Limiter l(MakeRule(a, 3, 1000, 1));
    CHECK(Str(l.Allow(k2100, 1)) == "ok rem=0 retry=-1 reset=334");
    for (int64_t k = 1; k <= 10; k++) {
      INFO("k = " << k);
      // 333 ms after the last: 999 units, 1 short.
      CHECK(Str(l.Allow(k2100 + 334 * k - 1, 1)) == "no rem=0 retry=1 reset=1");
      CHECK(Str(l.Allow(k2100 + 334 * k, 1)) == "ok rem=0 retry=-1 reset=334");
    }
  }
}

TEST_CASE("Fixed windows are aligned to the epoch and reset on the first ms of the next",
          "[limiter]") {
  // LIMIT 3 PERIOD 1000: windows [0, 1000), [1000, 2000), ... whenever the first call comes.
  Limiter l(MakeRule(Algorithm::kFixed, 3, 1000));
  // A first call at 999 is in [0, 1000): its count goes in 1 ms.
  CHECK(Str(l.Allow(999, 1)) == "ok rem=2 retry=-1 reset=1");
  CHECK(Str(l.Allow(999, 2)) == "ok rem=0 retry=-1 reset=1");
  CHECK(Str(l.Allow(999, 1)) == "no rem=0 retry=1 reset=1");
  // The first ms of the next window starts from 0: 6 admitted within 2 ms (the edge of fixed
  // windows that sliding ones smooth out).
  CHECK(Str(l.Allow(1000, 3)) == "ok rem=0 retry=-1 reset=1000");
  CHECK(Str(l.Allow(1999, 1)) == "no rem=0 retry=1 reset=1");
  CHECK(Str(l.Allow(2000, 2)) == "ok rem=1 retry=-1 reset=1000");
  CHECK(Str(l.Allow(2500, 2)) == "no rem=1 retry=500 reset=500");
  CHECK(Str(l.Allow(2500, 1)) == "ok rem=0 retry=-1 reset=500");
  CHECK(Str(l.Allow(3000, 0)) == "ok rem=3 retry=-1 reset=0");
  // More than LIMIT never fits.
  CHECK(Str(l.Allow(3000, 4)) == "no rem=3 retry=-1 reset=0");
  // Any later window starts from 0, whatever came before: [5000, 6000) ends in 568 ms.
  CHECK(Str(l.Allow(5432, 3)) == "ok rem=0 retry=-1 reset=568");

  // Daily windows on a clock in 2100: 4102444800000 is a multiple of a day.
  Limiter day(MakeRule(Algorithm::kFixed, 1000, kDayMs));
  CHECK(Str(day.Allow(k2100 - 1, 1000)) == "ok rem=0 retry=-1 reset=1");
  CHECK(Str(day.Allow(k2100 - 1, 1)) == "no rem=0 retry=1 reset=1");
  CHECK(Str(day.Allow(k2100, 1000)) == "ok rem=0 retry=-1 reset=86400000");
  CHECK(Str(day.Allow(k2100 + kDayMs - 1, 1)) == "no rem=0 retry=1 reset=1");
  CHECK(Str(day.Allow(k2100 + kDayMs, 1)) == "ok rem=999 retry=-1 reset=86400000");
}

TEST_CASE("Sliding weighs the previous window by how much of it still overlaps the last PERIOD",
          "[limiter]") {
  // LIMIT 10 PERIOD 1000; at e ms into a window the estimate is prev * (1000 - e) / 1000 + curr
  // (kept times 1000: prev * (1000 - e) + curr * 1000 against 10000).
  Limiter l(MakeRule(Algorithm::kSliding, 10, 1000));
  // curr 10 in [0, 1000); full until the window after next starts at 2000.
  CHECK(Str(l.Allow(500, 10)) == "ok rem=0 retry=-1 reset=1500");
  // The last ms of the window: 10000 + 1000 > 10000. In the next one prev = 10 weighs
  // 10 * (1000 - e) <= 9000 from e = 100: at 1100, 101 ms away.
  CHECK(Str(l.Allow(999, 1)) == "no rem=0 retry=101 reset=1001");
  // The first ms of the next window: the previous one still weighs fully (10 * 1000).
  CHECK(Str(l.Allow(1000, 1)) == "no rem=0 retry=100 reset=1000");
  // e = 99: 10 * 901 + 1000 = 10010 > 10000; e = 100: 9000 + 1000 = 10000.
  CHECK(Str(l.Allow(1099, 1)) == "no rem=0 retry=1 reset=901");
  CHECK(Str(l.Allow(1100, 1)) == "ok rem=0 retry=-1 reset=1900");
  // e = 500: 10 * 500 + 1 * 1000 = 6000, room for 4; cost 5 needs 10 * (1000 - e) <= 4000,
  // e >= 600: 100 ms away.
  CHECK(Str(l.Allow(1500, 5)) == "no rem=4 retry=100 reset=1500");
  CHECK_FALSE(l.Check(1599, 5).allowed);
  CHECK(l.Check(1600, 5).allowed);
  CHECK(Str(l.Allow(1500, 4)) == "ok rem=0 retry=-1 reset=1500");
  // e = 999: 10 * 1 + 5 * 1000 = 5010, cost 5 makes 10010; no e in this window fits
  // (room 0 for prev), and at 2000 prev = 5 weighs 5000: 5000 + 5000 fits. 1 ms.
  CHECK(Str(l.Allow(1999, 5)) == "no rem=4 retry=1 reset=1001");
  CHECK(Str(l.Allow(2000, 5)) == "ok rem=0 retry=-1 reset=2000");
  // At 3999 only 5 * 1 of [2000, 3000) is left (remaining floor(9995 / 1000) = 9), at 4000
  // nothing.
  CHECK(Str(l.Allow(3999, 0)) == "ok rem=9 retry=-1 reset=1");
  CHECK(Str(l.Allow(4000, 0)) == "ok rem=10 retry=-1 reset=0");
  // More than LIMIT never fits.
  CHECK(Str(l.Allow(4000, 11)) == "no rem=10 retry=-1 reset=0");
  // Each aligned window holds at most LIMIT however the calls fall: 10 on the last ms of one...
  CHECK(Str(l.Allow(4999, 10)) == "ok rem=0 retry=-1 reset=1001");
  // ...weigh fully at 5000 and leave room only as the window moves on: 1 at 5100, 2 at 5200.
  CHECK(Str(l.Allow(5099, 1)) == "no rem=0 retry=1 reset=901");
  CHECK(Str(l.Allow(5200, 2)) == "ok rem=0 retry=-1 reset=1800");
}

TEST_CASE("Sliding-log forgets a call exactly PERIOD ms after it", "[limiter]") {
  // LIMIT 3 PERIOD 1000: a call at t counts in (t - 1000, t], and is gone at t + 1000.
  Limiter l(MakeRule(Algorithm::kSlidingLog, 3, 1000));
  CHECK(Str(l.Allow(100, 1)) == "ok rem=2 retry=-1 reset=1000");
  CHECK(Str(l.Allow(200, 2)) == "ok rem=0 retry=-1 reset=1000");
  // 1099: the call at 100 still counts for 1 ms; the log is full until 200 + 1000.
  CHECK(Str(l.Allow(1099, 1)) == "no rem=0 retry=1 reset=101");
  CHECK(Str(l.Allow(1100, 1)) == "ok rem=0 retry=-1 reset=1000");
  // 1199: the 2 at 200 go at 1200.
  CHECK(Str(l.Allow(1199, 1)) == "no rem=0 retry=1 reset=901");
  // 1200: only the 1 at 1100 counts; cost 3 needs it gone too: at 2100.
  CHECK(Str(l.Allow(1200, 3)) == "no rem=2 retry=900 reset=900");
  CHECK(Str(l.Allow(2099, 3)) == "no rem=2 retry=1 reset=1");
  CHECK(Str(l.Allow(2100, 3)) == "ok rem=0 retry=-1 reset=1000");
  CHECK(Str(l.Allow(3100, 0)) == "ok rem=3 retry=-1 reset=0");
  CHECK(Str(l.Allow(3100, 4)) == "no rem=3 retry=-1 reset=0");
  // A wait is for as many of the oldest calls as the cost needs gone: 1 at 3100, 1 at 3500,
  // 1 at 3600; cost 1 at 3700 waits for the first (4100), cost 2 for the second (4500).
  CHECK(Str(l.Allow(3100, 1)) == "ok rem=2 retry=-1 reset=1000");
  CHECK(Str(l.Allow(3500, 1)) == "ok rem=1 retry=-1 reset=1000");
  CHECK(Str(l.Allow(3600, 1)) == "ok rem=0 retry=-1 reset=1000");
  CHECK(Str(l.Allow(3700, 2)) == "no rem=0 retry=800 reset=900");
  CHECK(Str(l.Allow(3700, 1)) == "no rem=0 retry=400 reset=900");
  CHECK(Str(l.Allow(4500, 2)) == "ok rem=0 retry=-1 reset=1000");
}

TEST_CASE("Peeks and refused calls change nothing", "[limiter]") {
  Random rnd(0x9e3779b97f4a7c15);
  for (Algorithm a : kAlgorithms) {
    INFO(AlgorithmName(a));
    Limiter l(MakeRule(a, 5, 1000, 4));
    const int64_t cap = Capacity(l.rule());
    int64_t t = k2100 + 123;
    int refused = 0;
    for (int i = 0; i < 400; i++) {
      t += rnd.Between(0, 150);
      const std::string before = State(l);
      // A peek reports the state without touching it, again and again.
      const Decision peek = l.Allow(t, 0);
      CHECK(peek.allowed);
      CHECK(peek.retry_after_ms == -1);
      CHECK(Same(peek, l.Check(t, 0)));
      CHECK(Same(peek, l.Allow(t, 0)));
      CHECK(State(l) == before);
      const int64_t cost = rnd.Between(1, cap + 1);
      const Decision d = l.Allow(t, cost);
      if (!d.allowed) {
        refused++;
        // Nothing was consumed: the same call at the same time gets the same answer.
        CHECK(State(l) == before);
        CHECK(Same(l.Allow(t, cost), d));
        CHECK(Same(l.Allow(t, 0), peek));
        CHECK(d.remaining == peek.remaining);
        CHECK(d.reset_after_ms == peek.reset_after_ms);
      } else {
        CHECK(d.remaining == peek.remaining - cost);
      }
    }
    CHECK(refused > 50);
  }
}

TEST_CASE("Every algorithm is back to full after an idle gap of years", "[limiter]") {
  for (Algorithm a : kAlgorithms) {
    for (int64_t t0 : {int64_t{0}, k2100}) {
      for (int64_t years : {1, 30, 200}) {
        INFO(AlgorithmName(a) << " from " << t0 << " idle " << years << " years");
        Limiter l(MakeRule(a, 5, 1000, 5));
        REQUIRE(l.Allow(t0, 5).allowed);
        CHECK_FALSE(l.Allow(t0, 1).allowed);
        const int64_t t = t0 + years * kYearMs;
        CHECK(l.IsFull(t));
        CHECK(Str(l.Allow(t, 0)) == "ok rem=5 retry=-1 reset=0");
        const Decision d = l.Allow(t, 5);
        CHECK(d.allowed);
        CHECK(d.remaining == 0);
        CheckExact(l, t, 1, l.Allow(t, 1));
      }
    }
  }
}

TEST_CASE("Rules at the bounds and clocks near 2^41 and beyond do not overflow", "[limiter]") {
  struct Bound {
    int64_t limit, period, burst;
  };
  // Products at 2^62 (LIMIT x PERIOD or BURST x PERIOD), the largest LIMIT and PERIOD alone.
  const std::vector<Bound> shared = {
      {kMaxLimit, kMaxScaled / kMaxLimit, kMaxLimit},  // 2^32 per 2^30 ms
      {kMaxScaled / kMaxPeriodMs, kMaxPeriodMs, 0},    // 2^22 per 2^40 ms
      {kMaxLimit, 1, kMaxLimit},                       // 2^32 per ms
      {1, kMaxPeriodMs, 1},                            // 1 per 2^40 ms
  };
  const std::vector<Bound> buckets_only = {
      {1, kMaxScaled / kMaxLimit, kMaxLimit},  // a huge bucket refilled slowly
      {kMaxLimit, kMaxScaled / kMaxLimit, 1},  // a bucket of 1 refilled 4 times a ms
      {1, kMaxPeriodMs, kMaxScaled / kMaxPeriodMs},
      {1, 1, kMaxLimit},
  };
  const std::vector<Bound> log_only = {{kMaxSlidingLogLimit, kMaxPeriodMs, 0},
                                       {kMaxSlidingLogLimit, 1, 0}};
  for (Algorithm a : kAlgorithms) {
    std::vector<Bound> bounds = shared;
    if (a == Algorithm::kSlidingLog) bounds = log_only;
    if (!IsWindowed(a)) bounds.insert(bounds.end(), buckets_only.begin(), buckets_only.end());
    for (const Bound& b : bounds) {
      const Rule rule = MakeRule(a, b.limit, b.period, b.burst);
      for (int64_t now : {k2Pow41, k2100, k2Pow52, kMaxClockMs - kMaxPeriodMs}) {
        INFO(Describe(rule) << " at " << now);
        REQUIRE_FALSE(ValidateRule(rule));
        const int64_t cap = Capacity(rule);
        Limiter l(rule);
        // Everything at once, then one more; both exact.
        Decision d = l.Allow(now, cap);
        CHECK(d.allowed);
        CHECK(d.remaining == 0);
        CHECK(d.reset_after_ms > 0);
        CheckExact(l, now, cap, d);
        d = l.Allow(now, 1);
        CHECK_FALSE(d.allowed);
        CheckExact(l, now, 1, d);
        // Right when it is due, then at the reset, then decades later.
        const int64_t due = now + d.retry_after_ms;
        d = l.Allow(due, 1);
        CHECK(d.allowed);
        CheckExact(l, due, 1, d);
        // The rest while the clock stays within the daemon's (INT64_MAX / 1000 ms): a bucket of
        // 2^22 refilled at 1 per 2^40 ms is full only 2^62 ms later (and gcra keeps its TAT in
        // ms, now + 2^62, which fits for any such clock).
        const int64_t reset = due + d.reset_after_ms;
        if (reset > kMaxClockMs) continue;
        CHECK(Str(l.Allow(reset, 0)) == "ok rem=" + std::to_string(cap) + " retry=-1 reset=0");
        const int64_t later = std::min(reset + 50 * kYearMs, kMaxClockMs);
        d = l.Allow(later, cap);
        CHECK(d.allowed);
        CheckExact(l, later, cap, d);
      }
    }
  }
  // A few worked out by hand, in 2100. 2^32 per 2^30 ms with BURST 2^32: emptied, full again in
  // 2^62 / 2^32 = 2^30 ms; one token (2^30 units at 2^32 a ms) is a quarter ms: 1 ms.
  for (Algorithm a : kBuckets) {
    INFO(AlgorithmName(a));
    Limiter l(MakeRule(a, kMaxLimit, kMaxScaled / kMaxLimit, kMaxLimit));
    CHECK(Str(l.Allow(k2100, kMaxLimit)) == "ok rem=0 retry=-1 reset=1073741824");
    CHECK(Str(l.Allow(k2100, 1)) == "no rem=0 retry=1 reset=1073741824");
    CHECK(Str(l.Allow(k2100 + 1, 4)) == "ok rem=0 retry=-1 reset=1073741824");
    // 1 per 2^40 ms with BURST 2^22: emptied, full in 2^62 ms (the clock still fits).
    Limiter slow(MakeRule(a, 1, kMaxPeriodMs, int64_t{1} << 22));
    CHECK(Str(slow.Allow(k2100, int64_t{1} << 22)) ==
          "ok rem=0 retry=-1 reset=4611686018427387904");
    CHECK(Str(slow.Allow(k2100, 1)) == "no rem=0 retry=1099511627776 reset=4611686018427387904");
  }
  // 2^40 ms windows: 2100 is in the one from 3 * 2^40 = 3298534883328 to 4398046511104.
  Limiter fixed(MakeRule(Algorithm::kFixed, int64_t{1} << 22, kMaxPeriodMs));
  CHECK(Str(fixed.Allow(k2100, int64_t{1} << 22)) == "ok rem=0 retry=-1 reset=295601711104");
  CHECK(Str(fixed.Allow(k2100, 1)) == "no rem=0 retry=295601711104 reset=295601711104");
  // Sliding, the same: the next window fits 1 more once prev weighs (2^40 - e) * 2^22 <=
  // (2^22 - 1) * 2^40, from e = 2^40 / 2^22 = 2^18.
  Limiter sliding(MakeRule(Algorithm::kSliding, int64_t{1} << 22, kMaxPeriodMs));
  CHECK(Str(sliding.Allow(k2100, int64_t{1} << 22)) == "ok rem=0 retry=-1 reset=1395113338880");
  CHECK(Str(sliding.Allow(k2100, 1)) == "no rem=0 retry=295601973248 reset=1395113338880");
}

TEST_CASE("A full sliding log of 100000 entries waits for its oldest entry and stays compact",
          "[limiter]") {
  const int64_t P = 1'000'000;
  Limiter l(MakeRule(Algorithm::kSlidingLog, kMaxSlidingLogLimit, P));
  const int64_t t0 = k2100;
  int refused = 0;
  for (int64_t i = 0; i < kMaxSlidingLogLimit; i++) refused += !l.Allow(t0 + i, 1).allowed;
  CHECK(refused == 0);
  const int64_t last = t0 + kMaxSlidingLogLimit - 1;
  // Full: the next fits when the call at t0 is forgotten, at t0 + P.
  CHECK(Str(l.Allow(last, 1)) ==
        "no rem=0 retry=" + std::to_string(t0 + P - last) + " reset=" + std::to_string(P));
  CHECK_FALSE(l.Allow(t0 + P - 1, 1).allowed);
  CHECK(l.Allow(t0 + P, 1).allowed);
  // The call at t0 is gone; cost 1000 needs the 1000 oldest left gone, the last of them at
  // t0 + 1000: at t0 + 1000 + P.
  CHECK(l.Check(t0 + P + 1, 1000).retry_after_ms == 999);
  // Keep calling for ten periods at the limit rate: the log holds about LIMIT entries.
  int64_t t = t0 + P;
  for (int64_t i = 0; i < 10 * kMaxSlidingLogLimit; i++) {
    t += P / kMaxSlidingLogLimit;
    refused += !l.Allow(t, 1).allowed;
  }
  CHECK(refused == 0);
  CHECK(l.ExtraBytes() <= 4 * static_cast<size_t>(kMaxSlidingLogLimit) * 16);
  CHECK(Str(l.Allow(t + P, 0)) == "ok rem=100000 retry=-1 reset=0");
}

TEST_CASE(
    "Token, leaky and gcra keep the bucket contract on random schedules and agree on "
    "every call",
    "[limiter]") {
  // For each rule and schedule: every decision is the reference bucket's and exact (Run), the
  // three representations answer every call identically, and the cost admitted over any
  // [t_i, t_j] is at most B + floor((t_j - t_i) * L / P).
  Random rnd(20240611);
  int schedules = 0, disagreements = 0;
  int64_t admitted_total = 0, refused_total = 0;
  for (int s = 0; s < 1000; s++) {
    const Rule token = RandomRule(rnd, Algorithm::kToken);
    const std::vector<Call> calls = RandomSchedule(rnd, token, 300);
    std::vector<std::vector<Decision>> decisions;
    for (Algorithm a : kBuckets) {
      Rule rule = token;
      rule.algorithm = a;
      Failures f;
      std::vector<Admitted> admitted;
      decisions.push_back(Run(rule, calls, &admitted, f));
      CheckContract(rule, admitted, f);
      INFO(f.first);
      REQUIRE(f.count == 0);
      admitted_total += static_cast<int64_t>(admitted.size());
    }
    for (size_t i = 0; i < calls.size(); i++) {
      disagreements += !Same(decisions[0][i], decisions[1][i]);
      disagreements += !Same(decisions[0][i], decisions[2][i]);
      refused_total += !decisions[0][i].allowed;
    }
    schedules++;
  }
  CHECK(disagreements == 0);
  // The schedules exercise both answers plenty.
  CHECK(admitted_total > 100'000);
  CHECK(refused_total > 50'000);
  CHECK(schedules == 1000);
}

TEST_CASE("Fixed, sliding and sliding-log keep their window contracts on random schedules",
          "[limiter]") {
  // For each rule and schedule: every decision is the reference window's and exact (Run); fixed
  // and sliding admit at most L per aligned window, sliding at most 2L within any PERIOD, and
  // sliding-log at most L within any PERIOD.
  Random rnd(0xC0FFEE);
  for (Algorithm a : {Algorithm::kFixed, Algorithm::kSliding, Algorithm::kSlidingLog}) {
    INFO(AlgorithmName(a));
    int64_t admitted_total = 0, refused_total = 0;
    for (int s = 0; s < 1000; s++) {
      const Rule rule = RandomRule(rnd, a);
      const std::vector<Call> calls = RandomSchedule(rnd, rule, 300);
      Failures f;
      std::vector<Admitted> admitted;
      const std::vector<Decision> decisions = Run(rule, calls, &admitted, f);
      CheckContract(rule, admitted, f);
      INFO(f.first);
      REQUIRE(f.count == 0);
      admitted_total += static_cast<int64_t>(admitted.size());
      for (const Decision& d : decisions) refused_total += !d.allowed;
    }
    CHECK(admitted_total > 50'000);
    CHECK(refused_total > 20'000);
  }
}

TEST_CASE("Calls spaced far enough apart are always admitted", "[limiter]") {
  // Buckets: after a call of cost c, ceil(c * P / L) ms bring back at least c * P units, so the
  // bucket is full at every call and any cost up to BURST fits. Fixed and sliding-log: calls
  // PERIOD apart fall in different windows / forget the one before. Sliding: the previous window
  // weighs fully at its next window's first ms, so PERIOD apart needs cost <= L / 2 and 2 *
  // PERIOD apart any cost up to LIMIT.
  Random rnd(7);
  for (Algorithm a : kAlgorithms) {
    INFO(AlgorithmName(a));
    int refused = 0;
    for (int s = 0; s < 200; s++) {
      const Rule rule = RandomRule(rnd, a);
      const int64_t L = rule.limit, P = rule.period_ms, cap = Capacity(rule);
      for (int mode = 0; mode < 2; mode++) {
        Limiter l(rule);
        int64_t t = rnd.Percent(50) ? rnd.Between(0, 5 * P) : k2100 + rnd.Between(0, 5 * P);
        for (int i = 0; i < 100; i++) {
          int64_t cost = rnd.Between(1, cap);
          int64_t gap = P;
          if (!IsWindowed(a)) {
            gap = (cost * P + L - 1) / L;
          } else if (a == Algorithm::kSliding) {
            if (mode == 0) {
              if (L < 2) break;
              cost = rnd.Between(1, L / 2);
            } else {
              gap = 2 * P;
            }
          }
          refused += !l.Allow(t, cost).allowed;
          // The gap to the next call: exactly enough, or (mode 1 but sliding) a little more.
          t += gap + (mode == 1 && a != Algorithm::kSliding ? rnd.Between(0, 3) : 0);
        }
      }
    }
    CHECK(refused == 0);
  }
  // The sliding bound is tight: LIMIT every PERIOD, on the first ms of each window, is refused
  // every other time (prev * 1000 + 10 * 1000 > 10 * 1000), unlike sliding-log's.
  Limiter sliding(MakeRule(Algorithm::kSliding, 10, 1000));
  Limiter log(MakeRule(Algorithm::kSlidingLog, 10, 1000));
  for (int64_t k = 0; k < 6; k++) {
    INFO("k = " << k);
    CHECK(sliding.Allow(1000 * k, 10).allowed == (k % 2 == 0));
    CHECK(log.Allow(1000 * k, 10).allowed);
  }
}

TEST_CASE("A packed limiter unpacks to the same rule and state, at the bounds of every field",
          "[limiter][dump]") {
  const int64_t t0 = 4102444800000;
  for (Algorithm algorithm : {Algorithm::kToken, Algorithm::kLeaky, Algorithm::kFixed,
                              Algorithm::kSliding, Algorithm::kGcra}) {
    INFO(AlgorithmName(algorithm));
    // LIMIT and BURST at 1 and at 2^32 (kept minus one in four bytes); PERIOD at its bounds.
    const int64_t big = kMaxLimit;
    const int64_t burst = IsWindowed(algorithm) ? big : 1;
    for (const Rule& rule :
         {Rule{algorithm, 1, 1, 1}, Rule{algorithm, big, kMaxScaled / big, burst},
          Rule{algorithm, 1, kMaxPeriodMs, 1}}) {
      REQUIRE_FALSE(ValidateRule(rule));
      Limiter limiter(rule);
      for (int64_t t : {t0, t0 + 1, t0 + 1}) limiter.Allow(t, 1);
      REQUIRE(limiter.Packable());
      std::string packed(limiter.PackedSize(), '\0');
      limiter.Pack(packed.data());
      CHECK(packed.size() == (algorithm == Algorithm::kSliding ? 41u : 33u));
      const Limiter back = Limiter::Unpack(packed);
      CHECK(back.rule() == rule);
      CHECK(State(back) == State(limiter));
    }
  }
  CHECK_FALSE(Limiter(Rule{Algorithm::kSlidingLog, 5, 1000, 5}).Packable());
}

TEST_CASE("A serialized limiter reads back to the same state, and corrupt bytes are refused",
          "[limiter][dump]") {
  const int64_t t0 = 4102444800000;
  for (Algorithm algorithm : {Algorithm::kToken, Algorithm::kLeaky, Algorithm::kFixed,
                              Algorithm::kSliding, Algorithm::kSlidingLog, Algorithm::kGcra}) {
    INFO(AlgorithmName(algorithm));
    const Rule rule{algorithm, 5, 1000, IsWindowed(algorithm) ? 5 : 3};
    Limiter limiter(rule);
    for (int64_t t : {t0, t0 + 10, t0 + 10, t0 + 700}) limiter.Allow(t, 1);
    std::string bytes;
    limiter.Serialize(&bytes);
    std::optional<Limiter> back = Limiter::Deserialize(bytes);
    REQUIRE(back);
    std::string again;
    back->Serialize(&again);
    CHECK(again == bytes);
    for (int64_t t : {t0 + 701, t0 + 1500, t0 + 5000}) {
      const Decision a = limiter.Check(t, 1), b = back->Check(t, 1);
      CHECK(a.allowed == b.allowed);
      CHECK(a.remaining == b.remaining);
      CHECK(a.retry_after_ms == b.retry_after_ms);
      CHECK(a.reset_after_ms == b.reset_after_ms);
    }
    // Truncated, extended, an unknown algorithm, a time before the epoch: all refused.
    CHECK_FALSE(Limiter::Deserialize(bytes.substr(0, bytes.size() - 1)));
    CHECK_FALSE(Limiter::Deserialize(bytes + "x"));
    std::string bad_algorithm = bytes;
    bad_algorithm[0] = 9;
    CHECK_FALSE(Limiter::Deserialize(bad_algorithm));
    std::string before_epoch = bytes;
    const int64_t negative = -1;
    std::memcpy(before_epoch.data() + 1 + 8 * 4, &negative, 8);  // the state's time
    CHECK_FALSE(Limiter::Deserialize(before_epoch));
  }
  CHECK_FALSE(Limiter::Deserialize(""));
  // The farthest a GCRA arrival time can run ahead of the clock (a bucket of 2^22 refilled
  // once per 2^40 ms, emptied at once: 2^62 ms ahead) still reads back.
  Limiter ahead(Rule{Algorithm::kGcra, 1, kMaxPeriodMs, kMaxScaled / kMaxPeriodMs});
  REQUIRE(ahead.Allow(t0, kMaxScaled / kMaxPeriodMs).allowed);
  std::string far;
  ahead.Serialize(&far);
  CHECK(Limiter::Deserialize(far));
  // A token count above the bucket's size is a state no call can reach.
  Limiter token(Rule{Algorithm::kToken, 5, 1000, 3});
  std::string bytes;
  token.Serialize(&bytes);
  const int64_t too_many = 3 * 1000 + 1;
  std::memcpy(bytes.data() + 1 + 8 * 3, &too_many, 8);
  CHECK_FALSE(Limiter::Deserialize(bytes));
}
