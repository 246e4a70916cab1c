#include "daemon/keyspace.h"

namespace pylon::daemon {

size_t Keyspace::Clear() {
  size_t n = table_.size();
  table_.clear();
  return n;
}

}  // namespace pylon::daemon
