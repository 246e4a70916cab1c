// A hash in the keyspace (TYPE "hash"): the core (hash.h) behind the Value interface.
// Evictable, as any Redis key under an allkeys policy. Its changes go through Set, Delete and the
// increments, which log them for the append-only log (daemon/change_recorder.h): HSET on a hash
// of a million fields writes the field set, not the whole hash.
#pragma once

#include <string>
#include <string_view>

#include "daemon/change_recorder.h"
#include "daemon/value.h"
#include "modules/hash/hash.h"

namespace pylon::hash {

extern const daemon::ValueType kHashType;

class HashValue final : public daemon::Value {
 public:
  HashValue() = default;
  explicit HashValue(Hash hash) : hash_(std::move(hash)) {}

  const daemon::ValueType& type() const override { return kHashType; }
  std::string_view Encoding() const override { return hash_.Encoding(); }
  size_t MemoryUsage() const override {
    return sizeof(*this) - sizeof(Hash) + hash_.Bytes() + changes_.bytes();
  }
  void Dump(std::string* out) const override { hash_.Serialize(out); }
  daemon::ChangeRecorder* change_recorder() override { return &changes_; }
  // Replays what the changes below logged; false when an operation does not apply as it did.
  bool ApplyChanges(std::string_view ops) override;

  const Hash& hash() const { return hash_; }
  // As Hash's, each logged as the field's new value (an increment too: its result) or its
  // removal.
  bool Set(std::string_view field, std::string_view value, const Limits& limits);
  bool Delete(std::string_view field);
  IncrStatus IncrBy(std::string_view field, int64_t delta, const Limits& limits, int64_t* result);
  IncrStatus IncrByFloat(std::string_view field, long double delta, const Limits& limits,
                         std::string_view* result);

 private:
  void RecordSet(std::string_view field, const Limits& limits);

  Hash hash_;
  daemon::ChangeRecorder changes_;  // fields set and deleted, for the append-only log
};

}  // namespace pylon::hash
