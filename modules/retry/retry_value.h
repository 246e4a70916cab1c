// A retry sequence in the keyspace (TYPE "retry"): how many attempts were handed out and the
// last delay. Evictable: losing one only restarts its backoff from the first attempt, which is
// what a client that never used RETRY.* would do anyway.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/value.h"
#include "modules/retry/retry.h"

namespace pylon::retry {

extern const daemon::ValueType kRetryType;

// INFO # Retry: the family's state in each server (daemon/family_state.h).
struct RetryStats {
  uint64_t next = 0;     // RETRY.NEXT answered with a delay
  uint64_t gave_up = 0;  // RETRY.NEXT answered "give up" (MAX attempts used)
  uint64_t resets = 0;   // RETRY.RESET that deleted a sequence
};

class RetryValue final : public daemon::Value {
 public:
  explicit RetryValue(State state = {}) : state(state) {}

  const daemon::ValueType& type() const override { return kRetryType; }
  std::string_view Encoding() const override { return "backoff"; }
  size_t MemoryUsage() const override { return sizeof(*this); }
  void Dump(std::string* out) const override;
  static std::optional<State> Parse(std::string_view payload);

  State state;
};

}  // namespace pylon::retry
