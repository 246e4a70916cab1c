#include "modules/set/set.h"

#include "common/wire.h"

namespace pylon::set {

void Set::ConvertToTable(size_t extra) {
  MemberTable table;
  table.Reserve(ints_.size() + extra);
  ForEach([&](std::string_view m) { table.Insert(m); });
  table_ = std::move(table);
  ints_ = IntSet();
  intset_ = false;
}

bool Set::Add(std::string_view member, const Limits& limits) {
  if (intset_) {
    int64_t v;
    if (protocol::ParseInt64(member, &v)) {
      if (!ints_.Insert(v)) return false;
      if (ints_.size() > limits.max_intset_entries) ConvertToTable(0);
      return true;
    }
    ConvertToTable(1);
  }
  return table_.Insert(member);
}

bool Set::Remove(std::string_view member) {
  if (intset_) {
    int64_t v;
    return protocol::ParseInt64(member, &v) && ints_.Remove(v);
  }
  return table_.Remove(member);
}

bool Set::Contains(std::string_view member) const {
  if (intset_) {
    int64_t v;
    return protocol::ParseInt64(member, &v) && ints_.Contains(v);
  }
  return table_.Contains(member);
}

// [format u8][intset u8][count u64] then count x (int64 for an intset, ascending; text for a
// table) (common/wire.h).
constexpr uint8_t kFormat = 1;

void Set::Serialize(std::string* out) const {
  common::wire::Put(out, kFormat);
  common::wire::Put(out, static_cast<uint8_t>(intset_));
  common::wire::Put(out, static_cast<uint64_t>(Size()));
  if (intset_) {
    ints_.ForEach([&](int64_t v) { common::wire::Put(out, v); });
  } else {
    table_.ForEach([&](std::string_view m) { common::wire::PutText(out, m); });
  }
}

std::optional<Set> Set::Deserialize(std::string_view in) {
  uint8_t format, intset;
  uint64_t count;
  if (!common::wire::Get(&in, &format) || format != kFormat || !common::wire::Get(&in, &intset) ||
      intset > 1 || !common::wire::Get(&in, &count)) {
    return std::nullopt;
  }
  // Each member takes at least 4 bytes (a text's length) or 8 (an integer): a larger count is
  // corrupt, and checking it first keeps a corrupt count from reserving memory.
  if (count > in.size() / (intset ? 8 : 4)) return std::nullopt;
  Set s;
  if (intset) {
    for (uint64_t i = 0; i < count; i++) {
      int64_t v;
      // Ascending, hence distinct: what an intset is.
      if (!common::wire::Get(&in, &v) || !s.ints_.Append(v)) return std::nullopt;
    }
  } else {
    s.intset_ = false;
    s.table_.Reserve(count);
    for (uint64_t i = 0; i < count; i++) {
      std::string_view m;
      if (!common::wire::GetText(&in, &m) || !s.table_.Insert(m)) return std::nullopt;
    }
  }
  if (!in.empty()) return std::nullopt;
  return s;
}

}  // namespace pylon::set
