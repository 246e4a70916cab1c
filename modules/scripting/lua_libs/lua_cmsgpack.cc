// cmsgpack: MessagePack for Lua 5.1 scripts, as redis-server 7.0.15 ships it (lua-cmsgpack 0.4.0).
//
// What scripts can observe, and so what this reproduces exactly:
//  - pack chooses the smallest integer width for integral numbers in int64 range, a 32-bit float
//    when the double survives the round trip through float, and a 64-bit double otherwise;
//  - a table is an array when its keys are exactly 1..n, a map otherwise (empty: an array);
//    tables nested 16 deep are packed as nil;
//  - strings are always str8/16/32 (never bin); bin and ext are refused when unpacking;
//  - the Lua stack is grown in the same places with the same messages, so a script that runs out
//    of stack (too many values, too deep a nesting) gets Redis's error at the same point.
//
// Lua errors longjmp through these frames, so nothing with a destructor may be alive when one is
// raised: the encoder reports stack exhaustion by return value and raises only after its buffer
// is gone; the decoder holds no owning objects at all.
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "modules/scripting/lua_libs/lua_libs.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace pylon::scripting {
namespace {

// Tables deeper than this are packed as nil, which also ends cycles (t.self = t).
constexpr int kMaxTableNesting = 16;

// Messages of Redis's luaL_checkstack calls ("stack overflow (<where>)"); the function names are
// Redis's, kept because scripts see them.
constexpr const char* kWhereArgument = "in function mp_check";
constexpr const char* kWhereArrayCheck = "in function table_is_an_array";
constexpr const char* kWhereEncodeArray = "in function mp_encode_lua_table_as_array";
constexpr const char* kWhereEncodeMap = "in function mp_encode_lua_table_as_map";
constexpr const char* kWhereDecodeValue =
    "too many return values at once; use unpack_one or unpack_limit instead.";
constexpr const char* kWhereDecodeArray = "in function mp_decode_to_lua_array";
constexpr const char* kWhereUnpackOffset = "in function mp_unpack_full";

// ---------------------------------------------------------------------------------------------
// Encoding

// True when the double is an integer that int64 holds (NaN, infinities and 2^63 are not), the
// test under which Redis packs a Lua number as an integer.
bool IsInt64(double n) {
  constexpr double kTwoTo63 = 9223372036854775808.0;
  return n >= -kTwoTo63 && n < kTwoTo63 && std::trunc(n) == n;
}

// True when a 32-bit float holds the double exactly, infinities included (the cast itself would
// be undefined for finite values beyond float's range, so those are answered first).
bool IsExactFloat(double d) {
  if (std::isnan(d)) return false;
  if (std::isinf(d)) return true;
  if (std::fabs(d) > FLT_MAX) return false;
  return static_cast<double>(static_cast<float>(d)) == d;
}

class Encoder {
 public:
  explicit Encoder(lua_State* L) : L_(L) {}

  // Appends the value on top of the stack and pops it. False when the Lua stack could not grow;
  // stack_failure() then says where, and the stack is left as it was at the failure.
  bool EncodeTop(int level) {
    int type = lua_type(L_, -1);
    if (type == LUA_TTABLE && level == kMaxTableNesting) type = LUA_TNIL;
    switch (type) {
      case LUA_TSTRING: {
        size_t len = 0;
        const char* s = lua_tolstring(L_, -1, &len);
        AppendString(s, len);
        break;
      }
      case LUA_TBOOLEAN:
        Append(lua_toboolean(L_, -1) ? 0xc3 : 0xc2);
        break;
      case LUA_TNUMBER: {
        const double n = lua_tonumber(L_, -1);
        if (IsInt64(n)) {
          AppendInteger(static_cast<int64_t>(n));
        } else {
          AppendFloatingPoint(n);
        }
        break;
      }
      case LUA_TTABLE:
        if (!EncodeTable(level)) return false;
        break;
      default:  // nil, and what MessagePack cannot carry (functions, userdata, threads)
        Append(0xc0);
        break;
    }
    lua_pop(L_, 1);
    return true;
  }

  // Makes room for `slots` more values on the Lua stack, or records why it could not.
  bool Reserve(int slots, const char* where) {
    if (lua_checkstack(L_, slots)) return true;
    stack_failure_ = where;
    return false;
  }

  const char* stack_failure() const { return stack_failure_; }
  std::string& bytes() { return out_; }

 private:
  void Append(unsigned char byte) { out_.push_back(static_cast<char>(byte)); }

  // A type byte followed by `width` bytes of `value`, most significant first.
  void AppendTagged(unsigned char tag, uint64_t value, int width) {
    Append(tag);
    for (int shift = 8 * (width - 1); shift >= 0; shift -= 8) {
      Append(static_cast<unsigned char>(value >> shift));
    }
  }

