// An idempotency key in the keyspace (TYPE "idempotency"). Never evicted by maxmemory: a key
// that vanished would let a retry run its request a second time (a second charge), the one
// thing an idempotency key exists to prevent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/value.h"
#include "modules/idempotency/idempotency.h"

namespace pylon::idempotency {

extern const daemon::ValueType kIdempotencyType;

// INFO # Idempotency: the family's state in each server (daemon/family_state.h).
struct IdempotencyStats {
  uint64_t new_requests = 0;  // IDEM.BEGIN answered NEW
  uint64_t pending = 0;       // ... PENDING
  uint64_t conflict = 0;      // ... CONFLICT
  uint64_t done = 0;          // ... DONE
  uint64_t aborted = 0;       // IDEM.ABORT that released a request
  uint64_t lock_expired = 0;  // NEW answers that took over a request whose lock had lapsed
  uint64_t completed = 0;     // IDEM.COMPLETE that stored a response
};

class IdempotencyValue final : public daemon::Value {
 public:
  explicit IdempotencyValue(Record record) : record(std::move(record)) {}

  const daemon::ValueType& type() const override { return kIdempotencyType; }
  std::string_view Encoding() const override {
    return record.state == Record::State::kDone ? "done" : "pending";
  }
  size_t MemoryUsage() const override {
    return sizeof(*this) + record.fingerprint.capacity() + record.response.capacity();
  }
  void Dump(std::string* out) const override { record.Serialize(out); }

  Record record;
};

}  // namespace pylon::idempotency
