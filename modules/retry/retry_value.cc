#include "modules/retry/retry_value.h"

#include <memory>

#include "common/wire.h"
#include "daemon/type_ids.h"

namespace pylon::retry {
namespace {

// [format 1][attempt i64][last delay i64], host byte order.
constexpr uint8_t kFormat = 1;

bool RestoreRetry(std::string_view payload, daemon::FamilyStates&, daemon::RestoredValue* out) {
  std::optional<State> state = RetryValue::Parse(payload);
  if (!state) return false;
  out->object = std::make_unique<RetryValue>(*state);
  return true;
}

}  // namespace

const daemon::ValueType kRetryType = {
    .id = daemon::type_id::kRetry, .name = "retry", .restore = RestoreRetry, .evictable = true};

// What a restored sequence may hold: no call hands out a delay above CAP (at most 2^42 ms), and
// an attempt count this far from 2^63 leaves room for every later one.
constexpr int64_t kMaxDelayMs = int64_t{1} << 42;
constexpr int64_t kMaxAttempt = int64_t{1} << 62;

void RetryValue::Dump(std::string* out) const {
  common::wire::Put(out, kFormat);
  common::wire::Put(out, state.attempt);
  common::wire::Put(out, state.last_delay_ms);
}

std::optional<State> RetryValue::Parse(std::string_view in) {
  uint8_t format;
  State s;
  if (!common::wire::Get(&in, &format) || format != kFormat ||
      !common::wire::Get(&in, &s.attempt) || !common::wire::Get(&in, &s.last_delay_ms) ||
      !in.empty() || s.attempt < 0 || s.attempt > kMaxAttempt || s.last_delay_ms < 0 ||
      s.last_delay_ms > kMaxDelayMs) {
    return std::nullopt;
  }
  return s;
}

}  // namespace pylon::retry
