// struct: packing Lua values to and from binary strings, as redis-server 7.0.15 ships it (Roberto
// Ierusalimschy's struct library, 2018 revision, with Redis's start-offset check).
//
// Format options: '>' big endian, '<' little endian, '![n]' maximum alignment (default 8),
// ' ' ignored, 'x' one zero byte, 'b'/'B' char, 'h'/'H' short, 'l'/'L' long, 'T' size_t,
// 'i[n]'/'I[n]' an n-byte integer (default 4, at most 32), 'f' float, 'd' double, 'c[n]' n chars
// (pack: c0 is the whole string; unpack: c0 takes its length from the previous result),
// 's' a zero-terminated string. A format is read as a C string: it ends at its first zero byte.
//
// Redis's build is C on x86-64, where a few of its conversions are undefined behaviour that the
// hardware resolves one way; scripts see those results, so they are reproduced here explicitly
// (a number beyond an integer's range, integer sizes over 8 bytes).
#include <bit>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "modules/scripting/lua_libs/lua_libs.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace pylon::scripting {
namespace {

constexpr int kMaxIntegerSize = 32;
constexpr int kDefaultIntSize = sizeof(int);
// The largest alignment '!' means without a number: what a double gets in a struct, or int's.
constexpr int kMaxAlign = alignof(double) > sizeof(int) ? alignof(double) : sizeof(int);

enum class Endian { kBig, kLittle };
constexpr Endian kNative =
    std::endian::native == std::endian::little ? Endian::kLittle : Endian::kBig;

struct Header {
  Endian endian = kNative;
  int align = 1;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Reads the decimal number at *fmt, if any (advancing past it); `fallback` when there is none.
int ReadCount(lua_State* L, const char** fmt, int fallback) {
  if (!IsDigit(**fmt)) return fallback;
  int n = 0;
  do {
    const int digit = *(*fmt)++ - '0';
    if (n > INT_MAX / 10 || n * 10 > INT_MAX - digit) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
  } while (IsDigit(**fmt));
  return n;
}

// The size in bytes of option `opt` (reading its count from *fmt where it takes one); 0 for the
// options that have none ('s', the endian and alignment controls, unknown letters).
size_t OptionSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
      return sizeof(char);
    case 'H':
    case 'h':
      return sizeof(short);
    case 'L':
    case 'l':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(ReadCount(L, fmt, 1));
    case 'i':
    case 'I': {
      const int size = ReadCount(L, fmt, kDefaultIntSize);
      if (size > kMaxIntegerSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", size, kMaxIntegerSize);
      }
      return static_cast<size_t>(size);
    }
    default:
      return 0;
  }
}

// Padding bytes before an item of `size` at offset `pos`: items align to their own size capped
// by the header's alignment ('c' never aligns). The formula is the library's own, also for
// sizes that are not powers of two.
size_t PaddingBefore(size_t pos, const Header& h, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(h.align)) size = static_cast<size_t>(h.align);
  return (size - (pos & (size - 1))) & (size - 1);
}

