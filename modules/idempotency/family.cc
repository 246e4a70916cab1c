#include "modules/idempotency/family.h"

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "modules/idempotency/idempotency_value.h"

namespace pylon::idempotency {

void RegisterIdempotencyCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const IdempotencyStats& s = Stats();
  fmt::format_to(std::back_inserter(out),
                 "idem_new:{}\r\nidem_pending:{}\r\nidem_conflict:{}\r\nidem_done:{}\r\n"
                 "idem_aborted:{}\r\nidem_lock_expired:{}\r\nidem_completed:{}\r\n",
                 s.new_requests, s.pending, s.conflict, s.done, s.aborted, s.lock_expired,
                 s.completed);
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
