// A circuit breaker in the keyspace (TYPE "breaker"): the pure Breaker of breaker.h, plus the
// INFO # Breakers counters. Never evicted by maxmemory: a breaker that vanished would come back
// CLOSED with an empty window, sending full traffic at an upstream it had just cut off.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/value.h"
#include "modules/breaker/breaker.h"

namespace pylon::breaker {

extern const daemon::ValueType kBreakerType;

// INFO # Breakers: the family's state in each server (daemon/family_state.h).
struct BreakerStats {
  uint64_t breakers = 0;     // breakers in the keyspace now
  uint64_t allowed = 0;      // CB.ALLOW answers that permitted the call
  uint64_t refused = 0;      // ... that refused it
  uint64_t recorded = 0;     // CB.RECORD outcomes
  uint64_t transitions = 0;  // state changes (each one published on __breaker__:<name>)
};
class BreakerValue final : public daemon::Value {
 public:
  // `stats`: its server's, whose gauge counts the breaker for as long as it lives.
  BreakerValue(BreakerStats& stats, Breaker breaker);
  ~BreakerValue() override;
  BreakerValue(const BreakerValue&) = delete;
  BreakerValue& operator=(const BreakerValue&) = delete;

  const daemon::ValueType& type() const override { return kBreakerType; }
  std::string_view Encoding() const override {
    return breaker_.config().window_type == WindowType::kCount ? "count" : "time";
  }
  size_t MemoryUsage() const override { return sizeof(*this) + breaker_.bytes(); }
  void Dump(std::string* out) const override { breaker_.Dump(out); }

  Breaker& breaker() { return breaker_; }
  const Breaker& breaker() const { return breaker_; }

 private:
  BreakerStats* stats_;
  Breaker breaker_;
};

}  // namespace pylon::breaker
