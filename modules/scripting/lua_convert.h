// Redis's conversion rules between replies and Lua values, both ways.
#pragma once

#include <string_view>

#include "protocol/reply_writer.h"

struct lua_State;

namespace pylon::scripting {

// Pushes a Redis error as a script sees it: a table {err = "CODE message"}. A text that starts
// with '-' carries its code ("-WRONGTYPE ..."); any other gets ERR. Trailing CR/LF are dropped.
void PushErrorTable(lua_State* L, std::string_view text);

// The field an error table carries when the error came from a command (counted in INFO
// errorstats already), as Redis's ignore_error_stats_update.
inline constexpr const char* kCountedField = "ignore_error_stats_update";
// Writes `text` as the error of the error table at `table`, counted in errorstats unless the
// table says it was already.
void WriteErrorOf(lua_State* L, int table, std::string_view text, protocol::ReplyWriter& reply);

// Pushes one RESP2/RESP3 reply as Lua values: integers as numbers, bulk strings as strings, nulls
// as false (RESP2) or nil (RESP3's null), status as {ok=...}, errors as {err=...}, arrays as
// tables; RESP3 maps {map={...}}, sets {set={k=true}}, doubles {double=n}, big numbers
// {big_number="..."}, verbatim strings {verbatim_string={format=..., string=...}}, booleans
// as booleans; attributes are skipped. The bytes are a reply the server wrote, whole.
void PushReply(lua_State* L, std::string_view reply);

// Writes the value on top of the stack as the script's reply (and pops it): strings as bulk
// strings, numbers as integers (truncated), true as 1 or RESP3's true, false and nil as null,
// tables as {err=...}, {ok=...}, {double=...}, {big_number=...}, {verbatim_string=...},
// {map=...}, {set=...}, or an array up to the first nil. `script_resp` is the protocol the
// script chose with redis.setresp (booleans depend on it).
void WriteReply(lua_State* L, protocol::ReplyWriter& reply, int script_resp);

}  // namespace pylon::scripting
