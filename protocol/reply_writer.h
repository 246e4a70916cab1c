// Writes replies in RESP2 or RESP3 into a ReplyBuffer. Handlers call one API; the writer picks the
// wire form for the connection's protocol (map vs flat array, "_" vs "$-1", ...), as Redis's
// addReply* family does.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/reply_buffer.h"

namespace pylon::protocol {

class ReplyWriter {
 public:
  explicit ReplyWriter(ReplyBuffer* out, int resp = 2) : out_(out), resp_(resp) {}

  int resp() const { return resp_; }
  void set_resp(int resp) { resp_ = resp; }
  ReplyBuffer* buffer() const { return out_; }

  void Simple(std::string_view s);  // +s
  void Ok() { Simple("OK"); }
  // -text; text starts with the error code ("ERR ...", "WRONGTYPE ..."). Any \r or \n in text is
  // replaced by a space so a message can never break the framing. A leading '-' in text is
  // dropped (never "--ERR").
  void Error(std::string_view text);
  void Integer(int64_t v);        // :v
  void Bulk(std::string_view s);  // $len\r\ns\r\n
  void BulkInt(int64_t v);        // an integer as a bulk string
  void Null();                    // RESP2 $-1, RESP3 _
  void NullArray();               // RESP2 *-1, RESP3 _
  void Double(double d);  // %.17g: RESP2 bulk "3.1400000000000001", RESP3 ,3.14...; inf, -inf
  void Bool(bool b);      // RESP2 :1/:0, RESP3 #t/#f
  void BigNumber(std::string_view digits);  // RESP2 bulk, RESP3 (digits
  // RESP2 bulk; RESP3 "=len\r\nfmt:s" (format cut or space-padded to 3 bytes, len counts "fmt:").
  void Verbatim(std::string_view s, std::string_view format = "txt");
  void ArrayHeader(int64_t n);          // *n
  void MapHeader(int64_t pairs);        // RESP2 *2n, RESP3 %n
  void SetHeader(int64_t n);            // RESP2 *n, RESP3 ~n
  void PushHeader(int64_t n);           // RESP2 *n, RESP3 >n
  void AttributeHeader(int64_t pairs);  // RESP3 only |n (callers skip it under RESP2)

  // Headers whose count is known only after the elements are written: Begin* returns a mark,
  // End* inserts the header there. Resolve nested deferred headers innermost first.
  ReplyBuffer::Mark BeginDeferred() const { return out_->MarkEnd(); }
  void EndDeferredArray(ReplyBuffer::Mark m, int64_t n);
  void EndDeferredMap(ReplyBuffer::Mark m, int64_t pairs);
  void EndDeferredSet(ReplyBuffer::Mark m, int64_t n);

  // Errors written so far and the code of the last one ("ERR", "WRONGTYPE"), so the dispatcher
  // can count failed calls and INFO errorstats without every handler reporting its errors.
  uint64_t errors() const { return errors_; }
  // An error that INFO errorstats counted already, where it arose (a script's failed redis.call
  // passed on as the script's error): the call still fails, but the error is not counted twice.
  void ErrorCountedBefore(std::string_view text) {
    counted_before_++;
    Error(text);
  }
  uint64_t errors_counted_before() const { return counted_before_; }
  std::string_view last_error_code() const { return {last_code_, last_code_len_}; }

  // Bytes already encoded (e.g. a shared constant reply).
  void Raw(std::string_view bytes) { out_->Append(bytes); }

 private:
  void Header(char type, int64_t n);
  ReplyBuffer* out_;
  int resp_;
  uint64_t errors_ = 0;
  uint64_t counted_before_ = 0;
  char last_code_[32] = {};
  size_t last_code_len_ = 0;
};

// Formats a double the way Redis 7.0 does in replies (%.17g, "inf", "-inf", "nan"/"-nan" as
// printf spells them); NUL-terminates and returns the length (truncated to cap - 1). cap >= 32
// always suffices.
size_t FormatDouble(double d, char* buf, size_t cap);

}  // namespace pylon::protocol
