#include "modules/zset/zset_command_support.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "daemon/config.h"

namespace pylon::zset {

using daemon::CommandContext;
using daemon::Lookup;

Limits LimitsOf(const CommandContext& ctx) {
  const daemon::Config& c = ctx.config();
  return {.max_listpack_entries = static_cast<size_t>(c.zset_max_listpack_entries),
          .max_listpack_value = static_cast<size_t>(c.zset_max_listpack_value)};
}

bool WriteTarget::Open(CommandContext& ctx, std::string_view key) {
  ref_ = ctx.keyspace().Locate(key, Lookup::kWrite);
  if (!daemon::CheckTypeOrReply(ctx, ref_.entry, kZsetType)) return false;
  if (ref_.entry) existing_ = static_cast<ZsetValue*>(ref_.entry->object());
  return true;
}

bool WriteTarget::Commit(CommandContext& ctx) {
  daemon::Keyspace& ks = ctx.keyspace();
  if (!existing_) {
    if (fresh_ && !fresh_->zset().empty()) {
      ks.SetObject(ref_, std::move(fresh_), daemon::Ttl::Clear());
    }
    return false;
  }
  if (existing_->zset().empty()) {
    ks.Delete(ref_);
    return true;
  }
  ks.Modified(ref_);
  return false;
}

const ZSet* FindForRead(CommandContext& ctx, std::string_view key, bool* ok) {
  const daemon::Entry* e = ctx.keyspace().Find(key, Lookup::kRead);
  *ok = daemon::CheckTypeOrReply(ctx, e, kZsetType);
  if (!*ok || !e) return nullptr;
  return &static_cast<const ZsetValue*>(e->object())->zset();
}

namespace {

// Redis's zslParseRange item: strtod over the whole text (leading spaces and "" included, as
// strtod takes them), NaN refused, "(" for exclusive.
bool ParseScoreBound(std::string_view arg, ScoreBound* out) {
  out->exclusive = !arg.empty() && arg[0] == '(';
  if (out->exclusive) arg.remove_prefix(1);
  const std::string text(arg);  // NUL-terminated for strtod
  char* end;
  out->value = std::strtod(text.c_str(), &end);
  return *end == '\0' && !std::isnan(out->value);
}

// Redis's zslParseLexRangeItem.
bool ParseLexBound(std::string_view arg, LexBound* out) {
  if (arg.empty()) return false;
  switch (arg[0]) {
    case '+':
    case '-':
      if (arg.size() != 1) return false;
      out->kind = arg[0] == '+' ? LexBound::Kind::kPlusInfinity : LexBound::Kind::kMinusInfinity;
      return true;
    case '(':
    case '[':
      out->kind = arg[0] == '(' ? LexBound::Kind::kExclusive : LexBound::Kind::kInclusive;
      out->text = arg.substr(1);
      return true;
    default:
      return false;
  }
}

}  // namespace

bool ParseScoreRangeOrReply(CommandContext& ctx, std::string_view min_arg, std::string_view max_arg,
                            ScoreBound* min, ScoreBound* max) {
  if (ParseScoreBound(min_arg, min) && ParseScoreBound(max_arg, max)) return true;
  ctx.reply.Error("ERR min or max is not a float");
  return false;
}

bool ParseLexRangeOrReply(CommandContext& ctx, std::string_view min_arg, std::string_view max_arg,
                          LexBound* min, LexBound* max) {
  if (ParseLexBound(min_arg, min) && ParseLexBound(max_arg, max)) return true;
  ctx.reply.Error("ERR min or max not valid string range item");
  return false;
}

}  // namespace pylon::zset
