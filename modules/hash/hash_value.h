// A hash in the keyspace (TYPE "hash"): the core (hash.h) behind the Value interface.
// Evictable, as any Redis key under an allkeys policy.
#pragma once

#include <string>
#include <string_view>

#include "daemon/value.h"
#include "modules/hash/hash.h"

namespace pylon::hash {

extern const daemon::ValueType kHashType;

class HashValue final : public daemon::Value {
 public:
  HashValue() = default;
  explicit HashValue(Hash hash) : hash(std::move(hash)) {}

  const daemon::ValueType& type() const override { return kHashType; }
  std::string_view Encoding() const override { return hash.Encoding(); }
  size_t MemoryUsage() const override { return sizeof(*this) - sizeof(Hash) + hash.Bytes(); }
  // Logged whole after each change for now: a hash of a few fields is a small dump. Large
  // hashes will want a ChangeRecorder (daemon/change_recorder.h) that logs the fields changed.
  void Dump(std::string* out) const override { hash.Serialize(out); }

  Hash hash;
};

}  // namespace pylon::hash
