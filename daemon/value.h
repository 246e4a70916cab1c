// Typed values in the keyspace. Strings are built in: their bytes live inside the key's entry,
// which saves two allocations and two pointers on the most common keys. A family's type keeps
// its values the same way when they are small and of fixed size (a limiter's rule and state:
// "bytes" values), or as a Value subclass it defines (a queue, a filter, a sliding log). DEL,
// TYPE, EXPIRE, SCAN, MEMORY USAGE and persistence treat all of them alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pylon::daemon {

class ChangeRecorder;
class FamilyStates;
class Value;
struct ValueType;

// A value read back from its dump: bytes (a string, or a type's bytes value) or an object.
struct RestoredValue {
  const ValueType* type = nullptr;
  std::string bytes;
  std::unique_ptr<Value> object;  // set for an object; bytes are used otherwise
};

// A value type's identity: the name TYPE answers and the byte that tags its dumps, and how its
// values are read back.
struct ValueType {
  uint8_t id;             // stable forever: written into dumps; 0 is the built-in string
  std::string_view name;  // what TYPE answers: "string", "ratelimit", ...
  // Rebuilds a value from the payload its dump wrote (into out->object, or into out->bytes for
  // a bytes value); false when the payload is corrupt. `states` are the restoring server's: a
  // value that books into its family's state (daemon/family_state.h) takes it from there.
  bool (*restore)(std::string_view payload, FamilyStates& states, RestoredValue* out);
  // Types with bytes values (Entry::Kind::kBytes) only: what OBJECT ENCODING answers for those
  // bytes, and their dump payload.
  std::string_view (*bytes_encoding)(std::string_view bytes) = nullptr;
  void (*dump_bytes)(std::string_view bytes, std::string* out) = nullptr;
  // maxmemory may evict values of this type. Types whose loss a client would not expect (a
  // queue's messages) say false.
  bool evictable = true;
  // Its values may be freed on another thread (daemon/lazy_free.h): their destructor touches
  // nothing but their own memory. Redis's collections say true.
  bool free_anywhere = false;
};

class Value {
 public:
  virtual ~Value() = default;
  virtual const ValueType& type() const = 0;
  // What OBJECT ENCODING answers.
  virtual std::string_view Encoding() const = 0;
  // Bytes this value owns (itself included). O(1): the keyspace asks after every change.
  virtual size_t MemoryUsage() const = 0;
  // Appends a compact binary form that the type's restore function reads back.
  virtual void Dump(std::string* out) const = 0;
  // The value now lives under `key` (stored, restored or renamed). Values that act on their own
  // when time passes (a queue's leases) need their key to do so; others ignore it.
  virtual void Placed(std::string_view /*key*/) {}
  // Values whose dump is large and whose changes are small log operations instead of the dump
  // (daemon/change_recorder.h): their change recorder, and how the operations it recorded replay
  // (false when they do not apply). Others log their dump.
  virtual ChangeRecorder* change_recorder() { return nullptr; }
  virtual bool ApplyChanges(std::string_view /*ops*/) { return false; }

 private:
  friend class Keyspace;
  size_t accounted_bytes_ = 0;  // MemoryUsage() as last counted in the keyspace's total
};

// The built-in string type.
extern const ValueType kStringType;

// Types a dump may name, for the whole process: a type is a constant of the program, the same
// for every server in it, so each server's registration registers the same ones again, and
// registering the very same type again changes nothing. A second, different type with the same
// id or name aborts start-up.
void RegisterValueType(const ValueType& type);
const ValueType* FindValueType(uint8_t id);

}  // namespace pylon::daemon
