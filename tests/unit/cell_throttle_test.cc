// CL.THROTTLE as redis-cell answers it, over the GCRA limiter: the parameters' mapping to a rule
// and their validation, and a table of calls whose replies were worked out by hand from
// redis-cell's definition (T = period / count, tolerance = T * (max_burst + 1), increment =
// T * quantity, new_tat = max(tat, now) + increment, admitted while new_tat - now <= tolerance;
// remaining = floor((tolerance - ttl) / T); times rounded up to whole seconds).
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "modules/ratelimit/cell.h"

using pylon::ratelimit::Algorithm;
using pylon::ratelimit::CellNotIntegerError;
using pylon::ratelimit::CellParams;
using pylon::ratelimit::CellReply;
using pylon::ratelimit::CellRule;
using pylon::ratelimit::CellRuleFor;
using pylon::ratelimit::CellThrottle;
using pylon::ratelimit::Limiter;
using pylon::ratelimit::Rule;

namespace Catch {
template <>
struct StringMaker<CellReply> {
  static std::string convert(const CellReply& r) {
    return "[" + std::to_string(r.limited) + ", " + std::to_string(r.limit) + ", " +
           std::to_string(r.remaining) + ", " + std::to_string(r.retry_after_s) + ", " +
           std::to_string(r.reset_after_s) + "]";
  }
};
}  // namespace Catch

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// One CL.THROTTLE: a key (one limiter each), the time in ms since the start, the arguments
// (quantity last) and the reply [limited, limit, remaining, retry_after, reset_after].
struct Call {
  const char* key;
  int64_t t_ms;
  CellParams params;
  CellReply want;
};

