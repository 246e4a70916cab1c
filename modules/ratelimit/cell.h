// CL.THROTTLE key max_burst count_per_period period [quantity], answered as redis-cell answers
// it, on the GCRA limiter of limiter.h: the parameters become a Rule, a call becomes a Decision,
// and the Decision becomes redis-cell's five integers.
//
// redis-cell's GCRA, with T = period / count_per_period (the emission interval):
//   tolerance = T * (max_burst + 1), increment = T * quantity,
//   new_tat = max(tat, now) + increment, admitted while new_tat - now <= tolerance.
// That is the limiter's GCRA with limit = count_per_period, period = period (in ms) and
// burst = max_burst + 1: a call fits while the arrival time stays within burst * T of now.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "modules/ratelimit/limiter.h"

namespace pylon::ratelimit {

// The arguments after the key, as integers (quantity defaults to 1 when omitted).
struct CellParams {
  int64_t max_burst = 0;
  int64_t count_per_period = 0;
  int64_t period_s = 0;
  int64_t quantity = 1;
};

// The limiter rule for `params`, or why they are refused (the text after "ERR "). Either
// `rule` is set and `error` empty, or `error` is set.
struct CellRule {
  std::optional<Rule> rule;
  std::string_view error;
};
CellRule CellRuleFor(const CellParams& params);

// redis-cell's reply to an argument that is not an integer: "Couldn't parse as integer: ARG".
std::string CellNotIntegerError(std::string_view arg);

// The reply: [limited, limit, remaining, retry_after, reset_after], times in whole seconds.
struct CellReply {
  int64_t limited = 0;        // 0 allowed, 1 limited
  int64_t limit = 0;          // max_burst + 1
  int64_t remaining = 0;      // calls of quantity 1 that would still be admitted now
  int64_t retry_after_s = 0;  // -1 when allowed (or when quantity can never fit)
  int64_t reset_after_s = 0;  // until the limiter is full again

  bool operator==(const CellReply&) const = default;
};

// Applies `quantity` (>= 0; 0 only looks) to `limiter` (a rule from CellRuleFor) at now_ms.
CellReply CellThrottle(Limiter& limiter, int64_t now_ms, int64_t quantity);

}  // namespace pylon::ratelimit
