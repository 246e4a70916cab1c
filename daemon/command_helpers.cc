#include "daemon/command_helpers.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "daemon/arg_reader.h"
#include "daemon/clock.h"
#include "daemon/server.h"
#include "protocol/text.h"

namespace pylon::daemon {

bool ParseIntOrReply(CommandContext& ctx, std::string_view arg, int64_t* out,
                     std::string_view error) {
  if (protocol::ParseInt64(arg, out)) return true;
  ctx.reply.Error(error);
  return false;
}

bool ParseRangeOrReply(CommandContext& ctx, std::string_view arg, int64_t min, int64_t max,
                       int64_t* out, std::string_view error) {
  int64_t v;
  if (!protocol::ParseInt64(arg, &v) || v < min || v > max) {
    ctx.reply.Error(error);
    return false;
  }
  *out = v;
  return true;
}

bool ParseDurationOrReply(CommandContext& ctx, std::string_view name, std::string_view arg,
                          int64_t min, int64_t* out) {
  int64_t v;
  if (!ParseIntOrReply(ctx, arg, &v)) return false;
  if (v < min || v > kMaxDurationMs) {
    ctx.reply.Error(fmt::format("ERR {} must be from {} to {} ms", name, min, kMaxDurationMs));
    return false;
  }
  *out = v;
  return true;
}

bool ParseBlockTimeoutOrReply(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  long double seconds;
  if (!protocol::ParseLongDouble(arg, &seconds)) {
    ctx.reply.Error("ERR timeout is not a float or out of range");
    return false;
  }
  const long double ms = std::ceil(seconds * 1000.0L);
  // Redis converts to a long long: a value past its range comes out negative on x86, so Redis
  // calls it negative too.
  if (ms < 0 || ms >= 9.2e18L) {
    ctx.reply.Error("ERR timeout is negative");
    return false;
  }
  if (ms == 0) {
    *deadline_ms = 0;
    return true;
  }
  const int64_t wait =
      ms > static_cast<long double>(kMaxDurationMs) ? kMaxDurationMs : static_cast<int64_t>(ms);
  *deadline_ms = ctx.clock().NowMs() + wait;
  return true;
}

bool ParseScanCursorOrReply(CommandContext& ctx, std::string_view arg, uint64_t* out) {
  const std::string text(arg);  // NUL-terminated for strtoull
  char* end;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (std::isspace(static_cast<unsigned char>(text[0])) || *end != '\0' || errno == ERANGE) {
    ctx.reply.Error("ERR invalid cursor");
    return false;
  }
  *out = v;
  return true;
}

bool CheckTypeOrReply(CommandContext& ctx, const Entry* entry, const ValueType& type) {
  if (!entry || &entry->type() == &type) return true;
  ctx.reply.Error(kErrWrongType);
  return false;
}

Value* FindObjectOrReply(CommandContext& ctx, const ValueType& type, Lookup how, KeyRef* ref,
                         bool* ok) {
  *ref = ctx.keyspace().Locate(ctx.args[1], how);
  *ok = CheckTypeOrReply(ctx, ref->entry, type);
  if (!*ok || !ref->entry) return nullptr;
  return ref->entry->object();
}

void ReplyInvalidExpireTime(CommandContext& ctx) {
  ctx.reply.Error("ERR invalid expire time in '" + ctx.cmd.fullname + "' command");
}

namespace {

std::string ContainerName(const CommandContext& ctx) {
  std::string container(ctx.cmd.parent ? ctx.cmd.parent->name : ctx.cmd.name);
  for (char& c : container) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return container;
}

}  // namespace

void ReplySubcommandSyntaxError(CommandContext& ctx) {
  std::string text = "ERR unknown subcommand or wrong number of arguments for '";
  text.append(ctx.args.size() > 1 ? ctx.args[1].substr(0, 128) : std::string_view());
  text += "'. Try " + ContainerName(ctx) + " HELP.";
  ctx.reply.Error(text);
}

void ReplyHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines) {
  const std::string container = ContainerName(ctx);
  ctx.reply.ArrayHeader(static_cast<int64_t>(lines.size()) + 3);
  ctx.reply.Simple(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) ctx.reply.Simple(line);
  ctx.reply.Simple("HELP");
  ctx.reply.Simple("    Prints this help.");
}

bool CollectionScanOptions::Matches(std::string_view element) const {
  // A lone "*" matches everything, the empty element included (the matcher alone would not).
  return pattern.empty() || pattern == "*" || protocol::GlobMatch(pattern, element);
}

bool ParseCollectionScanOrReply(CommandContext& ctx, CollectionScanOptions* out) {
  ArgReader r(ctx.args, 3);
  while (r.HasNext()) {
    if (r.Option("COUNT")) {
      out->count = r.Int(1, INT64_MAX, kErrSyntax);  // as Redis: COUNT below 1 is a syntax error
    } else if (r.Option("MATCH")) {
      out->pattern = r.Next();
    } else {
      r.Fail(kErrSyntax);
    }
  }
  return r.Done(ctx);
}

bool IsArg(std::string_view arg, std::string_view word) {
  return protocol::EqualsIgnoreCase(arg, word);
}

}  // namespace pylon::daemon
