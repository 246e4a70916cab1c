// One key with its value, in one allocation:
//
//   [header 24 bytes][expiry 16 bytes, if the key has one][Value* 8 bytes, if an object]
//   [key bytes][value bytes, if a string or a bytes value]
//
// A 16-byte key with a 16-byte string costs one 56-byte allocation (64 with malloc's header);
// Redis spends a dictEntry, a key sds and a value object on the same key. A family's small,
// fixed-size values (a limiter's rule and state) are kept the same way, as bytes tagged with
// their type's id. Keys without a TTL carry no expiry field: adding one reallocates the entry,
// which is rare next to reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/value.h"

namespace pylon::daemon {

class Entry {
 public:
  // kString: the string's bytes follow the key. kBytes: a value of a registered type, as bytes
  // its family reads and writes, follows the key. kObject: a pointer to a Value.
  enum class Kind : uint8_t { kString = 0, kObject = 1, kBytes = 2 };
  // How Redis would encode a string (OBJECT ENCODING): int, embstr or raw. Pylon stores every
  // string as bytes; the encoding is kept so clients see the answers Redis gives.
  enum class Encoding : uint8_t { kInt = 0, kEmbstr = 1, kRaw = 2 };

  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  std::string_view key() const { return {KeyData(), key_len_}; }
  Kind kind() const { return kind_; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_object() const { return kind_ == Kind::kObject; }
  // Strings only.
  std::string_view string() const { return {StringData(), str_len_}; }
  Encoding encoding() const { return static_cast<Encoding>(flags_ & kEncodingMask); }
  // Strings and bytes values: the value's bytes.
  std::string_view bytes() const { return {StringData(), str_len_}; }
  // Objects only.
  Value* object() const { return *ObjectSlot(); }
  const ValueType& type() const {
    switch (kind_) {
      case Kind::kString:
        return kStringType;
      case Kind::kObject:
        return object()->type();
      case Kind::kBytes:
        break;
    }
    return *FindValueType(type_id_);
  }

  bool has_expire() const { return flags_ & kHasExpire; }
  // Unix time in ms when the key expires, -1 if never.
  int64_t expire_ms() const { return has_expire() ? ExpireField()->at_ms : -1; }
  // As Redis: a key is expired once the clock is past its time (not at it).
  bool ExpiredAt(int64_t now_ms) const { return has_expire() && now_ms > ExpireField()->at_ms; }

  // Whether an eviction policy tracks the key (then access_ is its slot there, and the policy
  // keeps its access time and frequency).
  bool evict_tracked() const { return flags_ & kEvictTracked; }

 private:
  friend class Keyspace;
  friend class KeyTable;

  struct Expiry {
    int64_t at_ms;
    uint32_t volatile_pos;  // index in the keyspace's list of keys with a TTL
    uint32_t unused;
  };
  static constexpr uint8_t kEncodingMask = 0x3;
  static constexpr uint8_t kHasExpire = 0x4;
  static constexpr uint8_t kEvictTracked = 0x8;

  Entry() = default;

  // Bytes needed for an entry of this shape.
  static size_t SizeFor(size_t key_len, size_t str_len, bool object, bool expire) {
    return sizeof(Entry) + (expire ? sizeof(Expiry) : 0) + (object ? sizeof(Value*) : 0) + key_len +
           str_len;
  }
  size_t size() const { return SizeFor(key_len_, str_len_, is_object(), has_expire()); }
  size_t FixedPart() const {
    return sizeof(Entry) + (has_expire() ? sizeof(Expiry) : 0) + (is_object() ? sizeof(Value*) : 0);
  }

  char* Bytes() { return reinterpret_cast<char*>(this); }
  const char* Bytes() const { return reinterpret_cast<const char*>(this); }
  Expiry* ExpireField() { return reinterpret_cast<Expiry*>(Bytes() + sizeof(Entry)); }
  const Expiry* ExpireField() const {
    return reinterpret_cast<const Expiry*>(Bytes() + sizeof(Entry));
  }
  Value** ObjectSlot() {
    return reinterpret_cast<Value**>(Bytes() + sizeof(Entry) + (has_expire() ? sizeof(Expiry) : 0));
  }
  Value* const* ObjectSlot() const { return const_cast<Entry*>(this)->ObjectSlot(); }
  char* KeyData() { return Bytes() + FixedPart(); }
  const char* KeyData() const { return Bytes() + FixedPart(); }
  char* StringData() { return KeyData() + key_len_; }
  const char* StringData() const { return KeyData() + key_len_; }
  void set_encoding(Encoding e) {
    flags_ = static_cast<uint8_t>((flags_ & ~kEncodingMask) | static_cast<uint8_t>(e));
  }

  Entry* next_ = nullptr;  // the table's bucket chain
  uint32_t key_len_ = 0;
  uint32_t str_len_ = 0;  // bytes of the string or bytes value
  Kind kind_ = Kind::kString;
  uint8_t flags_ = 0;
  uint8_t lfu_counter_ = 0;
  uint8_t type_id_ = 0;  // kBytes: the value's type
  // Untracked: last access in seconds of the keyspace clock (LRU), or with an LFU policy the
  // minute of the last counter decay. Tracked by an eviction policy: the key's slot there.
  uint32_t access_ = 0;
};
static_assert(sizeof(Entry) == 24);

}  // namespace pylon::daemon
