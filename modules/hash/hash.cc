#include "modules/hash/hash.h"

#include <cmath>
#include <cstdint>
#include <unordered_set>

#include "common/varint.h"
#include "common/wire.h"
#include "protocol/text.h"

namespace pylon::hash {

void Hash::PutText(std::string* out, std::string_view s) {
  common::VarintPut(out, s.size());
  out->append(s);
}

// The buffer is our own, written by PutText: no bounds to check.
std::string_view Hash::ReadText(const char** p) {
  const size_t n = common::VarintRead(p);
  const std::string_view s(*p, n);
  *p += n;
  return s;
}

size_t Hash::FindCompact(std::string_view field) const {
  const char* begin = buf_.data();
  const char* p = begin;
  const char* end = p + buf_.size();
  while (p < end) {
    const char* entry = p;
    const std::string_view f = ReadText(&p);
    ReadText(&p);
    if (f == field) return static_cast<size_t>(entry - begin);
  }
  return std::string::npos;
}

size_t Hash::HeapBytes(const std::string& s) {
  // Every std::string has an inline buffer; past it the capacity (and its NUL) is on the heap.
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

void Hash::ConvertToLarge() {
  common::ArenaMap table;
  table.Reserve(count_ + 1);
  ForEach([&](std::string_view f, std::string_view v) { table.Put(f, v); });
  table_ = std::move(table);
  large_ = true;
  count_ = 0;
  std::string().swap(buf_);
}

bool Hash::Set(std::string_view field, std::string_view value, const Limits& limits) {
  if (!large_ &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToLarge();
  }
  if (large_) return table_.Put(field, value);
  const size_t at = FindCompact(field);
  if (at != std::string::npos) {
    const char* p = buf_.data() + at;
    ReadText(&p);
    const size_t value_at = static_cast<size_t>(p - buf_.data());
    const std::string_view old = ReadText(&p);
    const size_t value_end = static_cast<size_t>(p - buf_.data());
    if (old.size() == value.size()) {
      // Same length, same prefix: overwrite in place, nothing moves.
      buf_.replace(value_end - value.size(), value.size(), value);
    } else {
      std::string encoded;
      encoded.reserve(value.size() + 10);
      PutText(&encoded, value);
      buf_.replace(value_at, value_end - value_at, encoded);
    }
    return false;
  }
  PutText(&buf_, field);
  PutText(&buf_, value);
  count_++;
  if (count_ > limits.max_listpack_entries) ConvertToLarge();
  return true;
}

std::optional<std::string_view> Hash::Get(std::string_view field) const {
  if (large_) return table_.Get(field);
  const size_t at = FindCompact(field);
  if (at == std::string::npos) return std::nullopt;
  const char* p = buf_.data() + at;
  ReadText(&p);
  return ReadText(&p);
}

bool Hash::Delete(std::string_view field) {
  if (large_) return table_.Remove(field);
  const size_t at = FindCompact(field);
  if (at == std::string::npos) return false;
  const char* p = buf_.data() + at;
  ReadText(&p);
  ReadText(&p);
  buf_.erase(at, static_cast<size_t>(p - buf_.data()) - at);
  count_--;
  return true;
}

size_t Hash::StrLen(std::string_view field) const {
  const std::optional<std::string_view> v = Get(field);
  return v ? v->size() : 0;
}

IncrStatus Hash::IncrBy(std::string_view field, int64_t delta, const Limits& limits,
                        int64_t* result) {
  int64_t value = 0;
  if (const std::optional<std::string_view> old = Get(field)) {
    if (!protocol::ParseInt64(*old, &value)) return IncrStatus::kNotInteger;
  }
  // Redis's rule, which refuses exactly the sums outside int64.
  if ((delta < 0 && value < 0 && delta < INT64_MIN - value) ||
      (delta > 0 && value > 0 && delta > INT64_MAX - value)) {
    return IncrStatus::kOverflow;
  }
  value += delta;
  char buf[24];
  Set(field, std::string_view(buf, protocol::FormatInt64(value, buf)), limits);
  *result = value;
  return IncrStatus::kOk;
}

IncrStatus Hash::IncrByFloat(std::string_view field, long double delta, const Limits& limits,
                             std::string_view* result) {
  long double value = 0;
  if (const std::optional<std::string_view> old = Get(field)) {
    if (!protocol::ParseLongDouble(*old, &value)) return IncrStatus::kNotFloat;
  }
  value += delta;
  if (std::isnan(value) || std::isinf(value)) return IncrStatus::kNanOrInf;
  char buf[protocol::kLongDoubleChars];
  Set(field, std::string_view(buf, protocol::FormatLongDouble(value, buf, sizeof(buf))), limits);
  *result = *Get(field);
  return IncrStatus::kOk;
}

size_t Hash::Bytes() const { return sizeof(*this) + HeapBytes(buf_) + table_.HeapBytes(); }

// [format u8][large u8][count u32] then count x ([field text][value text]) (common/wire.h).
constexpr uint8_t kFormat = 1;

void Hash::Serialize(std::string* out) const {
  common::wire::Put(out, kFormat);
  common::wire::Put(out, static_cast<uint8_t>(large_));
  common::wire::Put(out, static_cast<uint32_t>(Size()));
  ForEach([&](std::string_view f, std::string_view v) {
    common::wire::PutText(out, f);
    common::wire::PutText(out, v);
  });
}

std::optional<Hash> Hash::Deserialize(std::string_view in) {
  uint8_t format, large;
  uint32_t count;
  if (!common::wire::Get(&in, &format) || format != kFormat || !common::wire::Get(&in, &large) ||
      large > 1 || !common::wire::Get(&in, &count)) {
    return std::nullopt;
  }
  // Each pair takes at least its two 4-byte lengths: a larger count is corrupt, and checking
  // it first keeps a corrupt count from reserving memory.
  if (count > in.size() / 8) return std::nullopt;
  // The form is kept as dumped: a hash never converts back, whatever the config says now.
  Hash h;
  std::unordered_set<std::string_view> seen;  // the compact form's fields, to refuse one twice
  if (large) {
    h.ConvertToLarge();
    h.table_.Reserve(count);
  } else {
    seen.reserve(count);
  }
  for (uint32_t i = 0; i < count; i++) {
    std::string_view f, v;
    if (!common::wire::GetText(&in, &f) || !common::wire::GetText(&in, &v)) return std::nullopt;
    if (large) {
      if (!h.table_.Put(f, v)) return std::nullopt;
    } else {
      // Appended as they come: Set's linear scan would make a long dump quadratic.
      if (!seen.insert(f).second) return std::nullopt;
      PutText(&h.buf_, f);
      PutText(&h.buf_, v);
      h.count_++;
    }
  }
  if (!in.empty()) return std::nullopt;
  return h;
}

}  // namespace pylon::hash
