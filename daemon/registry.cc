#include "daemon/registry.h"

#include "modules/bloom/bloom.h"
#include "modules/breaker/breakers.h"
#include "modules/cache/cache.h"
#include "modules/cluster/cluster_commands.h"
#include "modules/core/core.h"
#include "modules/experiment/experiments.h"
#include "modules/idempotency/idempotency_keys.h"
#include "modules/keys/keys.h"
#include "modules/pubsub/pubsub.h"
#include "modules/queue/queues.h"
#include "modules/ratelimit/ratelimit.h"
#include "modules/retry/retries.h"
#include "modules/ring/rings.h"
#include "modules/semaphore/semaphores.h"
#include "modules/strings/strings.h"

namespace pylon::daemon {

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
  cluster::RegisterClusterCommands(registry);
}

}  // namespace pylon::daemon
