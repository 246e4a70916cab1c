#include "daemon/clock.h"

#include <cstdint>
#include <ctime>

namespace pylon::daemon {
namespace {
int64_t SystemUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}
}  // namespace

Clock::Clock(bool manual) : manual_(manual), now_us_(SystemUs()) {}

void Clock::Read() const {
  stale_ = false;
  if (manual_) return;
  int64_t now = SystemUs();
  if (now > now_us_) now_us_ = now;
}

bool Clock::Advance(int64_t delta_us) {
  if (!manual_ || delta_us < 0 || delta_us > INT64_MAX - now_us_) return false;
  now_us_ += delta_us;
  return true;
}

bool Clock::Set(int64_t unix_us) {
  if (!manual_ || unix_us < now_us_) return false;
  now_us_ = unix_us;
  return true;
}

}  // namespace pylon::daemon
