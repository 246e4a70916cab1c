#include "modules/semaphore/family.h"

#include <string>

#include "modules/semaphore/semaphore_value.h"

namespace pylon::semaphore {

void RegisterSemaphoreCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const SemaphoreStats& s = Stats();
  daemon::InfoWriter(out)
      .Field("semaphores", s.semaphores)
      .Field("sem_acquired", s.acquired)
      .Field("sem_refused", s.refused)
      .Field("sem_released", s.released)
      .Field("sem_expired", s.expired);
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
