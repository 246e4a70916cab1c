#include "modules/cache/cache_value.h"

#include <cstring>
#include <memory>
#include <random>
#include <unordered_set>

#include "common/wire.h"
#include "daemon/family_state.h"
#include "daemon/type_ids.h"

namespace pylon::cache {
namespace {

// --- dump form: [format 1][has_data u8][fresh_until i64][lease_token u64][lease_until i64]
// [tag count u32]([length u32][tag])*[data...]; host byte order.
constexpr uint8_t kFormat = 1;

using common::wire::Get;
using common::wire::GetText;
using common::wire::Put;
using common::wire::PutText;

bool RestoreCache(std::string_view in, daemon::FamilyStates& states, daemon::RestoredValue* out) {
  auto v = std::make_unique<CacheValue>(states.Get<CacheFamilyState>());
  uint8_t format, has_data;
  uint32_t count;
  if (!Get(&in, &format) || format != kFormat || !Get(&in, &has_data) || has_data > 1 ||
      !Get(&in, &v->fresh_until_ms) || !Get(&in, &v->lease_token) ||
      !Get(&in, &v->lease_until_ms) || !Get(&in, &count) || count > in.size() / 4) {
    return false;
  }
  // Each tag takes at least its 4-byte length: a count the payload cannot hold is refused above,
  // and the tags are read one by one, so a lying count allocates nothing.
  std::vector<std::string> tags;
  for (uint32_t i = 0; i < count; i++) {
    std::string_view text;
    if (!GetText(&in, &text)) return false;
    tags.emplace_back(text);
  }
  v->has_data = has_data == 1;
  if (!v->has_data && !in.empty()) return false;
  v->data.assign(in);
  v->SetTags(std::move(tags));
  out->object = std::move(v);
  return true;
}

}  // namespace

const daemon::ValueType kCacheType = {
    .id = daemon::type_id::kCache, .name = "cache", .restore = RestoreCache};

uint64_t NewLeaseToken() {
  // A random start below 2^62, then counting: tokens of an earlier run do not match this one's,
  // and every token is a positive 64-bit integer as clients parse it.
  static uint64_t next = (std::random_device{}() | (uint64_t{std::random_device{}()} << 32)) >> 2;
  return ++next == 0 ? ++next : next;
}

CacheValue::~CacheValue() { Index(false); }

size_t CacheValue::MemoryUsage() const {
  size_t bytes =
      sizeof(*this) + data.capacity() + key_.capacity() + tags_.capacity() * sizeof(std::string);
  for (const std::string& tag : tags_) bytes += tag.capacity();
  return bytes;
}

void CacheValue::Dump(std::string* out) const {
  Put(out, kFormat);
  Put(out, static_cast<uint8_t>(has_data));
  Put(out, fresh_until_ms);
  Put(out, lease_token);
  Put(out, lease_until_ms);
  Put(out, static_cast<uint32_t>(tags_.size()));
  for (const std::string& tag : tags_) PutText(out, tag);
  out->append(data);
}

void CacheValue::Placed(std::string_view key) {
  Index(false);
  key_.assign(key);
  Index(true);
}

void CacheValue::SetTags(std::vector<std::string> tags) {
  Index(false);
  tags_ = std::move(tags);
  Index(true);
}

void CacheValue::Index(bool add) {
  if (key_.empty()) return;  // not placed under a key yet
  auto& index = family_->tag_index;
  for (const std::string& tag : tags_) {
    if (add) {
      index[tag].insert(key_);
      continue;
    }
    auto it = index.find(tag);
    if (it == index.end()) continue;
    it->second.erase(key_);
    if (it->second.empty()) index.erase(it);
  }
}

FetchOutcome DecideFetch(const CacheValue* v, int64_t now_ms) {
  if (v && v->has_data) {
    if (v->Fresh(now_ms)) return FetchOutcome::kHit;
    return v->Leased(now_ms) ? FetchOutcome::kStale : FetchOutcome::kStaleRefresh;
  }
  return v && v->Leased(now_ms) ? FetchOutcome::kWait : FetchOutcome::kMiss;
}

bool FillAllowed(const CacheValue* v, uint64_t token, int64_t now_ms) {
  return v && token != 0 && v->lease_token == token && v->Leased(now_ms);
}

std::vector<std::string> CacheFamilyState::KeysTagged(std::string_view tag) const {
  auto it = tag_index.find(tag);
  if (it == tag_index.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace pylon::cache
