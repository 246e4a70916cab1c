// What a family registers at start-up: its commands and its INFO sections. Each family has one
// function (RegisterCore, RegisterRateLimit, ...) called from RegisterAll.
#pragma once

#include "daemon/command_table.h"
#include "daemon/info.h"

namespace pylon::daemon {

struct Config;

struct Registry {
  CommandTable& commands;
  InfoRegistry& info;
  const Config& config;  // for start-up-only choices (e.g. the test clock's command)
};

void RegisterAll(Registry& registry);

}  // namespace pylon::daemon
