// The cache family: CACHE.SET, CACHE.GET, CACHE.FETCH / CACHE.FILL (leases against stampedes),
// CACHE.DEL, CACHE.INVALIDATE (tags), CACHE.STATS. Entries are keyspace values of type "cache";
// maxmemory evicts them as any other evictable key.
#pragma once

#include "daemon/registry.h"

namespace pylon::cache {

void RegisterCache(daemon::Registry& registry);

}  // namespace pylon::cache
