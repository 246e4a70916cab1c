// The core family: connection, server, introspection and transaction commands every Redis client
// expects, plus the INFO sections they report under.
#pragma once

#include <string>

#include "daemon/registry.h"

namespace pylon::daemon {
class Connection;
class Server;
}  // namespace pylon::daemon

namespace pylon::core {

void RegisterCore(daemon::Registry& registry);

// One file per group of commands; each registers its own.
void RegisterConnectionCommands(daemon::Registry& registry);
void RegisterServerCommands(daemon::Registry& registry);
void RegisterIntrospectionCommands(daemon::Registry& registry);
void RegisterTransactionCommands(daemon::Registry& registry);

// The CLIENT LIST / CLIENT INFO line for one client (without the trailing newline).
std::string ClientInfoLine(daemon::Server& server, const daemon::Connection& conn);

}  // namespace pylon::core
