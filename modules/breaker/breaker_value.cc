#include "modules/breaker/breaker_value.h"

#include <memory>
#include <optional>

#include "daemon/family_state.h"
#include "daemon/type_ids.h"

namespace pylon::breaker {

namespace {

bool RestoreBreaker(std::string_view payload, daemon::FamilyStates& states,
                    daemon::RestoredValue* out) {
  std::optional<Breaker> breaker = Breaker::Restore(payload);
  if (!breaker) return false;
  out->object = std::make_unique<BreakerValue>(states.Get<BreakerStats>(), std::move(*breaker));
  return true;
}

}  // namespace

const daemon::ValueType kBreakerType = {.id = daemon::type_id::kBreaker,
                                        .name = "breaker",
                                        .restore = RestoreBreaker,
                                        .evictable = false};

BreakerValue::BreakerValue(BreakerStats& stats, Breaker breaker)
    : stats_(&stats), breaker_(std::move(breaker)) {
  stats_->breakers++;
}

BreakerValue::~BreakerValue() { stats_->breakers--; }

}  // namespace pylon::breaker
