// A circuit breaker as a pure state machine over a millisecond clock the caller passes in, after
// Resilience4j's CircuitBreaker: a sliding window of call outcomes (the last n calls, or the calls
// of the last n seconds in per-second buckets) trips CLOSED to OPEN when the failure rate or the
// slow-call rate reaches its threshold once MIN-CALLS calls are in the window; OPEN refuses until
// OPEN-MS has passed, then HALF_OPEN grants HALF-OPEN-CALLS trial permits whose outcomes decide
// CLOSED (with an empty window) or OPEN again. Two additions: CONSECUTIVE n trips after n failures
// in a row whatever the rate, and a trial permit that is never reported expires after TRIAL-MS as
// a failed trial, so HALF_OPEN always ends (Resilience4j issue #903).
//
// Transitions are lazy: every operation first brings the breaker up to `now` (Advance), and each
// transition carries the exact moment it happened (OPEN-MS after opening, TRIAL-MS after a
// grant), not the moment someone noticed.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::breaker {

enum class State : uint8_t { kClosed, kOpen, kHalfOpen, kDisabled, kForcedOpen };
// "CLOSED", "OPEN", "HALF_OPEN", "DISABLED", "FORCED_OPEN" (Resilience4j's names).
std::string_view StateName(State state);

enum class WindowType : uint8_t { kCount, kTime };

// Resilience4j's CircuitBreakerConfig defaults (DEFAULT_* constants in CircuitBreakerConfig.java).
struct Config {
  WindowType window_type = WindowType::kCount;  // slidingWindowType COUNT_BASED
  int64_t window_size = 100;     // slidingWindowSize: calls (COUNT) or whole seconds (TIME)
  int64_t failure_rate = 50;     // failureRateThreshold, percent
  int64_t slow_rate = 100;       // slowCallRateThreshold, percent
  int64_t slow_ms = 60000;       // slowCallDurationThreshold: slower than this is slow
  int64_t min_calls = 100;       // minimumNumberOfCalls
  int64_t consecutive = 0;       // Pylon's: trip after this many failures in a row (0: off)
  int64_t open_ms = 60000;       // waitDurationInOpenState
  int64_t half_open_calls = 10;  // permittedNumberOfCallsInHalfOpenState
  int64_t trial_ms = 0;          // Pylon's: a trial permit expires after this; 0 follows slow_ms

  // A trial not reported within SLOW-MS is already known not to be a healthy call, which is the
  // one thing a trial exists to show; so by default that is when it stops holding a permit.
  int64_t TrialMs() const { return trial_ms ? trial_ms : slow_ms; }
  // Resilience4j caps minimumNumberOfCalls at the size of a count window (a window of 10 calls
  // can never hold 100); a time window takes it as given.
  int64_t EffectiveMinCalls() const {
    return window_type == WindowType::kCount && min_calls > window_size ? window_size : min_calls;
  }
  bool operator==(const Config&) const = default;
};

// Bounds that keep one breaker's memory small (a count window costs a byte a call, a time window
// 24 bytes a second that saw calls, a trial 8 bytes).
inline constexpr int64_t kMaxCountWindow = 100000;
inline constexpr int64_t kMaxTimeWindowSeconds = 3600;
inline constexpr int64_t kMaxMinCalls = 1000000000;
inline constexpr int64_t kMaxHalfOpenCalls = 10000;

// Why a configuration is unusable, or nullopt when it is fine.
std::optional<std::string> Invalid(const Config& config);

// Call outcomes in a sliding window, with running totals so every rate is O(1).
class Window {
 public:
  Window() = default;
  // The closed-state window of a configuration, or the trial window of a HALF_OPEN round (the
  // last n trials; rates exist only once all n are in, as Resilience4j's half-open metrics).
  static Window ForClosed(const Config& config);
  static Window ForTrials(int64_t n);

  // Drops, from a time window, the seconds that have left it: the window holds the current
  // second of the unix clock and the size-1 seconds before it (Resilience4j's partial
  // aggregations, one per epoch second).
  void Trim(int64_t now_ms);
  void Record(bool failed, bool slow, int64_t now_ms);

