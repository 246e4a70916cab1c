#include "modules/cache/family.h"

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "modules/cache/cache_value.h"

namespace pylon::cache {

void RegisterCacheCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const CacheStats& s = Stats();
  fmt::format_to(std::back_inserter(out),
                 "cache_hits:{}\r\ncache_stale_hits:{}\r\ncache_misses:{}\r\ncache_fills:{}\r\n"
                 "cache_fills_refused:{}\r\ncache_lease_waits:{}\r\ncache_invalidated:{}\r\n",
                 s.hits, s.stale_hits, s.misses, s.fills, s.fills_refused, s.lease_waits,
                 s.invalidated);
}

}  // namespace

void RegisterCache(daemon::Registry& registry) {
  daemon::RegisterValueType(kCacheType);
  RegisterCacheCommands(registry.commands);
  registry.info.Add(
      {.name = "Cache", .in_default = true, .write = WriteInfo, .reset = [] { Stats() = {}; }});
}

}  // namespace pylon::cache
