#include "modules/hash/hash_value.h"

#include <memory>
#include <optional>

#include "daemon/type_ids.h"

namespace pylon::hash {
namespace {

bool RestoreHash(std::string_view payload, daemon::FamilyStates&, daemon::RestoredValue* out) {
  std::optional<Hash> hash = Hash::Deserialize(payload);
  // An empty hash is no key in Redis: a dump of one is corrupt.
  if (!hash || hash->empty()) return false;
  out->object = std::make_unique<HashValue>(std::move(*hash));
  return true;
}

}  // namespace

const daemon::ValueType kHashType = {
    .id = daemon::type_id::kHash, .name = "hash", .restore = RestoreHash, .evictable = true};

}  // namespace pylon::hash
