// The one reader of a command's arguments, in the manner of Dragonfly's CmdArgParser: typed
// reads from a cursor, each of which latches the first error in Redis's words and then reads
// as a no-op, so a handler reads its grammar straight through and checks once at the end:
//
//   ArgReader r(ctx.args, 2);                       // after the command name and the key
//   while (r.HasNext()) {
//     if (r.Token("LIMIT")) {
//       limit = r.Int(1, kMaxLimit, "ERR LIMIT must be positive");
//     } else if (r.Token("ALGO")) {
//       algo = r.Choice(kAlgorithmNames, "ERR unknown ALGO");
//     } else {
//       r.Fail(kErrSyntax);                         // an unknown option
//     }
//   }
//   if (!r.Done(ctx)) return;                       // replies the first error, if any
//
// A read past the end is a syntax error (an option without its value); Done also refuses
// arguments left over. Nothing is allocated unless an error needs its own text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "daemon/command_helpers.h"
#include "daemon/command_table.h"

namespace pylon::daemon {

class ArgReader {
 public:
  explicit ArgReader(Args args, size_t first = 1) : args_(args), pos_(first) {}

  // More to read, and no error so far.
  bool HasNext() const { return ok() && pos_ < args_.size(); }
  size_t position() const { return pos_; }
  size_t remaining() const { return pos_ < args_.size() ? args_.size() - pos_ : 0; }
  // The next argument without reading it (empty at the end).
  std::string_view Peek() const { return pos_ < args_.size() ? args_[pos_] : std::string_view(); }

  // Reads the next argument when it is `word` (case-insensitive); false, reading nothing,
  // otherwise or after an error.
  bool Token(std::string_view word);
  // For grammars whose every option takes a value ("[TTL ms] [LEASE ms]"): reads the next
  // argument when it is `word`; when no value follows it, latches a syntax error instead and
  // returns false, so the loop needs no count check of its own.
  bool Option(std::string_view word);
  // The next argument as it is.
  std::string_view Next();
  // A Redis integer (a 64-bit decimal): kErrNotInteger if it is not one.
  int64_t Int();
  // An integer in [min, max]; `out_of_range` when it is outside, `not_integer` when it does not
  // parse (Redis's kErrNotInteger unless a family words it otherwise).
  int64_t Int(int64_t min, int64_t max, std::string_view out_of_range,
              std::string_view not_integer = kErrNotInteger);
  // An integer in [min, max], else "ERR <name> must be from <min> to <max>" (the text formatted
  // only when needed).
  int64_t Bounded(std::string_view name, int64_t min, int64_t max);
  // A duration option in ms from min to kMaxDurationMs (command_helpers.h), with the shared
  // "ERR <name> must be from <min> to 4398046511104 ms".
  int64_t Duration(std::string_view name, int64_t min);
  // A double as Redis reads one (inf accepted, NaN refused): `not_a_number` otherwise.
  double Double(std::string_view not_a_number = kErrNotFloat);
  // The index in `words` of the next argument (case-insensitive); `error` when none matches.
  size_t Choice(std::initializer_list<std::string_view> words, std::string_view error);
  // For grammars of flags (SET's NX/XX/GET, EXPIRE's NX/XX/GT/LT): reads the next argument when
  // it is one of `words` (case-insensitive, at most 32) and returns its bit, 1 << its index, so
  // the flags read gather into a set and their conflicts are masks; 0, reading nothing, when it
  // is none of them or after an error, so the caller words the refusal.
  uint32_t Flag(std::initializer_list<std::string_view> words);

  // Latches `error` unless an error was latched already.
  void Fail(std::string_view error);
  bool ok() const { return error_.empty(); }
  std::string_view error() const { return error_; }

  // The grammar is read: true when it all was, without error; otherwise replies the first
  // error, or a syntax error for arguments left over, and returns false.
  bool Done(CommandContext& ctx);
  // For grammars that may stop before the end: replies the latched error, if any.
  bool CheckOrReply(CommandContext& ctx);

 private:
  Args args_;
  size_t pos_;
  std::string error_;
};

}  // namespace pylon::daemon
