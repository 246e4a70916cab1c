#include "modules/list/list_value.h"

#include <memory>
#include <optional>

#include "common/wire.h"
#include "daemon/type_ids.h"

namespace pylon::list {
namespace {

// The recorded operations: an opcode, then its arguments in common/wire.h's form.
enum Op : uint8_t {
  kPushHead = 'L',  // element
  kPushTail = 'R',  // element
  kPopHead = 'l',   // uint64 count
  kPopTail = 'r',   // uint64 count
  kSet = 'S',       // int64 index, element
  kInsert = 'I',    // uint8 after, pivot, element
  kRemove = 'X',    // int64 count, element
};

bool RestoreList(std::string_view payload, daemon::FamilyStates&, daemon::RestoredValue* out) {
  // Nodes are cut by the default list-max-listpack-size: the config is not at hand here, and
  // the node size is not visible in any reply.
  std::optional<List> list = List::Deserialize(payload, Limits{});
  // An empty list is no key in Redis: a dump of one is corrupt.
  if (!list || list->empty()) return false;
  out->object = std::make_unique<ListValue>(std::move(*list));
  return true;
}

}  // namespace

std::string* ListValue::Recording() {
  std::string* ops = changes_.recording();
  if (ops) changes_.set_value_bytes(list_.Bytes());
  return ops;
}

void ListValue::Push(End end, std::string_view value, const Limits& limits) {
  list_.Push(end, value, limits);
  if (std::string* ops = Recording()) {
    common::wire::Put(ops, static_cast<uint8_t>(end == End::kHead ? kPushHead : kPushTail));
    common::wire::PutText(ops, value);
  }
}

void ListValue::PopMany(End end, size_t n) {
  if (n == 0) return;
  if (n == 1) {
    list_.Pop(end);
  } else {
    list_.PopMany(end, n);
  }
  if (std::string* ops = Recording()) {
    common::wire::Put(ops, static_cast<uint8_t>(end == End::kHead ? kPopHead : kPopTail));
    common::wire::Put(ops, static_cast<uint64_t>(n));
  }
}

bool ListValue::Set(int64_t index, std::string_view value, const Limits& limits) {
  if (!list_.Set(index, value, limits)) return false;
  if (std::string* ops = Recording()) {
    common::wire::Put(ops, static_cast<uint8_t>(kSet));
    common::wire::Put(ops, index);
    common::wire::PutText(ops, value);
  }
  return true;
}

bool ListValue::Insert(std::string_view pivot, bool after, std::string_view value,
                       const Limits& limits) {
  if (!list_.Insert(pivot, after, value, limits)) return false;
  if (std::string* ops = Recording()) {
    common::wire::Put(ops, static_cast<uint8_t>(kInsert));
    common::wire::Put(ops, static_cast<uint8_t>(after));
    common::wire::PutText(ops, pivot);
    common::wire::PutText(ops, value);
  }
  return true;
}

size_t ListValue::Remove(std::string_view value, int64_t count) {
  const size_t removed = list_.Remove(value, count);
  if (removed == 0) return 0;
  if (std::string* ops = Recording()) {
    common::wire::Put(ops, static_cast<uint8_t>(kRemove));
    common::wire::Put(ops, count);
    common::wire::PutText(ops, value);
  }
  return removed;
}

bool ListValue::ApplyChanges(std::string_view ops) {
  // Replayed with the default node size, as a restore is (the config is not at hand).
  const Limits limits;
  while (!ops.empty()) {
    uint8_t op;
    common::wire::Get(&ops, &op);
    std::string_view value, pivot;
    uint64_t n;
    int64_t number;
    uint8_t after;
    switch (op) {
      case kPushHead:
      case kPushTail:
        if (!common::wire::GetText(&ops, &value)) return false;
        list_.Push(op == kPushHead ? End::kHead : End::kTail, value, limits);
        break;
      case kPopHead:
      case kPopTail:
        if (!common::wire::Get(&ops, &n) || n == 0 || n > list_.Size()) return false;
        list_.PopMany(op == kPopHead ? End::kHead : End::kTail, n);
        break;
      case kSet:
        if (!common::wire::Get(&ops, &number) || !common::wire::GetText(&ops, &value) ||
            !list_.Set(number, value, limits)) {
          return false;
        }
        break;
      case kInsert:
        if (!common::wire::Get(&ops, &after) || after > 1 || !common::wire::GetText(&ops, &pivot) ||
            !common::wire::GetText(&ops, &value) ||
            !list_.Insert(pivot, after == 1, value, limits)) {
          return false;
        }
        break;
      case kRemove:
        if (!common::wire::Get(&ops, &number) || !common::wire::GetText(&ops, &value) ||
            list_.Remove(value, number) == 0) {
          return false;
        }
        break;
      default:
        return false;
    }
  }
  return true;
}

const daemon::ValueType kListType = {.id = daemon::type_id::kList,
                                     .name = "list",
                                     .restore = RestoreList,
                                     .evictable = true,
                                     .free_anywhere = true};

}  // namespace pylon::list
