// Rate-limiting algorithms as pure state machines over a millisecond clock: no I/O, no keyspace,
// no allocation except the sliding log's entries. Commands (RL.*, CL.THROTTLE) wrap them in a
// keyspace value; tests drive them with any clock they like.
//
// Exactness: every quantity is an integer. Rates are kept scaled by the period (a token is
// `period_ms` units and `limit` units flow back per millisecond), so LIMIT per PERIOD is exact
// for any pair, and every wait is rounded up: no rounding ever lets a call in early.
//
// Contracts (what the property test in tests/unit/limiter_test.cc checks), with L = limit,
// P = period_ms, B = burst, for a limiter that starts full (new) and admitted cost summed over
// any closed interval of time [t, t + d]:
//   token, leaky, gcra   at most B + floor(d * L / P)    (a bucket of B refilled at L per P)
//   fixed                at most L in each window [k*P, (k+1)*P) (windows aligned to the epoch)
//   sliding              at most L in each aligned window, and at most 2L in any d < P
//   sliding-log          at most L in any d < P (exact: each admitted unit is remembered for P)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pylon::ratelimit {

enum class Algorithm : uint8_t { kToken, kLeaky, kFixed, kSliding, kSlidingLog, kGcra };

// "token", "leaky", "fixed", "sliding", "sliding-log", "gcra" (case-insensitive).
std::optional<Algorithm> ParseAlgorithm(std::string_view name);
std::string_view AlgorithmName(Algorithm algorithm);
// The windowed algorithms admit LIMIT per window and take no BURST.
bool IsWindowed(Algorithm algorithm);

// Bounds on the parameters: all products of them fit in 64 bits, and a sliding log stays small.
inline constexpr int64_t kMaxLimit = int64_t{1} << 32;     // LIMIT and BURST
inline constexpr int64_t kMaxPeriodMs = int64_t{1} << 40;  // ~34 years
inline constexpr int64_t kMaxScaled = int64_t{1} << 62;    // LIMIT or BURST x PERIOD
inline constexpr int64_t kMaxSlidingLogLimit = 100'000;    // entries a log may hold
// The latest time (ms) a stored state may name: a GCRA arrival time runs ahead of the clock by
// at most a bucket's worth (BURST x PERIOD / LIMIT <= 2^62 ms), and the clock itself stays below
// 2^53 ms.
inline constexpr int64_t kMaxClockMs = (int64_t{1} << 62) + (int64_t{1} << 53);

struct Rule {
  Algorithm algorithm = Algorithm::kToken;
  int64_t limit = 0;      // cost admitted per period
  int64_t period_ms = 0;  // the period, in ms
  int64_t burst = 0;      // cost admitted at once (bucket size); == limit for windowed ones

  bool operator==(const Rule&) const = default;
};

// Why a rule cannot be used, as the error text after "ERR "; nullopt when it is valid.
std::optional<std::string_view> ValidateRule(const Rule& rule);

struct Decision {
  bool allowed = false;
  int64_t limit = 0;            // the most cost admitted at once: burst (windowed: limit)
  int64_t remaining = 0;        // cost that would still be admitted right after this call
  int64_t retry_after_ms = -1;  // -1 when allowed; else the wait until this cost fits
  int64_t reset_after_ms = 0;   // the wait until the limiter is back to full (0: it is full)
};

class Limiter {
 public:
  explicit Limiter(const Rule& rule);

  const Rule& rule() const { return rule_; }

  // Admits `cost` (>= 1) at `now_ms` and consumes it, or refuses and changes nothing.
  // cost 0 is a peek: it reports the state and never changes it. The caller checks
  // cost <= limit of the decision; a larger cost is refused with retry_after_ms -1 forever.
  Decision Allow(int64_t now_ms, int64_t cost);

  // Decides without consuming (what Allow would answer); used to check several limits before
  // consuming from any of them.
  Decision Check(int64_t now_ms, int64_t cost) const;

  // True when the limiter is back to full at now_ms: its key may go.
  bool IsFull(int64_t now_ms) const { return ResetAfter(now_ms) == 0; }
  int64_t ResetAfter(int64_t now_ms) const;

  // Bytes held beyond sizeof(Limiter) (the sliding log's entries).
  size_t ExtraBytes() const;

  // A compact binary form of the rule and the state, and back; nullopt when the bytes are
  // corrupt (a rule ValidateRule refuses, a truncated or inconsistent state).
  void Serialize(std::string* out) const;
  static std::optional<Limiter> Deserialize(std::string_view bytes);

  // The in-memory form that a key's entry keeps, for every algorithm but the sliding log (whose
  // log has no fixed size): rule and state in PackedSize() bytes (33; 41 for sliding), written
  // by Pack and read back by Unpack, which trusts them (they never come from outside: a dump is
  // read by Deserialize first).
  static constexpr size_t kMaxPackedSize = 41;
  bool Packable() const { return rule_.algorithm != Algorithm::kSlidingLog; }
  size_t PackedSize() const;
  void Pack(char* out) const;
  static Limiter Unpack(std::string_view bytes);

 private:
  struct LogEntry {
    int64_t at_ms;
    int64_t cost;
  };

  // The state, in the form of the rule's algorithm. Each is written as three 64-bit words in
  // the order of its fields (a missing third word is 0) by Serialize and Pack: dumps and packed
  // entries depend on that order. (No member initializers: a variant of them is zeroed.)
  struct Bucket {  // token: the tokens left; leaky: the water in it; both x period_ms
    int64_t level;
    int64_t at_ms;  // when level was measured
  };
  struct Window {      // fixed and sliding
    int64_t count;     // cost admitted in the window that starts at start_ms
    int64_t start_ms;  // aligned to the period
    int64_t previous;  // sliding only: the count of the window before it
  };
  struct Gcra {  // the theoretical arrival time: whole_ms + fraction / limit ms
    int64_t fraction;
    int64_t whole_ms;
  };
  struct Log {           // sliding-log: log_[first..] are the calls still remembered
    int64_t remembered;  // their summed cost
    int64_t at_ms;       // the last time the log was looked at
    int64_t first;
  };
  using State = std::variant<Bucket, Window, Gcra, Log>;
  using Words = std::array<int64_t, 3>;
  static State FromWords(Algorithm algorithm, const Words& words);
  Words ToWords() const;
  // The latest time the state has seen, below which the clock is not allowed to go back.
  int64_t LastSeenMs() const;

  // The decision for `cost` at now_ms, and (when admitted and cost > 0) the state to keep.
  struct Outcome;
  Outcome Evaluate(int64_t now_ms, int64_t cost) const;

  Rule rule_;
  State state_;
  std::vector<LogEntry> log_;
};

}  // namespace pylon::ratelimit
