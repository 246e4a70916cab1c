// Incremental, zero-copy parser for client requests: RESP multibulk ("*2\r\n$4\r\nECHO\r\n...")
// and inline commands ("PING\r\n", what telnet sends), with Redis's limits and error texts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::protocol {

struct ParseLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  bool authenticated = true;                   // false: Redis's tighter pre-auth limits apply
};

// Redis's fixed limits (server.h).
inline constexpr size_t kInlineMaxSize = 64 * 1024;  // PROTO_INLINE_MAX_SIZE
inline constexpr int64_t kUnauthMaxMultibulk = 10;   // args before AUTH
inline constexpr int64_t kUnauthMaxBulk = 16384;     // bytes per arg before AUTH

enum class ParseStatus {
  kCommand,   // argv() holds a complete command; consumed() bytes may be dropped
  kEmpty,     // a request with no arguments ("\r\n", "*0\r\n"): drop consumed(), no reply
  kNeedMore,  // the buffer ends inside a request; call again with the same start and more bytes
  kError,     // protocol error: reply "-ERR " + error() and close the connection
};

// Usage: the caller keeps the unconsumed bytes contiguous and calls Parse() with a view that
// starts at the first unconsumed byte. After kNeedMore it calls again with the same start (the
// bytes may have moved in memory, e.g. after the buffer grew) and more data appended; the parser
// resumes where it stopped instead of rescanning. After kCommand/kEmpty the caller drops
// consumed() bytes before the next call.
//
// argv() views point into the caller's buffer (or, for inline commands with quotes or escapes,
// into the parser's own scratch); they stay valid until the next Parse() or until the caller
// changes the buffer.
class RequestParser {
 public:
  ParseStatus Parse(std::string_view buf, const ParseLimits& limits);

  const std::vector<std::string_view>& argv() const { return argv_; }
  size_t consumed() const { return consumed_; }
  // Without the "ERR " prefix, e.g. "Protocol error: invalid bulk length".
  std::string_view error() const { return error_; }

  // Forgets any partial request (e.g. when the connection is reused in tests).
  void Reset();

 private:
  ParseStatus ParseMultibulk(std::string_view buf, const ParseLimits& limits);
  ParseStatus ParseInline(std::string_view buf);
  ParseStatus Fail(std::string_view message);
  size_t FindDelimiter(std::string_view buf, size_t start, char target);
  void EndRequest();

  // State of a request in progress, as offsets from the request's first byte.
  bool in_multibulk_ = false;
  bool in_inline_ = false;
  int64_t args_expected_ = 0;  // from the "*N" header; 0 while the header is incomplete
  int64_t bulk_len_ = -1;      // length of the argument being read, -1 before its "$N" header
  size_t pos_ = 0;             // next byte to examine
  size_t scan_pos_ = 0;        // bytes before this were searched for the line end, in vain
  bool line_blocked_ = false;  // a NUL hides the line end (Redis's strchr stops there)
  // (offset, length) of complete arguments; for inline requests an offset with kScratchBit set
  // is an offset into inline_scratch_.
  std::vector<std::pair<size_t, size_t>> arg_spans_;

  std::vector<std::string_view> argv_;
  size_t consumed_ = 0;
  std::string error_;
  std::string inline_scratch_;  // unescaped inline arguments
};

// Splits an inline request line the way Redis's sdssplitargs does: spaces separate arguments,
// "double quotes" understand \n \r \t \b \a \\ \" and \xHH, 'single quotes' only \'.
// Returns false on unbalanced quotes (or a closing quote not followed by a space). The pieces are
// written into *storage and *out receives views into it. Shared with the config file parser.
bool SplitArgs(std::string_view line, std::string* storage, std::vector<std::string_view>* out);

}  // namespace pylon::protocol
