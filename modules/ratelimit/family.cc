#include "modules/ratelimit/family.h"

#include <fmt/format.h>

#include <string>

#include "modules/ratelimit/limiter_value.h"
#include "modules/ratelimit/ratelimit_stats.h"

namespace pylon::ratelimit {

void RegisterRateLimitCommands(daemon::Registry& registry);

namespace {

RateLimitStats stats;

void WriteInfo(daemon::Server&, std::string& out) {
  fmt::format_to(std::back_inserter(out),
                 "ratelimit_allowed:{}\r\nratelimit_refused:{}\r\nratelimit_peeks:{}\r\n"
                 "ratelimit_resets:{}\r\n",
                 stats.allowed, stats.refused, stats.peeks, stats.resets);
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
