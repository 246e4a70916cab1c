#include "modules/scripting/lua_convert.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/text.h"

extern "C" {
#include <lua.h>
}

namespace pylon::scripting {
namespace {

std::string WithoutNewlines(const char* s, size_t len) {
  std::string out(s, len);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// Reads RESP a frame at a time. The server wrote these bytes, so they are well formed; a short
// or odd input still ends in nil values, never a read past its end.
class ReplyReader {
 public:
  ReplyReader(lua_State* L, std::string_view bytes) : L_(L), in_(bytes) {}

  // Pushes the next value (push = false: skips it, for attributes).
  void Next(bool push) {
    if (push) lua_checkstack(L_, 5);
    if (pos_ >= in_.size()) {
      if (push) lua_pushnil(L_);
      return;
    }
    const char type = in_[pos_++];
    const std::string_view line = Line();
    switch (type) {
      case ':':
        if (push) lua_pushnumber(L_, static_cast<lua_Number>(ToInt(line)));
        return;
      case '+':
        if (push) PushField("ok", line);
        return;
      case '-':
        if (push) {
          std::string text = "-";
          text.append(line);
          PushErrorTable(L_, text);
          // Counted in errorstats where it arose; the script passing it on is not another.
          lua_pushstring(L_, kCountedField);
          lua_pushboolean(L_, 1);
          lua_settable(L_, -3);
        }
        return;
      case '$': {
        const int64_t n = ToInt(line);
        if (n < 0) {
          if (push) lua_pushboolean(L_, 0);
          return;
        }
        const std::string_view s = Bytes(static_cast<size_t>(n));
        if (push) lua_pushlstring(L_, s.data(), s.size());
        return;
      }
      case '*': {
        const int64_t n = ToInt(line);
        if (n < 0) {
          if (push) lua_pushboolean(L_, 0);
          return;
        }
        if (push) lua_newtable(L_);
        for (int64_t i = 0; i < n; i++) {
          Next(push);
          if (push) lua_rawseti(L_, -2, static_cast<int>(i + 1));
        }
        return;
      }
      case '%': {
        const int64_t n = ToInt(line);
        if (push) {
          lua_newtable(L_);
          lua_pushstring(L_, "map");
          lua_newtable(L_);
        }
        for (int64_t i = 0; i < n; i++) {
          Next(push);
          Next(push);
          if (push) lua_settable(L_, -3);
        }
        if (push) lua_settable(L_, -3);
        return;
      }
      case '~': {
        const int64_t n = ToInt(line);
        if (push) {
          lua_newtable(L_);
          lua_pushstring(L_, "set");
          lua_newtable(L_);
        }
        for (int64_t i = 0; i < n; i++) {
          Next(push);
          if (push) {
            lua_checkstack(L_, 1);
            lua_pushboolean(L_, 1);
            lua_settable(L_, -3);
          }
        }
        if (push) lua_settable(L_, -3);
        return;
      }
      case '_':
        if (push) lua_pushnil(L_);
        return;
      case '#':
        if (push) lua_pushboolean(L_, line == "t");
        return;
      case ',': {
        if (!push) return;
        lua_newtable(L_);
        lua_pushstring(L_, "double");
        lua_pushnumber(L_, ToDouble(line));
        lua_settable(L_, -3);
        return;
      }
      case '(':
        if (push) PushField("big_number", line);
        return;
      case '=': {
        const int64_t n = ToInt(line);
        const std::string_view s = Bytes(n > 0 ? static_cast<size_t>(n) : 0);
        if (!push) return;
        // "fmt:text": the format is the first three bytes.
        const std::string_view format = s.substr(0, 3);
        const std::string_view text = s.size() >= 4 ? s.substr(4) : std::string_view();
        lua_newtable(L_);
        lua_pushstring(L_, "verbatim_string");
        lua_newtable(L_);
        lua_pushstring(L_, "string");
        lua_pushlstring(L_, text.data(), text.size());
        lua_settable(L_, -3);
        lua_pushstring(L_, "format");
        lua_pushlstring(L_, format.data(), format.size());
        lua_settable(L_, -3);
        lua_settable(L_, -3);
        return;
      }
      case '|': {
        // Attributes are not shown to scripts: skip them, then read the reply they annotate.
        const int64_t n = ToInt(line);
        for (int64_t i = 0; i < 2 * n; i++) Next(false);
        Next(push);
        return;
      }
      case '>': {  // a push inside a reply does not happen; read it as an array
        const int64_t n = ToInt(line);
        if (push) lua_newtable(L_);
        for (int64_t i = 0; i < n; i++) {
          Next(push);
          if (push) lua_rawseti(L_, -2, static_cast<int>(i + 1));
        }
        return;
      }
      default:
        if (push) lua_pushnil(L_);
        pos_ = in_.size();
        return;
    }
  }

 private:
  std::string_view Line() {
    const size_t end = in_.find("\r\n", pos_);
    if (end == std::string_view::npos) {
      const std::string_view rest = in_.substr(pos_);
      pos_ = in_.size();
      return rest;
    }
    const std::string_view line = in_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return line;
  }
  std::string_view Bytes(size_t n) {
    const std::string_view s = in_.substr(pos_, n);
    pos_ = std::min(in_.size(), pos_ + n + 2);
    return s;
  }
  static int64_t ToInt(std::string_view s) {
    int64_t v = 0;
    return protocol::ParseInt64(s, &v) ? v : 0;
  }
  static double ToDouble(std::string_view s) {
    if (s == "inf") return HUGE_VAL;
    if (s == "-inf") return -HUGE_VAL;
    return std::strtod(std::string(s).c_str(), nullptr);
  }
  void PushField(const char* field, std::string_view value) {
    lua_newtable(L_);
    lua_pushstring(L_, field);
    lua_pushlstring(L_, value.data(), value.size());
    lua_settable(L_, -3);
  }

  lua_State* L_;
  std::string_view in_;
  size_t pos_ = 0;
};

// A Lua number as Redis casts it to long long: truncated toward zero; out of range (and NaN)
// gives LLONG_MIN, as the x86 conversion Redis relies on does.
int64_t TruncateNumber(lua_Number d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(d);
}

// t[field] (raw) pushed; returns its type.
int RawField(lua_State* L, const char* field) {
  lua_pushstring(L, field);
  lua_rawget(L, -2);
  return lua_type(L, -1);
}

void WriteTable(lua_State* L, protocol::ReplyWriter& reply, int script_resp) {
  if (RawField(L, "err") == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    WriteErrorOf(L, -2, std::string_view(s, len), reply);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, "ok") == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    reply.Simple(WithoutNewlines(s, len));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, "double") == LUA_TNUMBER) {
    reply.Double(lua_tonumber(L, -1));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, "big_number") == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    reply.BigNumber(WithoutNewlines(s, len));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, "verbatim_string") == LUA_TTABLE) {
    const bool has_format = RawField(L, "format") == LUA_TSTRING;
    if (has_format) {
      lua_pushstring(L, "string");
      lua_rawget(L, -3);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t flen = 0, slen = 0;
        const char* format = lua_tolstring(L, -2, &flen);
        const char* s = lua_tolstring(L, -1, &slen);
        reply.Verbatim(std::string_view(s, slen), std::string_view(format, flen));
        lua_pop(L, 3);
        return;
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (RawField(L, "map") == LUA_TTABLE) {
    const auto mark = reply.BeginDeferred();
    int64_t pairs = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      WriteReply(L, reply, script_resp);  // the key
      WriteReply(L, reply, script_resp);  // the value
      pairs++;
    }
    reply.EndDeferredMap(mark, pairs);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, "set") == LUA_TTABLE) {
    const auto mark = reply.BeginDeferred();
    int64_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);  // the value (true) is not part of the reply
      lua_pushvalue(L, -1);
      WriteReply(L, reply, script_resp);
      n++;
    }
    reply.EndDeferredSet(mark, n);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  const auto mark = reply.BeginDeferred();
  int64_t n = 0;
  for (int i = 1;; i++) {
    lua_rawgeti(L, -1, i);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    WriteReply(L, reply, script_resp);
    n++;
  }
  reply.EndDeferredArray(mark, n);
}

}  // namespace

