#include "modules/retry/family.h"

#include <string>

#include "modules/retry/retry_value.h"

namespace pylon::retry {

void RegisterRetryCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const RetryStats& s = Stats();
  daemon::InfoWriter(out)
      .Field("retry_next", s.next)
      .Field("retry_gave_up", s.gave_up)
      .Field("retry_resets", s.resets);
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
