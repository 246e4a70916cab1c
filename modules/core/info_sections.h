// INFO: the core sections (Server, Clients, Memory, Persistence, Stats, Replication, CPU,
// Errorstats, Cluster, Keyspace, Commandstats) and the renderer that picks sections by name.
#pragma once

#include <string>
#include <vector>

#include "daemon/info.h"

namespace pylon::daemon {
class Server;
}

namespace pylon::core {

void RegisterCoreInfoSections(daemon::InfoRegistry& info);

// `wanted` holds lower-case section names, or "default" / "all" / "everything"; empty means
// "default", as Redis.
std::string RenderInfo(daemon::Server& server, const std::vector<std::string>& wanted);

}  // namespace pylon::core
