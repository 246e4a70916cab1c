#include "modules/set/set_value.h"

#include <memory>
#include <optional>

#include "common/wire.h"
#include "daemon/type_ids.h"

namespace pylon::set {
namespace {

bool RestoreSet(std::string_view payload, daemon::FamilyStates&, daemon::RestoredValue* out) {
  std::optional<Set> set = Set::Deserialize(payload);
  // An empty set is no key in Redis: a dump of one is corrupt.
  if (!set || set->empty()) return false;
  out->object = std::make_unique<SetValue>(std::move(*set));
  return true;
}

// The logged operations: [kind u8] then, for an add, the set-max-intset-entries it ran under
// (so the replay converts where the original did), then the member as a text (common/wire.h).
enum : uint8_t { kOpAdd = 1, kOpRemove = 2 };

}  // namespace

const daemon::ValueType kSetType = {.id = daemon::type_id::kSet,
                                    .name = "set",
                                    .restore = RestoreSet,
                                    .evictable = true,
                                    .free_anywhere = true};

bool SetValue::Add(std::string_view member, const Limits& limits) {
  if (!set_.Add(member, limits)) return false;
  if (std::string* ops = changes_.recording()) {
    common::wire::Put(ops, kOpAdd);
    common::wire::Put(ops, static_cast<uint64_t>(limits.max_intset_entries));
    common::wire::PutText(ops, member);
    changes_.set_value_bytes(set_.Bytes());
  }
  return true;
}

bool SetValue::Remove(std::string_view member) {
  if (!set_.Remove(member)) return false;
  if (std::string* ops = changes_.recording()) {
    common::wire::Put(ops, kOpRemove);
    common::wire::PutText(ops, member);
  }
  return true;
}

bool SetValue::ApplyChanges(std::string_view ops) {
  while (!ops.empty()) {
    uint8_t kind;
    uint64_t max_intset_entries = 0;
    std::string_view member;
    if (!common::wire::Get(&ops, &kind) ||
        (kind == kOpAdd && !common::wire::Get(&ops, &max_intset_entries)) ||
        !common::wire::GetText(&ops, &member)) {
      return false;
    }
    // Each changed the set when it was logged: one that changes nothing now does not apply.
    if (kind == kOpAdd) {
      const Limits limits{.max_intset_entries = static_cast<size_t>(max_intset_entries)};
      if (!set_.Add(member, limits)) return false;
    } else if (kind != kOpRemove || !set_.Remove(member)) {
      return false;
    }
  }
  // The last member removed leaves no key: an empty set is corrupt in a log.
  return !set_.empty();
}

}  // namespace pylon::set
