#include "modules/semaphore/semaphore.h"

#include "common/wire.h"

namespace pylon::semaphore {
namespace {

using common::wire::Get;
using common::wire::Put;

// [format 1][limit i64][acquired u64][refused u64][released u64][expired u64][holders u32]
// ([lease end i64][token u64])*, host byte order.
constexpr uint8_t kFormat = 1;

}  // namespace

size_t Semaphore::Expire(int64_t now_ms) {
  size_t n = 0;
  while (!by_end_.empty() && by_end_.begin()->first <= now_ms) {
    by_token_.erase(by_end_.begin()->second);
    by_end_.erase(by_end_.begin());
    n++;
  }
  counters_.expired += n;
  return n;
}

bool Semaphore::Acquire(int64_t now_ms, int64_t limit, int64_t lease_ms, uint64_t token) {
  Expire(now_ms);
  limit_ = limit;
  if (static_cast<int64_t>(holders()) >= limit_ || by_token_.count(token)) {
    counters_.refused++;
    return false;
  }
  const int64_t end = now_ms + lease_ms;
  by_end_.emplace(end, token);
  by_token_.emplace(token, end);
  counters_.acquired++;
  return true;
}

bool Semaphore::Release(int64_t now_ms, uint64_t token) {
  Expire(now_ms);
  auto it = by_token_.find(token);
  if (it == by_token_.end()) return false;
  by_end_.erase({it->second, token});
  by_token_.erase(it);
  counters_.released++;
  return true;
}

std::optional<int64_t> Semaphore::LatestLeaseEnd() const {
  if (by_end_.empty()) return std::nullopt;
  return by_end_.rbegin()->first;
}

void Semaphore::Serialize(std::string* out) const {
  Put(out, kFormat);
  Put(out, limit_);
  Put(out, counters_.acquired);
  Put(out, counters_.refused);
  Put(out, counters_.released);
  Put(out, counters_.expired);
  Put(out, static_cast<uint32_t>(by_end_.size()));
  for (const auto& [end, token] : by_end_) {
    Put(out, end);
    Put(out, token);
  }
}

std::optional<Semaphore> Semaphore::Deserialize(std::string_view in) {
  Semaphore s;
  uint8_t format;
  uint32_t count;
  if (!Get(&in, &format) || format != kFormat || !Get(&in, &s.limit_) || s.limit_ < 1 ||
      !Get(&in, &s.counters_.acquired) || !Get(&in, &s.counters_.refused) ||
      !Get(&in, &s.counters_.released) || !Get(&in, &s.counters_.expired) || !Get(&in, &count) ||
      in.size() != size_t{count} * (sizeof(int64_t) + sizeof(uint64_t))) {
    return std::nullopt;
  }
  for (uint32_t i = 0; i < count; i++) {
    int64_t end;
    uint64_t token;
    Get(&in, &end);
    Get(&in, &token);
    if (!s.by_token_.emplace(token, end).second) return std::nullopt;  // a token held twice
    s.by_end_.emplace(end, token);
  }
  return s;
}

size_t Semaphore::ExtraBytes() const {
  // A red-black tree node (three pointers and a colour, then the pair) and a hash node (a link,
  // the pair) plus its bucket pointer.
  constexpr size_t kSetNode = 4 * sizeof(void*) + sizeof(std::pair<int64_t, uint64_t>);
  constexpr size_t kMapNode = 2 * sizeof(void*) + sizeof(std::pair<uint64_t, int64_t>);
  return by_end_.size() * kSetNode + by_token_.size() * kMapNode +
         by_token_.bucket_count() * sizeof(void*);
}

}  // namespace pylon::semaphore
