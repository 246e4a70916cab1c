#include "modules/semaphore/family.h"

#include <string>

#include "modules/semaphore/semaphore_value.h"

namespace pylon::semaphore {

void RegisterSemaphoreCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const SemaphoreStats& s = services.family_states.Get<SemaphoreStats>();
  daemon::InfoWriter(out)
      .Field("semaphores", s.semaphores)
      .Field("sem_acquired", s.acquired)
      .Field("sem_refused", s.refused)
      .Field("sem_released", s.released)
      .Field("sem_expired", s.expired);
}

// CONFIG RESETSTAT clears the counters, not the gauge of what the keyspace holds.
void ResetInfo(daemon::HandlerServices& services) {
  SemaphoreStats& s = services.family_states.Get<SemaphoreStats>();
  s = SemaphoreStats{.semaphores = s.semaphores};
}

}  // namespace

void RegisterSemaphores(daemon::Registry& registry) {
  daemon::RegisterValueType(kSemaphoreType);
  registry.states.Make<SemaphoreStats>();
  RegisterSemaphoreCommands(registry);
  registry.info.Add(
      {.name = "Semaphores", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::semaphore
