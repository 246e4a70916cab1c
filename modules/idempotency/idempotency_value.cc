#include "modules/idempotency/idempotency_value.h"

#include <memory>

#include "daemon/type_ids.h"

namespace pylon::idempotency {
namespace {

bool RestoreIdempotency(std::string_view payload, daemon::FamilyStates&,
                        daemon::RestoredValue* out) {
  std::optional<Record> record = Record::Deserialize(payload);
  if (!record) return false;
  out->object = std::make_unique<IdempotencyValue>(std::move(*record));
  return true;
}

}  // namespace

const daemon::ValueType kIdempotencyType = {.id = daemon::type_id::kIdempotency,
                                            .name = "idempotency",
                                            .restore = RestoreIdempotency,
                                            .evictable = false};

}  // namespace pylon::idempotency