  void AppendInteger(int64_t n) {
    const uint64_t bits = static_cast<uint64_t>(n);
    if (n >= 0) {
      if (n <= 0x7f) {
        Append(static_cast<unsigned char>(n));  // positive fixint
      } else if (n <= 0xff) {
        AppendTagged(0xcc, bits, 1);
      } else if (n <= 0xffff) {
        AppendTagged(0xcd, bits, 2);
      } else if (n <= 0xffffffffLL) {
        AppendTagged(0xce, bits, 4);
      } else {
        AppendTagged(0xcf, bits, 8);
      }
    } else if (n >= -32) {
      Append(static_cast<unsigned char>(bits));  // negative fixint
    } else if (n >= INT8_MIN) {
      AppendTagged(0xd0, bits, 1);
    } else if (n >= INT16_MIN) {
      AppendTagged(0xd1, bits, 2);
    } else if (n >= INT32_MIN) {
      AppendTagged(0xd2, bits, 4);
    } else {
      AppendTagged(0xd3, bits, 8);
    }
  }

  void AppendFloatingPoint(double d) {
    if (IsExactFloat(d)) {
      uint32_t bits = 0;
      const float f = static_cast<float>(d);
      std::memcpy(&bits, &f, sizeof bits);
      AppendTagged(0xca, bits, 4);
    } else {
      uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      AppendTagged(0xcb, bits, 8);
    }
  }

  void AppendString(const char* s, size_t len) {
    if (len < 32) {
      Append(static_cast<unsigned char>(0xa0 | len));
    } else if (len <= 0xff) {
      AppendTagged(0xd9, len, 1);
    } else if (len <= 0xffff) {
      AppendTagged(0xda, len, 2);
    } else {
      AppendTagged(0xdb, len, 4);
    }
    out_.append(s, len);
  }

  // fixarray/fixmap carry up to 15 entries in the type byte; then 16- and 32-bit counts.
  void AppendContainerHeader(unsigned char fix_tag, unsigned char tag16, uint64_t count) {
    if (count <= 15) {
      Append(static_cast<unsigned char>(fix_tag | count));
    } else if (count <= 0xffff) {
      AppendTagged(tag16, count, 2);
    } else {
      AppendTagged(tag16 + 1, count, 4);
    }
  }

  // Whether the table on top has exactly the keys 1..n (n >= 0), Redis's rule for an array:
  // every key a positive number with an integral value in int range, the largest equal to the
  // count of keys.
  bool IsArray(bool* is_array) {
    if (!Reserve(2, kWhereArrayCheck)) return false;
    const int top = lua_gettop(L_);
    int count = 0;
    double max = 0;
    *is_array = true;
    lua_pushnil(L_);
    while (lua_next(L_, -2) != 0) {
      lua_pop(L_, 1);
      const double key = lua_type(L_, -1) == LUA_TNUMBER ? lua_tonumber(L_, -1) : 0;
      if (!(key > 0 && key <= INT_MAX && std::trunc(key) == key)) {
        *is_array = false;
        break;
      }
      if (key > max) max = key;
      count++;
    }
    lua_settop(L_, top);
    if (*is_array) *is_array = max == count;
    return true;
  }

  bool EncodeTable(int level) {
    bool is_array = false;
    if (!IsArray(&is_array)) return false;
    if (is_array) {
      const size_t len = lua_objlen(L_, -1);
      AppendContainerHeader(0x90, 0xdc, len);
      if (!Reserve(1, kWhereEncodeArray)) return false;
      for (size_t i = 1; i <= len; i++) {
        lua_rawgeti(L_, -1, static_cast<int>(i));  // every key 1..len is present, so raw is exact
        if (!EncodeTop(level + 1)) return false;
      }
      return true;
    }
    if (!Reserve(3, kWhereEncodeMap)) return false;
    uint64_t count = 0;
    lua_pushnil(L_);
    while (lua_next(L_, -2) != 0) {
      lua_pop(L_, 1);
      count++;
    }
    AppendContainerHeader(0x80, 0xde, count);
    lua_pushnil(L_);
    while (lua_next(L_, -2) != 0) {
      lua_pushvalue(L_, -2);  // the key's copy is consumed; the key itself stays for lua_next
      if (!EncodeTop(level + 1) || !EncodeTop(level + 1)) return false;
    }
    return true;
  }

