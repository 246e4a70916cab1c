#include "modules/scripting/function_payload.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "common/crc64.h"

extern "C" {
#include <liblzf/lzf.h>
}

namespace pylon::scripting {
namespace {

constexpr uint8_t kOpcodeFunction2 = 245;         // a library's code
constexpr uint8_t kOpcodeFunction = 246;          // 7.0-rc's form: name, engine, description, code
constexpr uint16_t kRdbVersion = 10;              // Redis 7.0's
constexpr size_t kFooter = 10;                    // version + CRC-64
constexpr size_t kMaxLength = size_t{512} << 20;  // proto-max-bulk-len's ceiling

void AppendLength(std::string* out, uint64_t len) {
  if (len < (1u << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1u << 14)) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  }
}

// An RDB string as Redis writes one (a library's code never looks like an integer: it starts
// with "#!").
void AppendString(std::string* out, std::string_view s) {
  if (s.size() > 20) {
    std::string packed(s.size() - 4, '\0');
    const unsigned n = lzf_compress(s.data(), static_cast<unsigned>(s.size()), packed.data(),
                                    static_cast<unsigned>(packed.size()));
    if (n > 0) {
      out->push_back(static_cast<char>(0xC3));
      AppendLength(out, n);
      AppendLength(out, s.size());
      out->append(packed.data(), n);
      return;
    }
  }
  AppendLength(out, s.size());
  out->append(s);
}

// Reads RDB strings from a payload; every read checks its bounds.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool at_end() const { return pos_ >= in_.size(); }
  std::optional<uint8_t> Byte() {
    if (pos_ >= in_.size()) return std::nullopt;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  // A length, or an encoded string's kind in *encoded.
  std::optional<uint64_t> Length(bool* encoded) {
    *encoded = false;
    auto b = Byte();
    if (!b) return std::nullopt;
    switch (*b >> 6) {
      case 0:
        return *b & 0x3f;
      case 1: {
        auto lo = Byte();
        if (!lo) return std::nullopt;
        return (uint64_t{*b & 0x3fu} << 8) | *lo;
      }
      case 2: {
        const int bytes = *b == 0x80 ? 4 : *b == 0x81 ? 8 : 0;
        if (!bytes) return std::nullopt;
        uint64_t v = 0;
        for (int i = 0; i < bytes; i++) {
          auto next = Byte();
          if (!next) return std::nullopt;
          v = (v << 8) | *next;
        }
        return v;
      }
      default:
        *encoded = true;
        return *b & 0x3f;
    }
  }
  std::optional<std::string> String() {
    bool encoded = false;
    auto len = Length(&encoded);
    if (!len) return std::nullopt;
    if (!encoded) return Bytes(*len);
    if (*len <= 2) {  // an integer of 1, 2 or 4 bytes, little-endian, signed
      const int bytes = 1 << *len;
      if (in_.size() - pos_ < static_cast<size_t>(bytes)) return std::nullopt;
      uint32_t v = 0;
      for (int i = 0; i < bytes; i++) v |= uint32_t{static_cast<uint8_t>(in_[pos_ + i])} << (8 * i);
      pos_ += static_cast<size_t>(bytes);
      int64_t value = bytes == 1   ? static_cast<int8_t>(v)
                      : bytes == 2 ? static_cast<int16_t>(v)
                                   : static_cast<int32_t>(v);
      return std::to_string(value);
    }
    if (*len != 3) return std::nullopt;  // only LZF is left
    bool e1 = false, e2 = false;
    auto packed_len = Length(&e1);
    auto plain_len = Length(&e2);
    if (!packed_len || !plain_len || e1 || e2 || *plain_len > kMaxLength) return std::nullopt;
    auto packed = Bytes(*packed_len);
    if (!packed) return std::nullopt;
    std::string plain(*plain_len, '\0');
    if (*plain_len > 0 &&
        lzf_decompress(packed->data(), static_cast<unsigned>(packed->size()), plain.data(),
                       static_cast<unsigned>(plain.size())) != *plain_len) {
      return std::nullopt;
    }
    return plain;
  }

 private:
  std::optional<std::string> Bytes(uint64_t n) {
    if (n > in_.size() - pos_) return std::nullopt;
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::string_view in_;
  size_t pos_ = 0;
};

// The library payloads in a dump, or an error text.
bool ReadLibraries(std::string_view body, std::vector<std::string>* out, std::string* error) {
  Reader r(body);
  while (!r.at_end()) {
    const auto type = r.Byte();
    if (type != kOpcodeFunction2 && type != kOpcodeFunction) {
      *error = "given type is not a function";
      return false;
    }
    if (type == kOpcodeFunction2) {
      auto code = r.String();
      if (!code) {
        *error = "Failed loading library payload";
        return false;
      }
      out->push_back(std::move(*code));
      continue;
    }
    auto name = r.String();
    auto engine = name ? r.String() : std::nullopt;
    bool encoded = false;
    auto has_description = engine ? r.Length(&encoded) : std::nullopt;
    std::optional<std::string> description;
    if (has_description && *has_description) description = r.String();
    auto code = has_description && (!*has_description || description) ? r.String() : std::nullopt;
    if (!code) {
      *error = "Failed loading library payload";
      return false;
    }
    out->push_back("#!" + *engine + " name=" + *name + "\n" + *code);
  }
  return true;
}

}  // namespace

std::string DumpFunctions(const FunctionLibraries& functions) {
  std::string out;
  for (const auto& [name, library] : functions.libraries()) {
    out.push_back(static_cast<char>(kOpcodeFunction2));
    AppendString(&out, library.code);
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  const uint64_t crc = common::Crc64(0, out);
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>(crc >> (8 * i)));
  return out;
}

bool RestoreFunctions(std::string_view payload, RestorePolicy policy, FunctionLibraries& functions,
                      std::string* error) {
  bool valid = payload.size() >= kFooter;
  if (valid) {
    const auto* footer =
        reinterpret_cast<const uint8_t*>(payload.data() + payload.size() - kFooter);
    const uint16_t version = static_cast<uint16_t>(footer[0] | (footer[1] << 8));
    uint64_t crc = 0;
    for (int i = 0; i < 8; i++) crc |= uint64_t{footer[2 + i]} << (8 * i);
    valid =
        version <= kRdbVersion && common::Crc64(0, payload.substr(0, payload.size() - 8)) == crc;
  }
  if (!valid) {
    *error = "ERR DUMP payload version or checksum are wrong";
    return false;
  }
  std::vector<std::string> libraries;
  if (!ReadLibraries(payload.substr(0, payload.size() - kFooter), &libraries, error)) {
    error->insert(0, "ERR ");
    return false;
  }
  // Everything is tried on a scratch set first (each library must load, and they must not
  // collide among themselves), so that a failure changes nothing.
  Lrand48 scratch_random;
  FunctionLibraries scratch(scratch_random);
  const std::function<bool()> never = [] { return false; };
  for (const std::string& code : libraries) {
    if (scratch.Load(code, false, never, error).empty()) {
      error->insert(0, "ERR ");
      return false;
    }
  }
  if (policy != RestorePolicy::kFlush) {
    for (const auto& [name, library] : scratch.libraries()) {
      if (policy == RestorePolicy::kAppend && functions.FindLibrary(name)) {
        *error = "ERR Library " + name + " already exists";
        return false;
      }
    }
    for (const auto& [name, library] : scratch.libraries()) {
      for (const std::string& fname : library.functions) {
        const FunctionLibraries::Function* f = functions.Find(fname);
        // Replacing a library frees its functions' names.
        if (f && !(policy == RestorePolicy::kReplace && scratch.FindLibrary(f->library))) {
          *error = "ERR Function " + fname + " already exists";
          return false;
        }
      }
    }
  } else {
    functions.Flush();
  }
  for (const auto& [name, library] : scratch.libraries()) {
    functions.Load(library.code, policy == RestorePolicy::kReplace, never, error);
  }
  return true;
}

}  // namespace pylon::scripting
