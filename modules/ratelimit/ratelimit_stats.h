// The family's counters, shown under "# Ratelimit" in INFO. One server per process, so they
// live with the family; CONFIG RESETSTAT zeroes them.
#pragma once

#include <cstdint>

namespace pylon::ratelimit {

struct RateLimitStats {
  uint64_t allowed = 0;  // calls admitted (RL.ALLOW, RL.ALLOWALL, CL.THROTTLE)
  uint64_t refused = 0;  // calls refused
  uint64_t peeks = 0;    // calls with cost 0 (counted here, not as allowed)
  uint64_t resets = 0;   // limiters forgotten by RL.RESET
};

RateLimitStats& Stats();

inline void RecordCall(bool allowed, bool peek) {
  RateLimitStats& s = Stats();
  if (peek) {
    s.peeks++;
  } else if (allowed) {
    s.allowed++;
  } else {
    s.refused++;
  }
}

}  // namespace pylon::ratelimit