void WriteErrorOf(lua_State* L, int table, std::string_view text, protocol::ReplyWriter& reply) {
  lua_getfield(L, table, kCountedField);
  const bool counted = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (counted) {
    reply.ErrorCountedBefore(text);
  } else {
    reply.Error(text);
  }
}

void PushErrorTable(lua_State* L, std::string_view text) {
  std::string_view code = "ERR";
  std::string_view message = text;
  if (!text.empty() && text[0] == '-') {
    const size_t space = text.find(' ');
    if (space == std::string_view::npos) {
      message = text.substr(1);
    } else {
      code = text.substr(1, space - 1);
      message = text.substr(space + 1);
    }
  }
  while (!message.empty() && (message.back() == '\r' || message.back() == '\n')) {
    message.remove_suffix(1);
  }
  while (!message.empty() && (message.front() == '\r' || message.front() == '\n')) {
    message.remove_prefix(1);
  }
  std::string full(code);
  full += ' ';
  full.append(message);
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, full.data(), full.size());
  lua_settable(L, -3);
}

void PushReply(lua_State* L, std::string_view reply) { ReplyReader(L, reply).Next(true); }

void WriteReply(lua_State* L, protocol::ReplyWriter& reply, int script_resp) {
  if (!lua_checkstack(L, 4)) {
    reply.Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      reply.Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          reply.Integer(1);
        } else {
          reply.Null();
        }
      } else {
        reply.Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER:
      reply.Integer(TruncateNumber(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      WriteTable(L, reply, script_resp);
      break;
    default:
      reply.Null();
  }
  lua_pop(L, 1);
}

}  // namespace pylon::scripting
