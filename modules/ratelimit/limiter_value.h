// A limiter as a keyspace value: TYPE answers "ratelimit", OBJECT ENCODING the algorithm, and
// dumps carry the rule and the state.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "daemon/value.h"
#include "modules/ratelimit/limiter.h"

namespace pylon::ratelimit {

class LimiterValue final : public daemon::Value {
 public:
  static const daemon::ValueType kType;

  explicit LimiterValue(const Limiter& limiter) : limiter(limiter) {}

  const daemon::ValueType& type() const override { return kType; }
  std::string_view Encoding() const override { return AlgorithmName(limiter.rule().algorithm); }
  size_t MemoryUsage() const override { return sizeof(*this) + limiter.ExtraBytes(); }
  void Dump(std::string* out) const override { limiter.Serialize(out); }

  Limiter limiter;
};

}  // namespace pylon::ratelimit
