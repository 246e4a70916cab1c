#include "protocol/request_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "protocol/text.h"

namespace pylon::protocol {

namespace {

constexpr size_t kNotFound = static_cast<size_t>(-1);
// Marks an inline argument that lives in the parser's scratch rather than in the request.
constexpr size_t kScratchBit = size_t{1} << (sizeof(size_t) * 8 - 1);

// isspace() in the C locale, which is what sdssplitargs skips between arguments.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// The tokenizer of Redis's sdssplitargs, over a view. Redis runs it on a C string, so the end of
// the view and any NUL byte both act as the terminator. A token without quotes is a plain range
// of `line` and is reported as such (zero-copy) unless copy_plain; a token with quotes or
// escapes is unescaped into *scratch. emit(in_scratch, offset, length) is called per token.
// Returns false on unbalanced quotes or a closing quote followed by something other than a space.
template <typename Emit>
bool SplitCore(std::string_view line, std::string* scratch, bool copy_plain, Emit emit) {
  const size_t n = line.size();
  auto at = [&](size_t i) -> char { return i < n ? line[i] : '\0'; };
  size_t i = 0;
  for (;;) {
    while (at(i) != '\0' && IsSpace(at(i))) ++i;
    if (at(i) == '\0') return true;

    const size_t token_start = i;
    size_t token_end = i;
    bool in_double = false;
    bool in_single = false;
    bool in_scratch = copy_plain;
    size_t scratch_start = scratch->size();
    auto to_scratch = [&] {
      // The token so far was plain; from here on it is built in the scratch.
      if (!in_scratch) {
        scratch_start = scratch->size();
        scratch->append(line.data() + token_start, i - token_start);
        in_scratch = true;
      }
    };
    bool done = false;
    while (!done) {
      const char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && IsHexDigit(at(i + 2)) && IsHexDigit(at(i + 3))) {
          scratch->push_back(static_cast<char>(HexValue(at(i + 2)) * 16 + HexValue(at(i + 3))));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          char e = at(i);
          switch (e) {
            case 'n':
              e = '\n';
              break;
            case 'r':
              e = '\r';
              break;
            case 't':
              e = '\t';
              break;
            case 'b':
              e = '\b';
              break;
            case 'a':
              e = '\a';
              break;
            default:
              break;
          }
          scratch->push_back(e);
        } else if (c == '"') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          scratch->push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          scratch->push_back('\'');
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          scratch->push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            token_end = i;
            done = true;
            break;
          case '"':
            to_scratch();
            in_double = true;
            break;
          case '\'':
            to_scratch();
            in_single = true;
            break;
          default:
            if (in_scratch) scratch->push_back(c);
            break;
        }
      }
      if (at(i) != '\0') ++i;
    }
    if (in_scratch) {
      emit(true, scratch_start, scratch->size() - scratch_start);
    } else {
      emit(false, token_start, token_end - token_start);
    }
  }
}

}  // namespace

bool SplitArgs(std::string_view line, std::string* storage, std::vector<std::string_view>* out) {
  storage->clear();
  out->clear();
  // Offsets first: storage may reallocate while tokens are appended.
  std::vector<std::pair<size_t, size_t>> spans;
  const bool ok = SplitCore(line, storage, /*copy_plain=*/true,
                            [&](bool, size_t off, size_t len) { spans.emplace_back(off, len); });
  if (!ok) return false;
  out->reserve(spans.size());
  for (const auto& [off, len] : spans) out->emplace_back(storage->data() + off, len);
  return true;
}

void RequestParser::Reset() {
  EndRequest();
  argv_.clear();
  consumed_ = 0;
  error_.clear();
}

void RequestParser::EndRequest() {
  in_multibulk_ = false;
  in_inline_ = false;
  args_expected_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  scan_pos_ = 0;
  line_blocked_ = false;
  arg_spans_.clear();  // keeps its capacity: no allocation per command in steady state
}

ParseStatus RequestParser::Fail(std::string_view message) {
  EndRequest();
  argv_.clear();
  consumed_ = 0;
  error_.assign(message);
  return ParseStatus::kError;
}

ParseStatus RequestParser::Parse(std::string_view buf, const ParseLimits& limits) {
  argv_.clear();
  consumed_ = 0;
  if ((in_multibulk_ || in_inline_) && (buf.size() < pos_ || buf.size() < scan_pos_)) {
    // The caller broke the contract (the buffer shrank under a partial request): start over
    // rather than index past the end.
    EndRequest();
  }
  if (!in_multibulk_ && !in_inline_) {
    if (buf.empty()) return ParseStatus::kNeedMore;
    // As Redis's processInputBuffer: the first byte decides the request type.
    if (buf[0] == '*') {
      in_multibulk_ = true;
    } else {
      in_inline_ = true;
    }
  }
  return in_multibulk_ ? ParseMultibulk(buf, limits) : ParseInline(buf);
}

