#include "modules/ratelimit/family.h"

#include <string>

#include "modules/ratelimit/limiter_value.h"
#include "modules/ratelimit/ratelimit_stats.h"

namespace pylon::ratelimit {

void RegisterRateLimitCommands(daemon::Registry& registry);

namespace {

RateLimitStats stats;

void WriteInfo(daemon::Server&, std::string& out) {
  daemon::InfoWriter(out)
      .Field("ratelimit_allowed", stats.allowed)
      .Field("ratelimit_refused", stats.refused)
      .Field("ratelimit_peeks", stats.peeks)
      .Field("ratelimit_resets", stats.resets);
}

}  // namespace

RateLimitStats& Stats() { return stats; }

void RegisterRateLimit(daemon::Registry& registry) {
  daemon::RegisterValueType(kLimiterType);
  RegisterRateLimitCommands(registry);
  registry.info.Add({.name = "Ratelimit", .in_default = true, .write = WriteInfo, .reset = [] {
                       stats = RateLimitStats{};
                     }});
}

}  // namespace pylon::ratelimit
