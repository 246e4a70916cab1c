#include "modules/ratelimit/family.h"

#include <string>

#include "modules/ratelimit/limiter_value.h"
#include "modules/ratelimit/ratelimit_stats.h"

namespace pylon::ratelimit {

void RegisterRateLimitCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const RateLimitStats& s = services.family_states.Get<RateLimitStats>();
  daemon::InfoWriter(out)
      .Field("ratelimit_allowed", s.allowed)
      .Field("ratelimit_refused", s.refused)
      .Field("ratelimit_peeks", s.peeks)
      .Field("ratelimit_resets", s.resets);
}

void ResetInfo(daemon::HandlerServices& services) {
  services.family_states.Get<RateLimitStats>() = RateLimitStats{};
}

}  // namespace

void RegisterRateLimit(daemon::Registry& registry) {
  daemon::RegisterValueType(kLimiterType);
  registry.states.Make<RateLimitStats>();
  RegisterRateLimitCommands(registry);
  registry.info.Add(
      {.name = "Ratelimit", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::ratelimit