  lua_State* L_;
  std::string out_;
  const char* stack_failure_ = nullptr;
};

// Pushes each argument's encoding as a string of its own (Redis's stack use: one string per
// argument above the arguments, joined afterwards). Returns where the stack ran out, or nullptr.
const char* PushEncodedArguments(lua_State* L, int nargs) {
  Encoder encoder(L);
  for (int i = 1; i <= nargs; i++) {
    if (!encoder.Reserve(1, kWhereArgument)) return encoder.stack_failure();
    lua_pushvalue(L, i);
    if (!encoder.EncodeTop(0)) return encoder.stack_failure();
    lua_pushlstring(L, encoder.bytes().data(), encoder.bytes().size());
    encoder.bytes().clear();
  }
  return nullptr;
}

int Pack(lua_State* L) {
  const int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs)) {
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  }
  // The encoder (and its buffer) is gone by the time an error is raised here.
  if (const char* where = PushEncodedArguments(L, nargs)) {
    return luaL_error(L, "stack overflow (%s)", where);
  }
  lua_concat(L, nargs);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Decoding

enum class DecodeError { kNone, kMissingBytes, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError error;

  // False (and the cursor marked) when fewer than n bytes remain.
  bool Need(size_t n) {
    if (left >= n) return true;
    error = DecodeError::kMissingBytes;
    return false;
  }
  void Consume(size_t n) {
    p += n;
    left -= n;
  }
  // The `width` bytes after the type byte, most significant first.
  uint64_t BigEndianAfterTag(int width) const {
    uint64_t value = 0;
    for (int i = 1; i <= width; i++) value = (value << 8) | p[i];
    return value;
  }
};

void DecodeValue(lua_State* L, Cursor& c);

