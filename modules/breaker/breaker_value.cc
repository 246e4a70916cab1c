#include "modules/breaker/breaker_value.h"

#include <memory>
#include <optional>

#include "daemon/type_ids.h"

namespace pylon::breaker {

namespace {

bool RestoreBreaker(std::string_view payload, daemon::RestoredValue* out) {
  std::optional<Breaker> breaker = Breaker::Restore(payload);
  if (!breaker) return false;
  out->object = std::make_unique<BreakerValue>(std::move(*breaker));
  return true;
}

}  // namespace

const daemon::ValueType kBreakerType = {.id = daemon::type_id::kBreaker,
                                        .name = "breaker",
                                        .restore = RestoreBreaker,
                                        .evictable = false};

BreakerStats& Stats() {
  static BreakerStats stats;
  return stats;
}

BreakerValue::BreakerValue(Breaker breaker) : breaker_(std::move(breaker)) { Stats().breakers++; }

BreakerValue::~BreakerValue() { Stats().breakers--; }

}  // namespace pylon::breaker
