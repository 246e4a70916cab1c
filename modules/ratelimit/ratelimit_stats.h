// The family's counters, shown under "# Ratelimit" in INFO: the family's state in each server
// (daemon/family_state.h); CONFIG RESETSTAT zeroes them.
#pragma once

#include <cstdint>

namespace pylon::ratelimit {

struct RateLimitStats {
  uint64_t allowed = 0;  // calls admitted (RL.ALLOW, RL.ALLOWALL, CL.THROTTLE)
  uint64_t refused = 0;  // calls refused
  uint64_t peeks = 0;    // calls with cost 0 (counted here, not as allowed)
  uint64_t resets = 0;   // limiters forgotten by RL.RESET
};

inline void RecordCall(RateLimitStats& s, bool allowed, bool peek) {
  if (peek) {
    s.peeks++;
  } else if (allowed) {
    s.allowed++;
  } else {
    s.refused++;
  }
}

}  // namespace pylon::ratelimit
