// What the sorted set command files share: finding a set for reading or writing, Redis's
// range arguments (score, lex) and the ways a member and its score are replied.
#pragma once

#include <memory>
#include <string_view>

#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "modules/zset/zset_value.h"

namespace pylon::zset {

Limits LimitsOf(const daemon::CommandContext& ctx);

// The set a write command changes under `key`: the key's, or a new one that joins the keyspace
// only if it ends up with a member (Redis never stores an empty set). Commit tells the keyspace
// once the change is made (WATCH, the log and memory accounting see it), and deletes the key
// when its last member went.
class WriteTarget {
 public:
  // False after a WRONGTYPE reply.
  bool Open(daemon::CommandContext& ctx, std::string_view key);
  bool exists() const { return existing_ != nullptr; }
  // The value: read through zset(), changed through its methods (which log the change).
  // A new value is made on first use, so a command that finds nothing to change allocates none.
  ZsetValue& value() {
    if (existing_) return *existing_;
    if (!fresh_) fresh_ = std::make_unique<ZsetValue>();
    return *fresh_;
  }
  const ZSet& zset() { return value().zset(); }
  // Returns true when the key was deleted (its last member went).
  bool Commit(daemon::CommandContext& ctx);

 private:
  daemon::KeyRef ref_;
  ZsetValue* existing_ = nullptr;
  std::unique_ptr<ZsetValue> fresh_;
};

// The set under `key` for reading: nullptr when absent; nullptr and *ok false after WRONGTYPE.
const ZSet* FindForRead(daemon::CommandContext& ctx, std::string_view key, bool* ok);

// Redis's score range "min max" ("(1.5", "-inf", "+inf"): false after
// "ERR min or max is not a float".
bool ParseScoreRangeOrReply(daemon::CommandContext& ctx, std::string_view min_arg,
                            std::string_view max_arg, ScoreBound* min, ScoreBound* max);
// Redis's lex range ("[a", "(a", "-", "+"): false after
// "ERR min or max not valid string range item".
bool ParseLexRangeOrReply(daemon::CommandContext& ctx, std::string_view min_arg,
                          std::string_view max_arg, LexBound* min, LexBound* max);

// A member with its score in an array of them: RESP2 flat (member, score), RESP3 a pair.
inline void ReplyScoredMember(daemon::CommandContext& ctx, std::string_view member, double score,
                              bool with_scores) {
  if (with_scores && ctx.reply.resp() >= 3) ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(member);
  if (with_scores) ctx.reply.Double(score);
}
// The array header for n such members.
inline void ReplyScoredHeader(daemon::CommandContext& ctx, int64_t n, bool with_scores) {
  ctx.reply.ArrayHeader(with_scores && ctx.reply.resp() < 3 ? n * 2 : n);
}

}  // namespace pylon::zset