void DecodeArray(lua_State* L, Cursor& c, uint64_t len) {
  lua_newtable(L);
  luaL_checkstack(L, 1, kWhereDecodeArray);
  for (int64_t index = 1; len > 0; len--, index++) {
    lua_pushnumber(L, static_cast<lua_Number>(index));
    DecodeValue(L, c);
    if (c.error != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

void DecodeMap(lua_State* L, Cursor& c, uint64_t len) {
  lua_newtable(L);
  for (; len > 0; len--) {
    DecodeValue(L, c);  // key
    if (c.error != DecodeError::kNone) return;
    DecodeValue(L, c);  // value
    if (c.error != DecodeError::kNone) return;
    lua_settable(L, -3);  // raises "table index is nil" / "is NaN", as Redis's does
  }
}

// An integer of `width` bytes after the type byte, as Lua 5.1 sees it: unsigned 64-bit values
// past int64 wrap to negative (Redis pushes them through lua_Integer), signed 64-bit ones go
// through a double.
void DecodeInteger(lua_State* L, Cursor& c, int width, bool is_signed) {
  if (!c.Need(1 + width)) return;
  const uint64_t raw = c.BigEndianAfterTag(width);
  if (!is_signed) {
    lua_pushinteger(L, static_cast<lua_Integer>(raw));
  } else {
    const int bits = 8 * width;
    const uint64_t sign = uint64_t{1} << (bits - 1);
    // Sign-extends from `bits` wide: (raw ^ sign) - sign, computed in unsigned then converted.
    const int64_t value = static_cast<int64_t>((raw ^ sign) - sign);
    lua_pushnumber(L, static_cast<lua_Number>(value));
  }
  c.Consume(1 + width);
}

void DecodeFloatingPoint(lua_State* L, Cursor& c, bool is_double) {
  if (!is_double) {
    if (!c.Need(5)) return;
    const uint32_t bits = static_cast<uint32_t>(c.BigEndianAfterTag(4));
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    lua_pushnumber(L, f);
    c.Consume(5);
  } else {
    if (!c.Need(9)) return;
    const uint64_t bits = c.BigEndianAfterTag(8);
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    lua_pushnumber(L, d);
    c.Consume(9);
  }
}

// A string whose length is held in `length_width` bytes after the type byte (0: in the type
// byte's low 5 bits).
void DecodeString(lua_State* L, Cursor& c, int length_width) {
  const size_t header = 1 + length_width;
  if (!c.Need(header)) return;
  const size_t len = length_width == 0 ? (c.p[0] & 0x1f) : c.BigEndianAfterTag(length_width);
  if (!c.Need(header + len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c.p + header), len);
  c.Consume(header + len);
}

// An array or map whose count is held in `count_width` bytes after the type byte (0: in the
// type byte's low 4 bits).
void DecodeContainer(lua_State* L, Cursor& c, int count_width, bool is_map) {
  const size_t header = 1 + count_width;
  if (!c.Need(header)) return;
  const uint64_t count = count_width == 0 ? (c.p[0] & 0x0f) : c.BigEndianAfterTag(count_width);
  c.Consume(header);
  if (is_map) {
    DecodeMap(L, c, count);
  } else {
    DecodeArray(L, c, count);
  }
}

// Pushes the value at the cursor, or marks the cursor with why it cannot.
void DecodeValue(lua_State* L, Cursor& c) {
  if (!c.Need(1)) return;
  // One more slot per value: the stack grows as long as values keep coming, up to Lua's limit.
  luaL_checkstack(L, 1, kWhereDecodeValue);
  const unsigned char tag = c.p[0];
  switch (tag) {
    case 0xc0:
      lua_pushnil(L);
      c.Consume(1);
      return;
    case 0xc2:
    case 0xc3:
      lua_pushboolean(L, tag == 0xc3);
      c.Consume(1);
      return;
    case 0xca:
    case 0xcb:
      return DecodeFloatingPoint(L, c, tag == 0xcb);
    case 0xcc:
      return DecodeInteger(L, c, 1, false);
    case 0xcd:
      return DecodeInteger(L, c, 2, false);
    case 0xce:
      return DecodeInteger(L, c, 4, false);
    case 0xcf:
      return DecodeInteger(L, c, 8, false);
    case 0xd0:
      return DecodeInteger(L, c, 1, true);
    case 0xd1:
      return DecodeInteger(L, c, 2, true);
    case 0xd2:
      return DecodeInteger(L, c, 4, true);
    case 0xd3:
      return DecodeInteger(L, c, 8, true);
    case 0xd9:
      return DecodeString(L, c, 1);
    case 0xda:
      return DecodeString(L, c, 2);
    case 0xdb:
      return DecodeString(L, c, 4);
    case 0xdc:
      return DecodeContainer(L, c, 2, false);
    case 0xdd:
      return DecodeContainer(L, c, 4, false);
    case 0xde:
      return DecodeContainer(L, c, 2, true);
    case 0xdf:
      return DecodeContainer(L, c, 4, true);
    default:
      break;
  }
  if ((tag & 0x80) == 0) {  // positive fixint
    lua_pushinteger(L, tag);
    c.Consume(1);
  } else if ((tag & 0xe0) == 0xe0) {  // negative fixint
    lua_pushinteger(L, static_cast<int8_t>(tag));
    c.Consume(1);
  } else if ((tag & 0xe0) == 0xa0) {
    DecodeString(L, c, 0);
  } else if ((tag & 0xf0) == 0x90) {
    DecodeContainer(L, c, 0, false);
  } else if ((tag & 0xf0) == 0x80) {
    DecodeContainer(L, c, 0, true);
  } else {  // 0xc1, bin, ext, fixext: not produced by pack, refused
    c.error = DecodeError::kBadFormat;
  }
}

// Decodes up to `limit` values from byte `offset` of argument 1. unpack (limit and offset both
// 0) returns the values alone; unpack_one and unpack_limit return first the offset to resume at
// (-1 when the input is used up), then the values.
int UnpackValues(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool decode_all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    // Redis prints the input's length where the limit is announced; scripts see that text.
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  if (decode_all) limit = INT_MAX;

  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset),
           DecodeError::kNone};
  int count = 0;
  for (; c.left > 0 && count < limit; count++) {
    DecodeValue(L, c);
    if (c.error == DecodeError::kMissingBytes) return luaL_error(L, "Missing bytes in input.");
    if (c.error == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (decode_all) return count;

  luaL_checkstack(L, 1, kWhereUnpackOffset);
  lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
  lua_insert(L, 2);  // just above the input string, before the values
  return count + 1;
}

int Unpack(lua_State* L) { return UnpackValues(L, 0, 0); }

int UnpackOne(lua_State* L) {
  const lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_settop(L, lua_gettop(L) < 1 ? 0 : 1);  // only the input stays below the results
  return UnpackValues(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  const lua_Integer limit = luaL_checkinteger(L, 2);
  const lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_settop(L, lua_gettop(L) < 1 ? 0 : 1);
  return UnpackValues(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  static constexpr luaL_Reg kFunctions[] = {
      {"pack", Pack},
      {"unpack", Unpack},
      {"unpack_one", UnpackOne},
      {"unpack_limit", UnpackLimit},
  };
  lua_newtable(L);
  for (const luaL_Reg& f : kFunctions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  // The metadata fields Redis's copy carries, readable by scripts.
  static constexpr const char* kMetadata[][2] = {
      {"_NAME", "cmsgpack"},
      {"_VERSION", "lua-cmsgpack 0.4.0"},
      {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
      {"_DESCRIPTION", "MessagePack C implementation for Lua"},
  };
  for (const auto& [field, value] : kMetadata) {
    lua_pushstring(L, value);
    lua_setfield(L, -2, field);
  }
  lua_pushvalue(L, -1);
  lua_setglobal(L, "cmsgpack");
  return 1;
}

}  // namespace pylon::scripting