// Applies a control option (endianness, alignment, space); anything else is an invalid option.
void ApplyControl(lua_State* L, char opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h->endian = Endian::kBig;
      return;
    case '<':
      h->endian = Endian::kLittle;
      return;
    case '!': {
      const int align = ReadCount(L, fmt, kMaxAlign);
      if (align <= 0 || (align & (align - 1)) != 0) {
        luaL_error(L, "alignment %d is not a power of 2", align);
      }
      h->align = align;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

bool IsIntegerOption(char opt) { return std::strchr("bBhHlLTiI", opt) != nullptr && opt != '\0'; }

// A double to a 64-bit integer's bits as the library's C does on x86-64: in range it truncates;
// out of range (and NaN) the conversion instruction yields 0x8000000000000000, and the unsigned
// conversion of values from 2^64 up wraps through it to 0.
uint64_t IntegerBits(double n) {
  constexpr double kTwoTo63 = 9223372036854775808.0;
  constexpr uint64_t kIndefinite = uint64_t{1} << 63;
  auto to_signed = [](double d) -> uint64_t {
    if (d >= -kTwoTo63 && d < kTwoTo63) return static_cast<uint64_t>(static_cast<int64_t>(d));
    return kIndefinite;
  };
  if (n < 0) return to_signed(n);
  if (!(n >= kTwoTo63)) return to_signed(n);  // NaN lands here too
  return to_signed(n - kTwoTo63) ^ kIndefinite;
}

void PutInteger(lua_State* L, luaL_Buffer* b, int arg, Endian endian, size_t size) {
  uint64_t value = IntegerBits(luaL_checknumber(L, arg));
  char bytes[kMaxIntegerSize];
  for (size_t i = 0; i < size; i++) {
    const size_t at = endian == Endian::kLittle ? i : size - 1 - i;
    bytes[at] = static_cast<char>(value & 0xff);
    value >>= 8;  // past 8 bytes, only zeros remain
  }
  luaL_addlstring(b, bytes, size);
}

// Reverses `bytes` in place when the wanted byte order is not the machine's.
void ToOrder(char* bytes, size_t size, Endian endian) {
  if (endian == kNative) return;
  for (size_t i = 0, j = size - 1; i < j; i++, j--) std::swap(bytes[i], bytes[j]);
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  int arg = 2;
  size_t total = 0;
  lua_pushnil(L);  // separates the arguments from the buffer's stack slots
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    const size_t padding = PaddingBefore(total, h, opt, size);
    total += padding;
    for (size_t i = 0; i < padding; i++) luaL_addchar(&b, '\0');
    if (IsIntegerOption(opt)) {
      PutInteger(L, &b, arg++, h.endian, size);
    } else if (opt == 'x') {
      luaL_addchar(&b, '\0');
    } else if (opt == 'f') {
      float f = static_cast<float>(luaL_checknumber(L, arg++));
      ToOrder(reinterpret_cast<char*>(&f), sizeof f, h.endian);
      luaL_addlstring(&b, reinterpret_cast<const char*>(&f), sizeof f);
    } else if (opt == 'd') {
      double d = luaL_checknumber(L, arg++);
      ToOrder(reinterpret_cast<char*>(&d), sizeof d, h.endian);
      luaL_addlstring(&b, reinterpret_cast<const char*>(&d), sizeof d);
    } else if (opt == 'c' || opt == 's') {
      size_t len = 0;
      const char* s = luaL_checklstring(L, arg++, &len);
      if (size == 0) size = len;
      // The library names the argument after the string's (arg already moved on): kept.
      luaL_argcheck(L, len >= size, arg, "string too short");
      luaL_addlstring(&b, s, size);
      if (opt == 's') {
        luaL_addchar(&b, '\0');
        size++;
      }
    } else {
      ApplyControl(L, opt, &fmt, &h);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

// The integer of `size` bytes at `bytes`, as the library reads it into 64 bits: bytes beyond
// the 8 last read are shifted out, and the sign mask's shift count wraps modulo 64 as x86-64's
// shift instruction does (so sizes 0 and over 8 sign-extend from a bit of their own).
lua_Number GetInteger(const char* bytes, Endian endian, bool is_signed, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; i++) {
    const size_t at = endian == Endian::kBig ? i : size - 1 - i;
    value = (value << 8) | static_cast<unsigned char>(bytes[at]);
  }
  if (!is_signed) return static_cast<lua_Number>(value);
  const uint64_t mask = ~uint64_t{0} << ((size * 8 - 1) & 63);
  if (value & mask) value |= mask;
  return static_cast<lua_Number>(static_cast<int64_t>(value));
}

// lua_tonumber's double as a size_t, as x86-64's conversion gives it (see IntegerBits).
size_t SizeFromNumber(lua_Number n) { return static_cast<size_t>(IntegerBits(n)); }

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len = 0;
  const char* data = luaL_checklstring(L, 2, &len);
  // A negative start wraps to a huge position, which then fails the length check below.
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  pos--;
  int results = 0;
  Header h;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += PaddingBefore(pos, h, opt, size);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");  // the item and the final position
    if (IsIntegerOption(opt)) {
      const bool is_signed = opt >= 'a' && opt <= 'z';
      lua_pushnumber(L, GetInteger(data + pos, h.endian, is_signed, size));
      results++;
    } else if (opt == 'x') {
      // padding: skipped
    } else if (opt == 'f') {
      float f = 0;
      std::memcpy(&f, data + pos, sizeof f);
      ToOrder(reinterpret_cast<char*>(&f), sizeof f, h.endian);
      lua_pushnumber(L, f);
      results++;
    } else if (opt == 'd') {
      double d = 0;
      std::memcpy(&d, data + pos, sizeof d);
      ToOrder(reinterpret_cast<char*>(&d), sizeof d, h.endian);
      lua_pushnumber(L, d);
      results++;
    } else if (opt == 'c') {
      if (size == 0) {  // the length is the previous result, which it replaces
        if (results == 0 || !lua_isnumber(L, -1))
          luaL_error(L, "format 'c0' needs a previous size");
        size = SizeFromNumber(lua_tonumber(L, -1));
        lua_pop(L, 1);
        results--;
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
      }
      lua_pushlstring(L, data + pos, size);
      results++;
    } else if (opt == 's') {
      const void* end = std::memchr(data + pos, '\0', len - pos);
      if (end == nullptr) luaL_error(L, "unfinished string in data");
      size = static_cast<size_t>(static_cast<const char*>(end) - (data + pos)) + 1;
      lua_pushlstring(L, data + pos, size - 1);
      results++;
    } else {
      ApplyControl(L, opt, &fmt, &h);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return results + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t pos = 0;
  Header h;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    const size_t size = OptionSize(L, opt, &fmt);
    pos += PaddingBefore(pos, h, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    // Unknown letters and digits count as nothing here, where pack and unpack refuse them.
    if (!IsAlnum(opt)) ApplyControl(L, opt, &fmt, &h);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  static constexpr luaL_Reg kFunctions[] = {
      {"pack", Pack},
      {"unpack", Unpack},
      {"size", Size},
      {nullptr, nullptr},
  };
  luaL_register(L, "struct", kFunctions);
  return 1;
}

}  // namespace pylon::scripting
