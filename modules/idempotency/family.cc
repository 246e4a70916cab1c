#include "modules/idempotency/family.h"

#include <string>

#include "modules/idempotency/idempotency_value.h"

namespace pylon::idempotency {

void RegisterIdempotencyCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const IdempotencyStats& s = Stats();
  daemon::InfoWriter(out)
      .Field("idem_new", s.new_requests)
      .Field("idem_pending", s.pending)
      .Field("idem_conflict", s.conflict)
      .Field("idem_done", s.done)
      .Field("idem_aborted", s.aborted)
      .Field("idem_lock_expired", s.lock_expired)
      .Field("idem_completed", s.completed);
}

}  // namespace

void RegisterIdempotency(daemon::Registry& registry) {
  daemon::RegisterValueType(kIdempotencyType);
  RegisterIdempotencyCommands(registry.commands);
  registry.info.Add({.name = "Idempotency", .in_default = true, .write = WriteInfo, .reset = [] {
                       Stats() = IdempotencyStats{};
                     }});
}

}  // namespace pylon::idempotency