  uint64_t calls() const { return calls_; }
  uint64_t failed() const { return failed_; }
  uint64_t slow() const { return slow_; }
  // Percent of calls that failed (were slow), or -1 below min_calls, as Resilience4j reports.
  double FailureRate() const { return Rate(failed_); }
  double SlowRate() const { return Rate(slow_); }
  // Whether either rate reached its threshold (only once min_calls are in).
  bool Exceeds(const Config& config) const;
  bool full() const { return calls_ >= static_cast<uint64_t>(min_calls_); }

  WindowType type() const { return type_; }
  int64_t size() const { return size_; }
  bool trial() const { return trial_; }
  void set_min_calls(int64_t n) { min_calls_ = n; }
  size_t bytes() const;

  void Dump(std::string* out) const;
  static std::optional<Window> Restore(std::string_view* in);

 private:
  struct Bucket {
    int64_t second;
    uint32_t calls, failed, slow;
  };
  static constexpr uint8_t kFailed = 1, kSlow = 2;

  double Rate(uint64_t n) const {
    return calls_ < static_cast<uint64_t>(min_calls_) ? -1.0 : 100.0 * n / calls_;
  }
  void Add(uint8_t outcome, bool add);

  WindowType type_ = WindowType::kCount;
  bool trial_ = false;
  int64_t size_ = 0;
  int64_t min_calls_ = 0;
  uint64_t calls_ = 0, failed_ = 0, slow_ = 0;
  std::vector<uint8_t> ring_;   // count: outcome bits; grows to size_, then wraps at head_
  size_t head_ = 0;             // count: the oldest call once the ring is full
  std::deque<Bucket> buckets_;  // time: seconds that saw calls, oldest first
};

struct Transition {
  State from, to;
  int64_t at_ms;
};
using Transitions = std::vector<Transition>;

struct Decision {
  bool allowed;
  State state;
  // When to ask again: 0 when allowed; the rest of OPEN-MS when OPEN; in HALF_OPEN with every
  // permit out, until the oldest trial expires; -1 when FORCED_OPEN (until someone unforces it).
  int64_t retry_after_ms;
};

enum class Force : uint8_t { kOpen, kClosed, kDisabled, kReset };

class Breaker {
 public:
  Breaker(const Config& config, int64_t now_ms);

  // Applies a (valid) configuration at once. Windows whose shape changed restart empty (their
  // outcomes cannot be re-bucketed exactly); a changed HALF-OPEN-CALLS restarts a HALF_OPEN
  // round. Thresholds are checked at the next recorded call, as Resilience4j checks them.
  void Reconfigure(const Config& config, int64_t now_ms, Transitions* out);
  Decision Allow(int64_t now_ms, Transitions* out);
  // A call's outcome; latency_ms > SLOW-MS makes it slow. Returns the state afterwards.
  State Record(bool success, int64_t latency_ms, int64_t now_ms, Transitions* out);
  void ForceState(Force force, int64_t now_ms, Transitions* out);
  // Brings lazy transitions up to now: OPEN to HALF_OPEN once OPEN-MS passed, expired trials,
  // seconds that left a time window.
  void Advance(int64_t now_ms, Transitions* out);

  const Config& config() const { return config_; }
  State state() const { return state_; }
  const Window& window() const { return window_; }
  int64_t since_ms() const { return since_ms_; }
  uint64_t not_permitted() const { return not_permitted_; }
  size_t trials_in_flight() const { return trials_.size(); }
  size_t bytes() const { return window_.bytes() + trials_.size() * sizeof(int64_t); }

  void Dump(std::string* out) const;
  static std::optional<Breaker> Restore(std::string_view payload);

 private:
  Breaker() = default;
  void MoveTo(State to, int64_t at_ms, Transitions* out);
  // Settles one trial into the round; once all are in, decides CLOSED or OPEN.
  void SettleTrial(bool failed, bool slow, int64_t at_ms, Transitions* out);

  Config config_;
  State state_ = State::kClosed;
  int64_t since_ms_ = 0;  // the last transition (or RESET)
  uint64_t consecutive_failures_ = 0;
  uint64_t not_permitted_ = 0;  // refused permits since creation or RESET
  Window window_;
  std::deque<int64_t> trials_;  // HALF_OPEN: grant times of the permits not yet reported
};

}  // namespace pylon::breaker
