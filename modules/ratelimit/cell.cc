#include "modules/ratelimit/cell.h"

#include <algorithm>

namespace pylon::ratelimit {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kMaxPeriodS = kMaxPeriodMs / 1000;

// Whole seconds from a wait in ms, rounded up. redis-cell takes the whole seconds of the wait
// and adds one when any millisecond is left over, so that a caller never comes back early; our
// waits are already whole ms rounded up, so this is ceil(ms / 1000). -1 is the Decision's "no
// wait applies", which redis-cell answers as -1 too (its retry_after starts at -1 s).
int64_t CeilSeconds(int64_t ms) { return ms < 0 ? -1 : ms / 1000 + (ms % 1000 > 0 ? 1 : 0); }

}  // namespace

CellRule CellRuleFor(const CellParams& p) {
  // redis-cell parses the numbers as i64 and checks none of them for sign: a negative one yields
  // a negative interval or tolerance and answers that mean nothing. We refuse them instead, in
  // argument order, worded like its one check on values.
  if (p.max_burst < 0) return {.error = "Negative max_burst is not supported"};
  if (p.count_per_period < 0) return {.error = "Negative count per period is not supported"};
  if (p.period_s < 0) return {.error = "Negative period is not supported"};
  if (p.quantity < 0) return {.error = "Negative quantity is not supported"};
  // redis-cell keeps T in whole ns (period * 1e9 / count, truncated) and refuses T == 0: a zero
  // count or period, or more than 1e9 per second. Its text, exactly.
  if (p.count_per_period == 0 || p.period_s == 0 ||
      static_cast<__int128>(p.period_s) * kNanosPerSecond < p.count_per_period) {
    return {.error = "Zero rates are not supported"};
  }
  // The limiter's bounds (ValidateRule), said in CL.THROTTLE's terms. redis-cell has none: past
  // them its ns arithmetic overflows.
  if (p.max_burst > kMaxLimit - 1) return {.error = "max_burst must be at most 4294967295"};
  if (p.count_per_period > kMaxLimit) {
    return {.error = "count per period must be at most 4294967296"};
  }
  if (p.period_s > kMaxPeriodS) return {.error = "period must be at most 1099511627 (seconds)"};
  Rule rule{.algorithm = Algorithm::kGcra,
            .limit = p.count_per_period,
            .period_ms = p.period_s * 1000,
            // redis-cell's tolerance is T * (max_burst + 1): the bucket holds max_burst + 1
            // calls, which is also the limit it reports.
            .burst = p.max_burst + 1};
  if (static_cast<__int128>(std::max(rule.limit, rule.burst)) * rule.period_ms > kMaxScaled) {
    return {.error = "max_burst + 1 or count per period, times period in ms, is too large"};
  }
  if (std::optional<std::string_view> error = ValidateRule(rule)) return {.error = *error};
  return {.rule = rule};
}

std::string CellNotIntegerError(std::string_view arg) {
  std::string text = "Couldn't parse as integer: ";
  text.append(arg);
  return text;
}

CellReply CellThrottle(Limiter& limiter, int64_t now_ms, int64_t quantity) {
  // The limiter answers exactly what redis-cell computes, in ms: admitted while the new arrival
  // time is within the tolerance, nothing consumed when refused, and a quantity above the burst
  // refused with no retry time (redis-cell sets retry_after only when increment <= tolerance).
  const Decision d = limiter.Allow(now_ms, quantity);
  CellReply reply;
  reply.limited = d.allowed ? 0 : 1;
  // max_burst + 1: the burst of the rule.
  reply.limit = d.limit;
  // redis-cell: (tolerance - ttl) / T truncated, and 0 once that is negative. The limiter floors
  // the same ratio exactly; it is never negative for a rule that has not changed, but 0 is what
  // redis-cell would say if it were.
  reply.remaining = std::max<int64_t>(0, d.remaining);
  // Both times rounded up to whole seconds (see CeilSeconds). reset_after is redis-cell's ttl:
  // the new arrival time less now when admitted, the current one less now when refused.
  reply.retry_after_s = d.allowed ? -1 : CeilSeconds(d.retry_after_ms);
  reply.reset_after_s = CeilSeconds(d.reset_after_ms);
  return reply;
}

}  // namespace pylon::ratelimit
