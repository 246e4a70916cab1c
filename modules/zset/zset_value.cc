#include "modules/zset/zset_value.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "common/wire.h"
#include "daemon/type_ids.h"

namespace pylon::zset {
namespace {

bool RestoreZset(std::string_view payload, daemon::FamilyStates&, daemon::RestoredValue* out) {
  std::optional<ZSet> zset = ZSet::Deserialize(payload);
  // An empty sorted set is no key in Redis: a dump of one is corrupt.
  if (!zset || zset->empty()) return false;
  out->object = std::make_unique<ZsetValue>(std::move(*zset));
  return true;
}

// The logged operations (common/wire.h):
//   kOpSet    [entries u32][value u32][score: 8 bytes][member text]  (the limits it ran with)
//   kOpRemove [member text]
constexpr uint8_t kOpSet = 1;
constexpr uint8_t kOpRemove = 2;

void RecordRemove(std::string* ops, std::string_view member) {
  common::wire::Put(ops, kOpRemove);
  common::wire::PutText(ops, member);
}

}  // namespace

const daemon::ValueType kZsetType = {.id = daemon::type_id::kZset,
                                     .name = "zset",
                                     .restore = RestoreZset,
                                     .evictable = true,
                                     .free_anywhere = true};

bool ZsetValue::Set(std::string_view member, double score, const Limits& limits) {
  const bool added = zset_.Set(member, score, limits);
  if (std::string* ops = changes_.recording()) {
    uint64_t bits;
    std::memcpy(&bits, &score, 8);
    common::wire::Put(ops, kOpSet);
    common::wire::Put(
        ops, static_cast<uint32_t>(std::min<size_t>(limits.max_listpack_entries, UINT32_MAX)));
    common::wire::Put(
        ops, static_cast<uint32_t>(std::min<size_t>(limits.max_listpack_value, UINT32_MAX)));
    common::wire::Put(ops, bits);
    common::wire::PutText(ops, member);
  }
  changes_.set_value_bytes(zset_.Bytes());
  return added;
}

bool ZsetValue::Remove(std::string_view member) {
  if (!zset_.Remove(member)) return false;
  if (std::string* ops = changes_.recording()) RecordRemove(ops, member);
  changes_.set_value_bytes(zset_.Bytes());
  return true;
}

size_t ZsetValue::RemoveRanks(size_t first, size_t last) {
  if (std::string* ops = changes_.recording()) {
    size_t left = last > first ? last - first : 0;
    if (left > 0) {
      zset_.Walk(first, false, [&](std::string_view member, double) {
        RecordRemove(ops, member);
        return --left > 0;
      });
    }
  }
  const size_t removed = zset_.RemoveRanks(first, last);
  changes_.set_value_bytes(zset_.Bytes());
  return removed;
}

bool ZsetValue::ApplyChanges(std::string_view ops) {
  while (!ops.empty()) {
    uint8_t op;
    std::string_view member;
    if (!common::wire::Get(&ops, &op)) return false;
    if (op == kOpSet) {
      uint32_t entries, value;
      uint64_t bits;
      if (!common::wire::Get(&ops, &entries) || !common::wire::Get(&ops, &value) ||
          !common::wire::Get(&ops, &bits) || !common::wire::GetText(&ops, &member)) {
        return false;
      }
      double score;
      std::memcpy(&score, &bits, 8);
      if (std::isnan(score)) return false;
      zset_.Set(member, score,
                Limits{.max_listpack_entries = entries, .max_listpack_value = value});
    } else if (op == kOpRemove) {
      if (!common::wire::GetText(&ops, &member) || !zset_.Remove(member)) return false;
    } else {
      return false;
    }
  }
  return !zset_.empty();
}

}  // namespace pylon::zset
