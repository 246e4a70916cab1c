// What a family registers at start-up: its commands, its INFO sections, its timed work, and the
// state it keeps for the server (daemon/family_state.h). Each family has one function
// (RegisterCore, RegisterRateLimit, ...) called from RegisterAll, once per server.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "daemon/command_table.h"
#include "daemon/family_state.h"
#include "daemon/info.h"

namespace pylon::daemon {

struct Config;
class Server;

// Work a family does when its time comes (a queue's delays and leases), not only when a
// command touches it: the server's timer runs it at the earliest next_due() (clock ms), and
// so does the cron (the test clock's TESTCLOCK runs the cron).
struct TimedWork {
  std::optional<int64_t> (*next_due)(HandlerServices& services);
  void (*run)(HandlerServices& services, int64_t now_ms);
};

struct Registry {
  CommandTable& commands;
  InfoRegistry& info;
  const Config& config;  // for start-up-only choices (e.g. the test clock's command)
  std::vector<TimedWork>& timed_work;
  FamilyStates& states;  // the server's: a family makes its own here
};

void RegisterAll(Registry& registry);

}  // namespace pylon::daemon
