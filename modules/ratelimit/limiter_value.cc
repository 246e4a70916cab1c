#include "modules/ratelimit/limiter_value.h"

#include "daemon/type_ids.h"

namespace pylon::ratelimit {
namespace {

bool RestoreLimiter(std::string_view payload, daemon::FamilyStates&, daemon::RestoredValue* out) {
  std::optional<Limiter> limiter = Limiter::Deserialize(payload);
  if (!limiter) return false;
  if (limiter->Packable()) {
    out->bytes.resize(limiter->PackedSize());
    limiter->Pack(out->bytes.data());
  } else {
    out->object = std::make_unique<LimiterValue>(std::move(*limiter));
  }
  return true;
}

std::string_view PackedEncoding(std::string_view bytes) {
  return AlgorithmName(Limiter::Unpack(bytes).rule().algorithm);
}

void DumpPacked(std::string_view bytes, std::string* out) { Limiter::Unpack(bytes).Serialize(out); }

}  // namespace

const daemon::ValueType kLimiterType = {daemon::type_id::kRateLimit, "ratelimit", RestoreLimiter,
                                        PackedEncoding, DumpPacked};

StoredLimiter::StoredLimiter(const daemon::Entry* entry, const Rule& rule) {
  if (!entry) {
    copy_.emplace(rule);
  } else if (entry->is_object()) {
    object_ = &static_cast<LimiterValue*>(entry->object())->limiter;
    exists_ = true;
  } else {
    copy_.emplace(Limiter::Unpack(entry->bytes()));
    exists_ = true;
  }
}

StoredLimiter::StoredLimiter(const daemon::Entry& entry) : StoredLimiter(&entry, Rule{}) {}

void StoredLimiter::Keep(daemon::Keyspace& ks, daemon::KeyRef& ref, int64_t reset_after_ms) {
  const int64_t full_at = ks.now_ms() + reset_after_ms;
  if (object_) {
    ks.Modified(ref);
    ks.SetExpire(ref, full_at);
  } else if (copy_->Packable()) {
    char packed[Limiter::kMaxPackedSize];
    copy_->Pack(packed);
    ks.SetBytes(ref, kLimiterType, {packed, copy_->PackedSize()}, daemon::Ttl::At(full_at));
  } else {
    ks.SetObject(ref, std::make_unique<LimiterValue>(std::move(*copy_)), daemon::Ttl::At(full_at));
    object_ = &static_cast<LimiterValue*>(ref.entry->object())->limiter;
    copy_.reset();
  }
  exists_ = true;
}

}  // namespace pylon::ratelimit
