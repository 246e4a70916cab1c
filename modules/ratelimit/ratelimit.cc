#include "modules/ratelimit/ratelimit.h"

#include <fmt/format.h>

#include <string>

#include "modules/ratelimit/limiter_value.h"
#include "modules/ratelimit/ratelimit_stats.h"

namespace pylon::ratelimit {

void RegisterRateLimitCommands(daemon::Registry& registry);

namespace {

RateLimitStats stats;

std::unique_ptr<daemon::Value> RestoreLimiter(std::string_view payload) {
  std::optional<Limiter> limiter = Limiter::Deserialize(payload);
  if (!limiter) return nullptr;
  return std::make_unique<LimiterValue>(*limiter);
}

void WriteInfo(daemon::Server&, std::string& out) {
  fmt::format_to(std::back_inserter(out),
                 "ratelimit_allowed:{}\r\nratelimit_refused:{}\r\nratelimit_peeks:{}\r\n"
                 "ratelimit_resets:{}\r\n",
                 stats.allowed, stats.refused, stats.peeks, stats.resets);
}

}  // namespace

// Dumps name the type by this id: it may never change.
const daemon::ValueType LimiterValue::kType = {1, "ratelimit", RestoreLimiter};

RateLimitStats& Stats() { return stats; }

void RegisterRateLimit(daemon::Registry& registry) {
  daemon::RegisterValueType(LimiterValue::kType);
  RegisterRateLimitCommands(registry);
  registry.info.Add({.name = "Ratelimit", .in_default = true, .write = WriteInfo, .reset = [] {
                       stats = RateLimitStats{};
                     }});
}

}  // namespace pylon::ratelimit
