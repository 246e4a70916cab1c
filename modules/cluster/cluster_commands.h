// Cluster mode's commands: CLUSTER (SLOTS, SHARDS, NODES, INFO, MYID, KEYSLOT, COUNTKEYSINSLOT,
// GETKEYSINSLOT, HELP), and ASKING, READONLY, READWRITE, in Redis Cluster's reply formats, so
// that cluster clients (redis-py's RedisCluster, ioredis's Cluster, redis-cli -c) find the
// owner of every slot. The state they show is daemon/cluster.h's.
#pragma once

#include "daemon/registry.h"

namespace pylon::cluster {

void RegisterClusterCommands(daemon::Registry& registry);

}  // namespace pylon::cluster
