// The one clock every time-based feature reads (expiry, limiters, breakers, leases, blocking
// deadlines, client idle times, TIME).
//
// When it is read: once per loop turn, at the first use after the loop wakes. The server calls
// WillSleep() as the last thing before libuv waits for I/O; the next NowUs()/NowMs() then reads
// the system clock, and every later use in the same turn sees that same instant. So a command
// never sees a time from before it arrived (a value read before the sleep would be as old as
// the idle gap), and all commands of a turn agree. Timer callbacks call Refresh() themselves:
// they may run right after a long turn without a sleep in between.
//
// In test mode the clock stands still and moves only when a test says so (TESTCLOCK), which
// keeps time-based tests deterministic without sleeping.
#pragma once

#include <cstdint>

namespace pylon::daemon {

class Clock {
 public:
  explicit Clock(bool manual = false);

  // Reads the system clock now (unless manual). Never goes backwards: a wall-clock step back
  // holds the time until the wall clock catches up, so durations computed from it are never
  // negative.
  void Refresh() { Read(); }
  // The loop is about to wait: the next read takes the time anew.
  void WillSleep() { stale_ = !manual_; }

  int64_t NowUs() const {
    if (stale_) Read();
    return now_us_;
  }
  int64_t NowMs() const { return NowUs() / 1000; }
  bool manual() const { return manual_; }

  // Manual mode only: move the clock forward by delta (>= 0) or to an absolute time (not before
  // now). Return false when not allowed.
  bool Advance(int64_t delta_us);
  bool Set(int64_t unix_us);

 private:
  // What a read changes is a cache of the outside world, so a const NowUs() may fill it.
  void Read() const;

  bool manual_;
  mutable bool stale_ = false;
  mutable int64_t now_us_ = 0;
};

}  // namespace pylon::daemon
