#include "modules/idempotency/family.h"

#include <string>

#include "modules/idempotency/idempotency_value.h"

namespace pylon::idempotency {

void RegisterIdempotencyCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const IdempotencyStats& s = services.family_states.Get<IdempotencyStats>();
  daemon::InfoWriter(out)
      .Field("idem_new", s.new_requests)
      .Field("idem_pending", s.pending)
      .Field("idem_conflict", s.conflict)
      .Field("idem_done", s.done)
      .Field("idem_aborted", s.aborted)
      .Field("idem_lock_expired", s.lock_expired)
      .Field("idem_completed", s.completed);
}

void ResetInfo(daemon::HandlerServices& services) {
  services.family_states.Get<IdempotencyStats>() = IdempotencyStats{};
}

}  // namespace

void RegisterIdempotency(daemon::Registry& registry) {
  daemon::RegisterValueType(kIdempotencyType);
  registry.states.Make<IdempotencyStats>();
  RegisterIdempotencyCommands(registry);
  registry.info.Add(
      {.name = "Idempotency", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::idempotency
