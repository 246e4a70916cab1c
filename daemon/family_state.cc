#include "daemon/family_state.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace pylon::daemon {

void FamilyStates::Duplicate(const char* where) {
  spdlog::critical("a family state is made twice for one server ({})", where);
  std::abort();
}

void FamilyStates::Missing(const char* where) {
  spdlog::critical("a family state is used but was never made ({})", where);
  std::abort();
}

}  // namespace pylon::daemon