// Finds the first `target` at or after `start`. Redis searches its query buffer with strchr, so
// a NUL byte before the target hides it; since those bytes stay in the buffer, the request then
// waits until it trips the size limit. We do the same (that is what clients observe), and we
// remember how far we searched so bytes arriving in small reads are examined only once.
size_t RequestParser::FindDelimiter(std::string_view buf, size_t start, char target) {
  if (line_blocked_) return kNotFound;
  const size_t from = std::max(start, scan_pos_);
  if (from >= buf.size()) return kNotFound;
  const char* base = buf.data();
  const void* hit = std::memchr(base + from, target, buf.size() - from);
  const size_t limit = hit ? static_cast<size_t>(static_cast<const char*>(hit) - base) : buf.size();
  if (std::memchr(base + from, '\0', limit - from) != nullptr) {
    line_blocked_ = true;
    return kNotFound;
  }
  scan_pos_ = limit;
  return hit ? limit : kNotFound;
}

ParseStatus RequestParser::ParseMultibulk(std::string_view buf, const ParseLimits& limits) {
  const size_t size = buf.size();
  if (args_expected_ == 0) {
    const size_t nl = FindDelimiter(buf, 0, '\r');
    if (nl == kNotFound) {
      if (size > kInlineMaxSize) return Fail("Protocol error: too big mbulk count string");
      return ParseStatus::kNeedMore;
    }
    // Redis wants one more byte after '\r' and skips it without looking at it.
    if (nl + 2 > size) return ParseStatus::kNeedMore;
    int64_t count = 0;
    if (!ParseInt64(buf.substr(1, nl - 1), &count) || count > INT_MAX) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (count > kUnauthMaxMultibulk && !limits.authenticated) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = nl + 2;
    if (count <= 0) {  // "*0", "*-1", "*-5": nothing to run (Redis resets the client)
      consumed_ = pos_;
      EndRequest();
      return ParseStatus::kEmpty;
    }
    args_expected_ = count;
    bulk_len_ = -1;
  }

  while (static_cast<int64_t>(arg_spans_.size()) < args_expected_) {
    if (bulk_len_ < 0) {
      const size_t nl = FindDelimiter(buf, pos_, '\r');
      if (nl == kNotFound) {
        if (size - pos_ > kInlineMaxSize) {
          return Fail("Protocol error: too big bulk count string");
        }
        return ParseStatus::kNeedMore;
      }
      if (nl + 2 > size) return ParseStatus::kNeedMore;
      const char got = buf[pos_];
      if (got != '$') {
        // Redis formats this with %c, then maps \r and \n to spaces; a NUL would end the text
        // (it cannot get here: the NUL would have hidden the line end).
        std::string message = "Protocol error: expected '$', got '";
        if (got == '\0') return Fail(message);
        message.push_back(got == '\r' || got == '\n' ? ' ' : got);
        message.push_back('\'');
        return Fail(message);
      }
      int64_t len = 0;
      if (!ParseInt64(buf.substr(pos_ + 1, nl - pos_ - 1), &len) || len < 0 ||
          len > limits.max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (len > kUnauthMaxBulk && !limits.authenticated) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      pos_ = nl + 2;
      bulk_len_ = len;
    }
    // The argument and two more bytes, which Redis skips without checking they are "\r\n".
    if (static_cast<uint64_t>(size - pos_) < static_cast<uint64_t>(bulk_len_) + 2) {
      return ParseStatus::kNeedMore;
    }
    arg_spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += static_cast<size_t>(bulk_len_) + 2;
    bulk_len_ = -1;
  }

  consumed_ = pos_;
  argv_.reserve(arg_spans_.size());
  for (const auto& [off, len] : arg_spans_) argv_.emplace_back(buf.data() + off, len);
  EndRequest();
  return ParseStatus::kCommand;
}

ParseStatus RequestParser::ParseInline(std::string_view buf) {
  const size_t nl = FindDelimiter(buf, 0, '\n');
  if (nl == kNotFound) {
    if (buf.size() > kInlineMaxSize) return Fail("Protocol error: too big inline request");
    return ParseStatus::kNeedMore;
  }
  const size_t line_len = nl > 0 && buf[nl - 1] == '\r' ? nl - 1 : nl;
  inline_scratch_.clear();
  arg_spans_.clear();
  const bool ok = SplitCore(buf.substr(0, line_len), &inline_scratch_, /*copy_plain=*/false,
                            [&](bool in_scratch, size_t off, size_t len) {
                              arg_spans_.emplace_back(in_scratch ? (off | kScratchBit) : off, len);
                            });
  if (!ok) return Fail("Protocol error: unbalanced quotes in request");
  consumed_ = nl + 1;
  argv_.reserve(arg_spans_.size());
  for (const auto& [off, len] : arg_spans_) {
    if (off & kScratchBit) {
      argv_.emplace_back(inline_scratch_.data() + (off & ~kScratchBit), len);
    } else {
      argv_.emplace_back(buf.data() + off, len);
    }
  }
  EndRequest();
  return argv_.empty() ? ParseStatus::kEmpty : ParseStatus::kCommand;
}

}  // namespace pylon::protocol
