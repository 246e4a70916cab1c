#include "daemon/arg_reader.h"

#include <fmt/format.h>

#include <cassert>

#include "daemon/command_helpers.h"
#include "protocol/text.h"

namespace pylon::daemon {

bool ArgReader::Token(std::string_view word) {
  if (!HasNext() || !protocol::EqualsIgnoreCase(args_[pos_], word)) return false;
  pos_++;
  return true;
}

bool ArgReader::Option(std::string_view word) {
  if (!HasNext() || !protocol::EqualsIgnoreCase(args_[pos_], word)) return false;
  if (pos_ + 1 >= args_.size()) {
    Fail(kErrSyntax);
    return false;
  }
  pos_++;
  return true;
}

std::string_view ArgReader::Next() {
  if (!ok()) return {};
  if (pos_ >= args_.size()) {
    Fail(kErrSyntax);
    return {};
  }
  return args_[pos_++];
}

int64_t ArgReader::Int() {
  const std::string_view arg = Next();
  int64_t v = 0;
  if (ok() && !protocol::ParseInt64(arg, &v)) Fail(kErrNotInteger);
  return ok() ? v : 0;
}

int64_t ArgReader::Int(int64_t min, int64_t max, std::string_view out_of_range,
                       std::string_view not_integer) {
  const std::string_view arg = Next();
  int64_t v = 0;
  if (ok() && !protocol::ParseInt64(arg, &v)) Fail(not_integer);
  if (ok() && (v < min || v > max)) Fail(out_of_range);
  return ok() ? v : 0;
}

int64_t ArgReader::Bounded(std::string_view name, int64_t min, int64_t max) {
  const int64_t v = Int();
  if (ok() && (v < min || v > max))
    Fail(fmt::format("ERR {} must be from {} to {}", name, min, max));
  return ok() ? v : 0;
}

int64_t ArgReader::Duration(std::string_view name, int64_t min) {
  const int64_t v = Int();
  if (ok() && (v < min || v > kMaxDurationMs)) {
    Fail(fmt::format("ERR {} must be from {} to {} ms", name, min, kMaxDurationMs));
  }
  return ok() ? v : 0;
}

double ArgReader::Double(std::string_view not_a_number) {
  const std::string_view arg = Next();
  double v = 0;
  if (ok() && !protocol::ParseDouble(arg, &v)) Fail(not_a_number);
  return ok() ? v : 0;
}

size_t ArgReader::Choice(std::initializer_list<std::string_view> words, std::string_view error) {
  const std::string_view arg = Next();
  if (!ok()) return 0;
  size_t i = 0;
  for (std::string_view word : words) {
    if (protocol::EqualsIgnoreCase(arg, word)) return i;
    i++;
  }
  Fail(error);
  return 0;
}

uint32_t ArgReader::Flag(std::initializer_list<std::string_view> words) {
  assert(words.size() <= 32);
  if (!HasNext()) return 0;
  uint32_t bit = 1;
  for (std::string_view word : words) {
    if (protocol::EqualsIgnoreCase(args_[pos_], word)) {
      pos_++;
      return bit;
    }
    bit <<= 1;
  }
  return 0;
}

void ArgReader::Fail(std::string_view error) {
  if (ok()) error_ = error.empty() ? std::string(kErrSyntax) : std::string(error);
}

bool ArgReader::Done(CommandContext& ctx) {
  if (ok() && pos_ < args_.size()) Fail(kErrSyntax);
  return CheckOrReply(ctx);
}

bool ArgReader::CheckOrReply(CommandContext& ctx) {
  if (ok()) return true;
  ctx.reply.Error(error_);
  return false;
}

}  // namespace pylon::daemon
