#include "protocol/reply_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "protocol/text.h"

namespace pylon::protocol {

namespace {

// Replies up to this size are encoded with one Reserve/Commit (a few memcpy's into the tail);
// bigger ones are appended in pieces so Reserve never has to exceed a chunk.
constexpr size_t kInlineReplyMax = 4096;
constexpr size_t kHeaderMax = 1 + 20 + 2;  // type byte, int64 digits and sign, "\r\n"

char* PutHeader(char* p, char type, int64_t n) {
  *p++ = type;
  p += FormatInt64(n, p);
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

char* PutBytes(char* p, std::string_view s) {
  // An empty view may have a null data(), which memcpy must not be given even for 0 bytes.
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* PutCrlf(char* p) {
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

}  // namespace

size_t FormatDouble(double d, char* buf, size_t cap) {
  // Redis 7.0 spells infinities itself (libc formats differ) and uses %.17g for the rest,
  // which round-trips every double.
  if (cap == 0) return 0;
  const char* fixed = nullptr;
  if (std::isinf(d)) fixed = d > 0 ? "inf" : "-inf";
  if (fixed != nullptr) {
    const size_t n = std::min(std::strlen(fixed), cap - 1);
    std::memcpy(buf, fixed, n);
    buf[n] = '\0';
    return n;
  }
  const int n = std::snprintf(buf, cap, "%.17g", d);
  if (n < 0) return 0;
  return std::min(static_cast<size_t>(n), cap - 1);
}

void ReplyWriter::Simple(std::string_view s) {
  if (s.size() <= kInlineReplyMax) {
    char* const start = out_->Reserve(s.size() + 3);
    char* p = start;
    *p++ = '+';
    p = PutCrlf(PutBytes(p, s));
    out_->Commit(static_cast<size_t>(p - start));
    return;
  }
  out_->Append('+');
  out_->Append(s);
  out_->Append("\r\n");
}

void ReplyWriter::Error(std::string_view text) {
  // Tolerate a caller that already put the '-' in, rather than sending "--ERR".
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  errors_++;
  last_code_len_ = std::min(text.find(' '), std::min(text.size(), sizeof(last_code_)));
  std::copy_n(text.data(), last_code_len_, last_code_);
  out_->Append('-');
  // Copied in pieces that always fit a Reserve, mapping the characters that would end the line.
  while (!text.empty()) {
    const size_t n = std::min(text.size(), kInlineReplyMax);
    char* p = out_->Reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const char c = text[i];
      p[i] = (c == '\r' || c == '\n') ? ' ' : c;
    }
    out_->Commit(n);
    text.remove_prefix(n);
  }
  out_->Append("\r\n");
}

void ReplyWriter::Header(char type, int64_t n) {
  char* const start = out_->Reserve(kHeaderMax);
  out_->Commit(static_cast<size_t>(PutHeader(start, type, n) - start));
}

void ReplyWriter::Integer(int64_t v) { Header(':', v); }

void ReplyWriter::Bulk(std::string_view s) {
  if (s.size() <= kInlineReplyMax) {
    char* const start = out_->Reserve(kHeaderMax + s.size() + 2);
    char* p = PutHeader(start, '$', static_cast<int64_t>(s.size()));
    p = PutCrlf(PutBytes(p, s));
    out_->Commit(static_cast<size_t>(p - start));
    return;
  }
  Header('$', static_cast<int64_t>(s.size()));
  out_->Append(s);
  out_->Append("\r\n");
}

void ReplyWriter::BulkInt(int64_t v) {
  char digits[24];
  const size_t n = FormatInt64(v, digits);
  Bulk(std::string_view(digits, n));
}

void ReplyWriter::Null() {
  if (resp_ >= 3) {
    out_->Append("_\r\n");
  } else {
    out_->Append("$-1\r\n");
  }
}

void ReplyWriter::NullArray() {
  if (resp_ >= 3) {
    out_->Append("_\r\n");
  } else {
    out_->Append("*-1\r\n");
  }
}

void ReplyWriter::Double(double d) {
  char digits[64];
  const size_t n = FormatDouble(d, digits, sizeof(digits));
  if (resp_ < 3) {
    Bulk(std::string_view(digits, n));
    return;
  }
  char* const start = out_->Reserve(n + 3);
  char* p = start;
  *p++ = ',';
  p = PutCrlf(PutBytes(p, std::string_view(digits, n)));
  out_->Commit(static_cast<size_t>(p - start));
}

void ReplyWriter::Bool(bool b) {
  if (resp_ >= 3) {
    out_->Append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_->Append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (resp_ < 3) {
    Bulk(digits);
    return;
  }
  out_->Append('(');
  out_->Append(digits);
  out_->Append("\r\n");
}

void ReplyWriter::Verbatim(std::string_view s, std::string_view format) {
  if (resp_ < 3) {
    Bulk(s);
    return;
  }
  // As Redis's addReplyVerbatim: the format is exactly three bytes (cut or padded with
  // spaces), and the length counts the "xxx:" prefix.
  char prefix[kHeaderMax + 4];
  char* p = PutHeader(prefix, '=', static_cast<int64_t>(s.size() + 4));
  for (size_t i = 0; i < 3; ++i) *p++ = i < format.size() ? format[i] : ' ';
  *p++ = ':';
  out_->Append(std::string_view(prefix, static_cast<size_t>(p - prefix)));
  out_->Append(s);
  out_->Append("\r\n");
}

void ReplyWriter::ArrayHeader(int64_t n) { Header('*', n); }

void ReplyWriter::MapHeader(int64_t pairs) {
  if (resp_ >= 3) {
    Header('%', pairs);
  } else {
    Header('*', pairs * 2);
  }
}

void ReplyWriter::SetHeader(int64_t n) { Header(resp_ >= 3 ? '~' : '*', n); }

void ReplyWriter::PushHeader(int64_t n) { Header(resp_ >= 3 ? '>' : '*', n); }

void ReplyWriter::AttributeHeader(int64_t pairs) { Header('|', pairs); }

namespace {

void InsertHeader(ReplyBuffer* out, ReplyBuffer::Mark m, char type, int64_t n) {
  char buf[kHeaderMax];
  const char* end = PutHeader(buf, type, n);
  out->InsertAt(m, std::string_view(buf, static_cast<size_t>(end - buf)));
}

}  // namespace

void ReplyWriter::EndDeferredArray(ReplyBuffer::Mark m, int64_t n) {
  InsertHeader(out_, m, '*', n);
}

void ReplyWriter::EndDeferredMap(ReplyBuffer::Mark m, int64_t pairs) {
  if (resp_ >= 3) {
    InsertHeader(out_, m, '%', pairs);
  } else {
    InsertHeader(out_, m, '*', pairs * 2);
  }
}

void ReplyWriter::EndDeferredSet(ReplyBuffer::Mark m, int64_t n) {
  InsertHeader(out_, m, resp_ >= 3 ? '~' : '*', n);
}

}  // namespace pylon::protocol
