#include "modules/retry/family.h"

#include <string>

#include "modules/retry/retry_value.h"

namespace pylon::retry {

void RegisterRetryCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const RetryStats& s = services.family_states.Get<RetryStats>();
  daemon::InfoWriter(out)
      .Field("retry_next", s.next)
      .Field("retry_gave_up", s.gave_up)
      .Field("retry_resets", s.resets);
}

void ResetInfo(daemon::HandlerServices& services) {
  services.family_states.Get<RetryStats>() = RetryStats{};
}

}  // namespace

void RegisterRetry(daemon::Registry& registry) {
  daemon::RegisterValueType(kRetryType);
  registry.states.Make<RetryStats>();
  RegisterRetryCommands(registry);
  registry.info.Add({.name = "Retry", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::retry
