// What a family registers at start-up: its commands and its INFO sections. Each family has one
// function (RegisterCore, RegisterRateLimit, ...) called from RegisterAll.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "daemon/command_table.h"
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
};

void RegisterAll(Registry& registry);

}  // namespace pylon::daemon
