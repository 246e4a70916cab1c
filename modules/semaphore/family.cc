#include "modules/semaphore/family.h"

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "modules/semaphore/semaphore_value.h"

namespace pylon::semaphore {

void RegisterSemaphoreCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const SemaphoreStats& s = Stats();
  fmt::format_to(std::back_inserter(out),
                 "semaphores:{}\r\nsem_acquired:{}\r\nsem_refused:{}\r\nsem_released:{}\r\n"
                 "sem_expired:{}\r\n",
                 s.semaphores, s.acquired, s.refused, s.released, s.expired);
}

}  // namespace

void RegisterSemaphores(daemon::Registry& registry) {
  daemon::RegisterValueType(kSemaphoreType);
  RegisterSemaphoreCommands(registry.commands);
  // CONFIG RESETSTAT clears the counters, not the gauge of what the keyspace holds.
  registry.info.Add({.name = "Semaphores", .in_default = true, .write = WriteInfo, .reset = [] {
                       SemaphoreStats& s = Stats();
                       s = SemaphoreStats{.semaphores = s.semaphores};
                     }});
}

}  // namespace pylon::semaphore
