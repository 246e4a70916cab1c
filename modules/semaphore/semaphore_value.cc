#include "modules/semaphore/semaphore_value.h"

#include <memory>
#include <random>

#include "daemon/family_state.h"
#include "daemon/type_ids.h"

namespace pylon::semaphore {
namespace {

// The last token handed out: a random start below 2^62, then counting, so tokens of an earlier
// run do not match this one's.
uint64_t& LastToken() {
  static uint64_t last = (std::random_device{}() | (uint64_t{std::random_device{}()} << 32)) >> 2;
  return last;
}

bool RestoreSemaphore(std::string_view payload, daemon::FamilyStates& states,
                      daemon::RestoredValue* out) {
  std::optional<Semaphore> s = Semaphore::Deserialize(payload);
  if (!s) return false;
  // Tokens this process hands out from now on start above every restored one.
  for (const auto& held : s->by_lease_end()) {
    if (held.second > LastToken() && held.second < (uint64_t{1} << 63)) LastToken() = held.second;
  }
  out->object = std::make_unique<SemaphoreValue>(states.Get<SemaphoreStats>(), std::move(*s));
  return true;
}

}  // namespace

const daemon::ValueType kSemaphoreType = {.id = daemon::type_id::kSemaphore,
                                          .name = "semaphore",
                                          .restore = RestoreSemaphore,
                                          .evictable = false};

uint64_t NewToken() {
  uint64_t& last = LastToken();
  return ++last == 0 ? ++last : last;
}

SemaphoreValue::SemaphoreValue(SemaphoreStats& stats, Semaphore semaphore)
    : stats_(&stats), semaphore_(std::move(semaphore)), booked_(semaphore_.counters()) {
  stats_->semaphores++;
}

SemaphoreValue::~SemaphoreValue() { stats_->semaphores--; }

size_t SemaphoreValue::Expire(int64_t now_ms) {
  const size_t n = semaphore_.Expire(now_ms);
  Book();
  return n;
}

bool SemaphoreValue::Acquire(int64_t now_ms, int64_t limit, int64_t lease_ms, uint64_t token) {
  const bool ok = semaphore_.Acquire(now_ms, limit, lease_ms, token);
  Book();
  return ok;
}

bool SemaphoreValue::Release(int64_t now_ms, uint64_t token) {
  const bool ok = semaphore_.Release(now_ms, token);
  Book();
  return ok;
}

void SemaphoreValue::Book() {
  const Semaphore::Counters& c = semaphore_.counters();
  SemaphoreStats& s = *stats_;
  s.acquired += c.acquired - booked_.acquired;
  s.refused += c.refused - booked_.refused;
  s.released += c.released - booked_.released;
  s.expired += c.expired - booked_.expired;
  booked_ = c;
}

}  // namespace pylon::semaphore
