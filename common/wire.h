// The little binary encoding that values' dumps use: fixed-size fields in host byte order and
// length-prefixed text. Readers take from the front of a view and say false when it runs out.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace pylon::common::wire {

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <typename T>
bool Get(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

inline void PutText(std::string* out, std::string_view s) {
  Put(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

inline bool GetText(std::string_view* in, std::string_view* s) {
  uint32_t n;
  if (!Get(in, &n) || in->size() < n) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace pylon::common::wire
