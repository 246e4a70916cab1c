// The pub/sub family: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
// PUBLISH, SPUBLISH and PUBSUB, as Redis 7.0 answers them. The subscriptions and the fan-out are
// the daemon's (daemon/pubsub.h): connections, the dispatcher and RESET need them too.
#pragma once

#include "daemon/registry.h"

namespace pylon::pubsub {

void RegisterPubSub(daemon::Registry& registry);

}  // namespace pylon::pubsub
