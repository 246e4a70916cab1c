#include "daemon/registry.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "modules/bloom/family.h"
#include "modules/breaker/family.h"
#include "modules/cache/family.h"
#include "modules/cluster/cluster_commands.h"
#include "modules/core/family.h"
#include "modules/experiment/family.h"
#include "modules/hash/family.h"
#include "modules/idempotency/family.h"
#include "modules/keys/family.h"
#include "modules/list/family.h"
#include "modules/pubsub/pubsub.h"
#include "modules/queue/family.h"
#include "modules/ratelimit/family.h"
#include "modules/retry/family.h"
#include "modules/ring/family.h"
#include "modules/scripting/family.h"
#include "modules/semaphore/family.h"
#include "modules/set/family.h"
#include "modules/strings/strings.h"
#include "modules/zset/family.h"
#include "protocol/text.h"

namespace pylon::daemon {

void InfoRegistry::Add(InfoSection section) {
  for (const InfoSection& s : sections_) {
    if (protocol::EqualsIgnoreCase(s.name, section.name)) {
      spdlog::critical("INFO section '{}' is registered twice", section.name);
      std::abort();
    }
  }
  sections_.push_back(section);
}

// The one place that knows every family.
void RegisterAll(Registry& registry) {
  core::RegisterCore(registry);
  keys::RegisterKeys(registry);
  strings::RegisterStrings(registry);
  ratelimit::RegisterRateLimit(registry);
  pubsub::RegisterPubSub(registry);
  queue::RegisterQueues(registry);
  cache::RegisterCache(registry);
  bloom::RegisterBloom(registry);
  ring::RegisterRings(registry);
  experiment::RegisterExperiments(registry);
  breaker::RegisterBreakers(registry);
  semaphore::RegisterSemaphores(registry);
  retry::RegisterRetry(registry);
  idempotency::RegisterIdempotency(registry);
  hash::RegisterHashes(registry);
  set::RegisterSets(registry);
  list::RegisterLists(registry);
  zset::RegisterSortedSets(registry);
  scripting::RegisterScripting(registry);
  cluster::RegisterClusterCommands(registry);
}

}  // namespace pylon::daemon
