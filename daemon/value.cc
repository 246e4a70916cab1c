#include "daemon/value.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdlib>

namespace pylon::daemon {
namespace {

std::array<const ValueType*, 256>& Types() {
  static std::array<const ValueType*, 256> types{};
  return types;
}

}  // namespace

void RegisterValueType(const ValueType& type) {
  auto& types = Types();
  bool clash = type.id == kStringType.id || type.name == kStringType.name;
  for (const ValueType* t : types) clash = clash || (t && t != &type && t->name == type.name);
  if (clash || (types[type.id] && types[type.id] != &type)) {
    spdlog::critical("value type '{}' (id {}) is registered twice", type.name, type.id);
    std::abort();
  }
  types[type.id] = &type;
}

const ValueType* FindValueType(uint8_t id) { return Types()[id]; }

}  // namespace pylon::daemon
