// Retry with backoff, as a pure state machine: the jitter modes of Marc Brooker's "Exponential
// Backoff And Jitter" (AWS Architecture Blog, 2015), with BASE the first retry's delay, as the
// AWS SDKs' backoff strategies, gRPC's initial backoff, Polly and tenacity take it (the post's
// simulator doubles once more: its first retry waits up to 2 * base, which surprises anyone who
// copies BASE from those libraries). For attempt n = 1, 2, 3, ...:
//
//   none:          min(cap, base * 2^(n-1))
//   full:          random_between(0, min(cap, base * 2^(n-1)))
//   equal:         temp = min(cap, base * 2^(n-1)); temp / 2 + random_between(0, temp / 2)
//   decorrelated:  sleep = min(cap, random_between(base, sleep * 3)), sleep starting at base
//
// All in whole milliseconds, random_between(lo, hi) inclusive at both ends. Equal jitter rounds
// the fixed half down and gives the random half the rest (temp - temp / 2), so its range is
// [temp / 2, temp] exactly, as the post's real-valued formula, also when temp is odd.
// Decorrelated jitter uses the previous delay stored in the state (whatever mode produced it);
// when three times that is below base, the draw is base.
//
// No clock: a state is just how many attempts were made and the last delay. Randomness comes
// from the caller (RandomSource), so tests pin every draw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pylon::retry {

enum class Jitter : uint8_t { kNone, kFull, kEqual, kDecorrelated };
std::string_view JitterName(Jitter jitter);
std::optional<Jitter> ParseJitter(std::string_view name);  // case-insensitive

// Where the random draws come from.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A uniform integer in [lo, hi] (lo <= hi).
  virtual int64_t Between(int64_t lo, int64_t hi) = 0;
};

struct Policy {
  int64_t base_ms = 100;
  int64_t cap_ms = 20000;  // at least base_ms
  Jitter jitter = Jitter::kFull;
  int64_t max_attempts = 0;  // 0: no limit
};

struct State {
  int64_t attempt = 0;        // attempts handed out so far
  int64_t last_delay_ms = 0;  // the delay of the last one (decorrelated jitter's "sleep")
};

struct Step {
  int64_t attempt = 0;    // the attempt this delay is for (from 1); when giving up, attempt + 1
  int64_t delay_ms = -1;  // -1: give up (max_attempts were used)
  bool gave_up() const { return delay_ms < 0; }
};

// min(cap, base * 2^n) without overflow.
int64_t ExponentialMs(int64_t base_ms, int64_t cap_ms, int64_t n);

// The next attempt and its delay, advancing the state; or, once max_attempts were handed out,
// a give-up step that leaves the state as it is.
Step Next(State* state, const Policy& policy, RandomSource& random);

}  // namespace pylon::retry
