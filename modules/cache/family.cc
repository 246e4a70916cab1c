#include "modules/cache/family.h"

#include <string>

#include "modules/cache/cache_value.h"

namespace pylon::cache {

void RegisterCacheCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const CacheStats& s = services.family_states.Get<CacheFamilyState>().stats;
  daemon::InfoWriter(out)
      .Field("cache_hits", s.hits)
      .Field("cache_stale_hits", s.stale_hits)
      .Field("cache_misses", s.misses)
      .Field("cache_fills", s.fills)
      .Field("cache_fills_refused", s.fills_refused)
      .Field("cache_lease_waits", s.lease_waits)
      .Field("cache_invalidated", s.invalidated);
}

void ResetInfo(daemon::HandlerServices& services) {
  services.family_states.Get<CacheFamilyState>().stats = CacheStats{};
}

}  // namespace

void RegisterCache(daemon::Registry& registry) {
  daemon::RegisterValueType(kCacheType);
  registry.states.Make<CacheFamilyState>();
  RegisterCacheCommands(registry);
  registry.info.Add({.name = "Cache", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::cache
