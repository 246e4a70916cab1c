#include "modules/hash/hash_value.h"

#include <memory>
#include <optional>

#include "common/wire.h"
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

// The logged operations: [kind u8], then for a set the two limits it ran under (so that the
// replay converts where the original did), the field and its value; for a delete the field
// (texts as common/wire.h writes them).
enum : uint8_t { kOpSet = 1, kOpDelete = 2 };

}  // namespace

const daemon::ValueType kHashType = {.id = daemon::type_id::kHash,
                                     .name = "hash",
                                     .restore = RestoreHash,
                                     .evictable = true,
                                     .free_anywhere = true};

void HashValue::RecordSet(std::string_view field, const Limits& limits) {
  std::string* ops = changes_.recording();
  if (!ops) return;
  common::wire::Put(ops, kOpSet);
  common::wire::Put(ops, static_cast<uint64_t>(limits.max_listpack_entries));
  common::wire::Put(ops, static_cast<uint64_t>(limits.max_listpack_value));
  common::wire::PutText(ops, field);
  common::wire::PutText(ops, *hash_.Get(field));
  changes_.set_value_bytes(hash_.Bytes());
}

bool HashValue::Set(std::string_view field, std::string_view value, const Limits& limits) {
  const bool created = hash_.Set(field, value, limits);
  RecordSet(field, limits);
  return created;
}

bool HashValue::Delete(std::string_view field) {
  if (!hash_.Delete(field)) return false;
  if (std::string* ops = changes_.recording()) {
    common::wire::Put(ops, kOpDelete);
    common::wire::PutText(ops, field);
  }
  return true;
}

IncrStatus HashValue::IncrBy(std::string_view field, int64_t delta, const Limits& limits,
                             int64_t* result) {
  const IncrStatus status = hash_.IncrBy(field, delta, limits, result);
  if (status == IncrStatus::kOk) RecordSet(field, limits);
  return status;
}

IncrStatus HashValue::IncrByFloat(std::string_view field, long double delta, const Limits& limits,
                                  std::string_view* result) {
  const IncrStatus status = hash_.IncrByFloat(field, delta, limits, result);
  if (status == IncrStatus::kOk) RecordSet(field, limits);
  return status;
}

bool HashValue::ApplyChanges(std::string_view ops) {
  while (!ops.empty()) {
    uint8_t kind;
    if (!common::wire::Get(&ops, &kind)) return false;
    if (kind == kOpSet) {
      uint64_t entries, value_bytes;
      std::string_view field, value;
      if (!common::wire::Get(&ops, &entries) || !common::wire::Get(&ops, &value_bytes) ||
          !common::wire::GetText(&ops, &field) || !common::wire::GetText(&ops, &value)) {
        return false;
      }
      hash_.Set(field, value,
                {.max_listpack_entries = static_cast<size_t>(entries),
                 .max_listpack_value = static_cast<size_t>(value_bytes)});
    } else if (kind == kOpDelete) {
      std::string_view field;
      // It removed a field when it was logged: one that removes nothing now does not apply.
      if (!common::wire::GetText(&ops, &field) || !hash_.Delete(field)) return false;
    } else {
      return false;
    }
  }
  // The last field removed leaves no key: an empty hash is corrupt in a log.
  return !hash_.empty();
}

}  // namespace pylon::hash
