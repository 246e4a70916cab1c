// Helpers every family's handlers use, in Redis's "...OrReply" idiom: on bad input they send the
// error themselves and return false, so a handler reads as a straight line.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "daemon/command_table.h"
#include "daemon/entry.h"
#include "daemon/keyspace.h"

namespace pylon::daemon {

inline constexpr std::string_view kErrSyntax = "ERR syntax error";
inline constexpr std::string_view kErrNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kErrNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kErrNoSuchKey = "ERR no such key";

// Parses a Redis integer argument; on failure replies `error` (kErrNotInteger by default).
bool ParseIntOrReply(CommandContext& ctx, std::string_view arg, int64_t* out,
                     std::string_view error = kErrNotInteger);
// Same, and the value must lie in [min, max].
bool ParseRangeOrReply(CommandContext& ctx, std::string_view arg, int64_t min, int64_t max,
                       int64_t* out, std::string_view error = kErrNotInteger);

// The longest duration an option takes (~139 years): times stay far from overflow.
inline constexpr int64_t kMaxDurationMs = int64_t{1} << 42;
// A duration option in ms, from min to kMaxDurationMs; otherwise replies
// "ERR <name> must be from <min> to 4398046511104 ms" (or Redis's integer error).
bool ParseDurationOrReply(CommandContext& ctx, std::string_view name, std::string_view arg,
                          int64_t min, int64_t* out);

// A blocking command's timeout as Redis reads it (getTimeoutFromObjectOrReply, in seconds): a
// long double, rounded up to whole ms; "ERR timeout is not a float or out of range",
// "ERR timeout is negative". *deadline_ms is 0 for 0 (wait forever), else now + timeout on the
// server's clock, capped at kMaxDurationMs from now.
bool ParseBlockTimeoutOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms);

// Replies WRONGTYPE and returns false when `entry` is present but holds another type.
bool CheckTypeOrReply(CommandContext& ctx, const Entry* entry, const ValueType& type);

// The object value of `type` under the key args[1], looked up `how` into *ref: nullptr when the
// key is absent; nullptr and *ok false after a WRONGTYPE reply. Families call it through their
// value class: FindOrReply<QueueValue>(ctx, kQueueType, ...).
Value* FindObjectOrReply(CommandContext& ctx, const ValueType& type, Lookup how, KeyRef* ref,
                         bool* ok);
template <typename V>
V* FindOrReply(CommandContext& ctx, const ValueType& type, Lookup how, KeyRef* ref, bool* ok) {
  return static_cast<V*>(FindObjectOrReply(ctx, type, how, ref, ok));
}

// "ERR invalid expire time in '<command>' command", as Redis words it.
void ReplyInvalidExpireTime(CommandContext& ctx);

// The reply to "<CONTAINER> HELP": Redis's header line, the given lines, then HELP itself.
void ReplyHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines);

// A subcommand called with arguments its grammar does not take (Redis's
// addReplySubcommandSyntaxError): "ERR unknown subcommand or wrong number of arguments for
// '<subcommand as sent>'. Try <CONTAINER> HELP."
void ReplySubcommandSyntaxError(CommandContext& ctx);

// SCAN's and HSCAN/SSCAN/ZSCAN's cursor, read as Redis does with strtoul: "-1" wraps around, ""
// is 0, anything after the digits (or a leading space, or overflow) is "ERR invalid cursor".
bool ParseScanCursorOrReply(CommandContext& ctx, std::string_view arg, uint64_t* out);

// The options of HSCAN, SSCAN and ZSCAN after their cursor (args[3] on): MATCH and COUNT, as
// Redis's scanGenericCommand reads them (COUNT below 1, TYPE or anything else: syntax error).
struct CollectionScanOptions {
  int64_t count = 10;
  std::string_view pattern;  // empty: every element
  bool Matches(std::string_view element) const;
};
bool ParseCollectionScanOrReply(CommandContext& ctx, CollectionScanOptions* out);

// True when the argument equals `word`, ignoring case (option names: NX, WITHSCORES, ...).
bool IsArg(std::string_view arg, std::string_view word);

}  // namespace pylon::daemon