// clang-format off
const std::vector<Call> kCalls = {
    // README: 15 30 60, so T = 2 s, tolerance = 32 s, limit 16. The first reply is the README's.
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 15, -1, 2}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 14, -1, 4}},   // the k-th call: tat = 2k s,
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 13, -1, 6}},   // remaining = (32 - 2k) / 2
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 12, -1, 8}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 11, -1, 10}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 10, -1, 12}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 9, -1, 14}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 8, -1, 16}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 7, -1, 18}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 6, -1, 20}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 5, -1, 22}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 4, -1, 24}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 3, -1, 26}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 2, -1, 28}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 1, -1, 30}},
    {"readme", 0, {15, 30, 60, 1}, {0, 16, 0, -1, 32}},   // 16 admitted at once
    // The 17th: new_tat = 34 s, 34 - 0 > 32, limited until 34 - 32 = 2 s; ttl = tat - now = 32.
    {"readme", 0, {15, 30, 60, 1}, {1, 16, 0, 2, 32}},
    {"readme", 1000, {15, 30, 60, 1}, {1, 16, 0, 1, 31}},
    // 1 ms short: the wait of 1 ms is 1 s, the ttl of 30.001 s is 31 s.
    {"readme", 1999, {15, 30, 60, 1}, {1, 16, 0, 1, 31}},
    // At 2 s one more fits exactly (34 - 2 = 32), and the one after it waits 2 s again.
    {"readme", 2000, {15, 30, 60, 1}, {0, 16, 0, -1, 32}},
    {"readme", 2000, {15, 30, 60, 1}, {1, 16, 0, 2, 32}},
    // Refill: at 12 s, tat = 34 s, ttl 22 s, (32 - 22) / 2 = 5 back; quantity 0 only looks.
    {"readme", 12000, {15, 30, 60, 0}, {0, 16, 5, -1, 22}},
    // Quantity 5 takes all five: new_tat = 34 + 10 = 44 s, exactly 32 s ahead.
    {"readme", 12000, {15, 30, 60, 5}, {0, 16, 0, -1, 32}},
    // A long idle gap: the tat (44 s) is long past, so the key starts over from now.
    {"readme", 1000000, {15, 30, 60, 1}, {0, 16, 15, -1, 2}},
    {"readme", 1000000, {15, 30, 60, 15}, {0, 16, 0, -1, 32}},
    // Above the limit: refused for good (retry -1), the state reported unchanged.
    {"readme", 1000000, {15, 30, 60, 17}, {1, 16, 0, -1, 32}},

    // 4 10 1: T = 100 ms, tolerance 500 ms, limit 5. Every time is under a second: rounded to 1.
    {"tenth", 0, {4, 10, 1, 1}, {0, 5, 4, -1, 1}},        // ttl 100 ms
    {"tenth", 0, {4, 10, 1, 1}, {0, 5, 3, -1, 1}},
    {"tenth", 0, {4, 10, 1, 1}, {0, 5, 2, -1, 1}},
    {"tenth", 0, {4, 10, 1, 1}, {0, 5, 1, -1, 1}},
    {"tenth", 0, {4, 10, 1, 1}, {0, 5, 0, -1, 1}},        // ttl 500 ms
    {"tenth", 0, {4, 10, 1, 1}, {1, 5, 0, 1, 1}},         // wait 100 ms
    // At 250: new_tat = 600, 350 ahead: admitted, remaining (500 - 350) / 100 = 1 (of 1.5).
    {"tenth", 250, {4, 10, 1, 1}, {0, 5, 1, -1, 1}},
    // Quantity 2: new_tat = 800, 550 ahead, wait 50 ms; only 1 is left and it stays.
    {"tenth", 250, {4, 10, 1, 2}, {1, 5, 1, 1, 1}},
    {"tenth", 600, {4, 10, 1, 0}, {0, 5, 5, -1, 0}},      // full again at tat = 600

    // 2 2 3: T = 1.5 s, tolerance 4.5 s, limit 3. Half seconds round up.
    {"half", 0, {2, 2, 3, 1}, {0, 3, 2, -1, 2}},          // ttl 1.5 s
    {"half", 0, {2, 2, 3, 2}, {0, 3, 0, -1, 5}},          // new_tat 4.5 s, exactly the tolerance
    // At 1 s: new_tat = 6 s, 5 ahead, wait 0.5 s; ttl 3.5 s; (4.5 - 3.5) / 1.5 = 0.67 -> 0.
    {"half", 1000, {2, 2, 3, 1}, {1, 3, 0, 1, 4}},
    // Quantity 3 (the limit, so it fits some day): new_tat = 9 s, 8 ahead, wait 3.5 s.
    {"half", 1000, {2, 2, 3, 3}, {1, 3, 0, 4, 4}},
    {"half", 1000, {2, 2, 3, 4}, {1, 3, 0, -1, 4}},       // above the limit: no retry time
    {"half", 1500, {2, 2, 3, 1}, {0, 3, 0, -1, 5}},       // new_tat 6 s, 4.5 ahead
    // At 4.499 s: ttl 1.501 s -> 2; (4.5 - 1.501) / 1.5 = 1.999 -> 1.
    {"half", 4499, {2, 2, 3, 0}, {0, 3, 1, -1, 2}},
    {"half", 4500, {2, 2, 3, 0}, {0, 3, 2, -1, 2}},
    {"half", 6000, {2, 2, 3, 0}, {0, 3, 3, -1, 0}},
    {"half", 7000, {2, 2, 3, 3}, {0, 3, 0, -1, 5}},       // a full burst at once

    // 0 1 2 (redis-cell's end-to-end parameters): one call per 2 s, no burst beyond it.
    {"single", 0, {0, 1, 2, 1}, {0, 1, 0, -1, 2}},
    // At 10 ms: new_tat = 4 s, 3.99 ahead, wait 1.99 s -> 2; ttl 1.99 s -> 2.
    {"single", 10, {0, 1, 2, 1}, {1, 1, 0, 2, 2}},
    {"single", 2000, {0, 1, 2, 1}, {0, 1, 0, -1, 2}},

    // Fresh keys: a peek answers the full limit, a quantity above it is refused at once.
    {"peek", 0, {15, 30, 60, 0}, {0, 16, 16, -1, 0}},
    {"big", 0, {4, 1, 1, 6}, {1, 5, 5, -1, 0}},
    {"big", 0, {4, 1, 1, 5}, {0, 5, 0, -1, 5}},           // the refused call took nothing
    {"huge", 0, {0, 1, 1, kInt64Max}, {1, 1, 1, -1, 0}},

    // 2 3 1: T = 1/3 s, not whole ms. Exact here; redis-cell's T is 333333333 ns.
    {"thirds", 0, {2, 3, 1, 1}, {0, 3, 2, -1, 1}},        // ttl 333.3 ms
    {"thirds", 0, {2, 3, 1, 1}, {0, 3, 1, -1, 1}},
    {"thirds", 0, {2, 3, 1, 1}, {0, 3, 0, -1, 1}},        // tat 1 s (redis-cell: 999999999 ns)
    // At 333 ms: new_tat = 1333.3 ms, 1000.3 ahead: limited for 0.3 ms, rounded up to 1 ms and
    // so to 1 s. redis-cell drops the sub-ms part before rounding up and answers retry 0.
    {"thirds", 333, {2, 3, 1, 1}, {1, 3, 0, 1, 1}},
    {"thirds", 334, {2, 3, 1, 1}, {0, 3, 0, -1, 1}},      // 999.3 ahead: admitted

    // 0 3 4: T = 1333.3 ms. At 333 ms the wait and the ttl are both 1000.3 ms: 2 s here, where
    // redis-cell (1000333333 ns, no whole ms past the second) answers 1 and 1.
    {"4/3", 0, {0, 3, 4, 1}, {0, 1, 0, -1, 2}},
    {"4/3", 333, {0, 3, 4, 1}, {1, 1, 0, 2, 2}},
    {"4/3", 1334, {0, 3, 4, 1}, {0, 1, 0, -1, 2}},        // tat 1333.3 ms is past: from now
};
// clang-format on

}  // namespace

