#include "modules/retry/family.h"

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "modules/retry/retry_value.h"

namespace pylon::retry {

void RegisterRetryCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const RetryStats& s = Stats();
  fmt::format_to(std::back_inserter(out),
                 "retry_next:{}\r\nretry_gave_up:{}\r\nretry_resets:{}\r\n", s.next, s.gave_up,
                 s.resets);
}

}  // namespace

void RegisterRetry(daemon::Registry& registry) {
  daemon::RegisterValueType(kRetryType);
  RegisterRetryCommands(registry.commands);
  registry.info.Add({.name = "Retry", .in_default = true, .write = WriteInfo, .reset = [] {
                       Stats() = RetryStats{};
                     }});
}

}  // namespace pylon::retry
