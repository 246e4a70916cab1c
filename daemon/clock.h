// The one clock every time-based feature reads. The server refreshes it once per loop turn, so all
// commands of a turn see the same instant. In test mode it stands still and moves only when a
// test says so (TESTCLOCK), which keeps time-based tests deterministic without sleeping.
#pragma once

#include <cstdint>

namespace pylon::daemon {

class Clock {
 public:
  explicit Clock(bool manual = false);

  // Reads the system clock (unless manual). Never goes backwards: a wall-clock step back holds
  // the time until the wall clock catches up, so durations computed from it are never negative.
  void Refresh();

  int64_t NowUs() const { return now_us_; }
  int64_t NowMs() const { return now_us_ / 1000; }
  bool manual() const { return manual_; }

  // Manual mode only: move the clock forward by delta (>= 0) or to an absolute time (not before
  // now). Return false when not allowed.
  bool Advance(int64_t delta_us);
  bool Set(int64_t unix_us);

 private:
  bool manual_;
  int64_t now_us_ = 0;
};

}  // namespace pylon::daemon