TEST_CASE("the parameters map to a GCRA rule with burst max_burst + 1", "[cell]") {
  const CellRule r = CellRuleFor({15, 30, 60, 1});
  REQUIRE(r.rule);
  CHECK(r.error.empty());
  CHECK(*r.rule ==
        Rule{.algorithm = Algorithm::kGcra, .limit = 30, .period_ms = 60000, .burst = 16});
  CHECK(CellParams{}.quantity == 1);  // the default when the argument is omitted
}

TEST_CASE("a table of calls gets redis-cell's replies", "[cell]") {
  std::map<std::string, Limiter> limiters;
  for (size_t i = 0; i < kCalls.size(); ++i) {
    const Call& c = kCalls[i];
    INFO("row " << i << ": " << c.key << " at " << c.t_ms << " ms, quantity " << c.params.quantity);
    const CellRule r = CellRuleFor(c.params);
    REQUIRE(r.rule);
    auto it = limiters.try_emplace(c.key, *r.rule).first;
    REQUIRE(it->second.rule() == *r.rule);  // a key keeps its parameters in this table
    CHECK(CellThrottle(it->second, c.t_ms, c.params.quantity) == c.want);
  }
}

TEST_CASE("invalid parameters are refused with redis-cell's wording where it has one", "[cell]") {
  struct Bad {
    CellParams params;
    std::string_view error;
  };
  const std::vector<Bad> bad = {
      {{-1, 1, 1, 1}, "Negative max_burst is not supported"},
      {{0, -1, 1, 1}, "Negative count per period is not supported"},
      {{0, 1, -1, 1}, "Negative period is not supported"},
      {{0, 1, 1, -1}, "Negative quantity is not supported"},
      {{10, 0, 1, 1}, "Zero rates are not supported"},
      {{10, 1, 0, 1}, "Zero rates are not supported"},
      {{0, 0, 0, 1}, "Zero rates are not supported"},
      // redis-cell's T = 2e9 ns / 2000000001 truncates to 0 ns.
      {{0, 2000000001, 2, 1}, "Zero rates are not supported"},
      {{4294967296, 1, 1, 1}, "max_burst must be at most 4294967295"},
      {{kInt64Max, 1, 1, 1}, "max_burst must be at most 4294967295"},
      {{0, 4294967297, 10, 1}, "count per period must be at most 4294967296"},
      {{0, 1, 1099511628, 1}, "period must be at most 1099511627 (seconds)"},
      {{0, 1, kInt64Max, 1}, "period must be at most 1099511627 (seconds)"},
      // 2^32 * 1073742000 ms > 2^62.
      {{4294967295, 1, 1073742, 1},
       "max_burst + 1 or count per period, times period in ms, is too large"},
  };
  for (const Bad& b : bad) {
    INFO(b.params.max_burst << " " << b.params.count_per_period << " " << b.params.period_s << " "
                            << b.params.quantity);
    const CellRule r = CellRuleFor(b.params);
    CHECK_FALSE(r.rule);
    CHECK(r.error == b.error);
  }
  CHECK(CellNotIntegerError("abc") == "Couldn't parse as integer: abc");
}

TEST_CASE("parameters at the edges of the bounds are accepted", "[cell]") {
  const std::vector<CellParams> good = {
      {0, 1, 1, 0},          {0, 2000000000, 2, 1},  // T = 1 ns in redis-cell: its fastest rate
      {4294967295, 1, 1, 1}, {0, 4294967296, 10, 1},
      {0, 1, 1099511627, 1}, {4294967295, 1, 1073741, 1},
      {0, 1, 1, kInt64Max},
  };
  for (const CellParams& p : good) {
    INFO(p.max_burst << " " << p.count_per_period << " " << p.period_s << " " << p.quantity);
    const CellRule r = CellRuleFor(p);
    REQUIRE(r.rule);
    CHECK(r.rule->limit == p.count_per_period);
    CHECK(r.rule->period_ms == p.period_s * 1000);
    CHECK(r.rule->burst == p.max_burst + 1);
  }
}
