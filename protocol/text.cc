#include "protocol/text.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

namespace pylon::protocol {

bool ParseInt64(std::string_view s, int64_t* out) {
  // Same rules as Redis's string2ll, so that every number a client sends is accepted or refused
  // exactly where Redis accepts or refuses it. 21 (LONG_STR_SIZE) bytes or more never parse.
  const size_t n = s.size();
  if (n == 0 || n >= 21) return false;
  if (n == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == n) return false;
  }
  // The first digit must be 1-9: no leading zeros, and "-0" is refused like in Redis.
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = static_cast<uint64_t>(s[i++] - '0');
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > kMax / 10) return false;
    v *= 10;
    if (v > kMax - digit) return false;
    v += digit;
  }
  if (negative) {
    constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;  // |INT64_MIN|
    if (v > kMinMagnitude) return false;
    *out = v == kMinMagnitude ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
  } else {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  // strtod needs a terminated string; arguments are views into the request, so copy (on the
  // stack for anything a sane client sends). An embedded NUL stops strtod early and then fails
  // the "whole string consumed" test, as in Redis.
  if (s.empty()) return false;
  const unsigned char first = static_cast<unsigned char>(s[0]);
  if (first == ' ' || (first >= '\t' && first <= '\r')) return false;  // isspace, C locale
  char small[128];
  std::string large;
  const char* str;
  if (s.size() < sizeof(small)) {
    std::memcpy(small, s.data(), s.size());
    small[s.size()] = '\0';
    str = small;
  } else {
    large.assign(s);
    str = large.c_str();
  }
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(str, &end);
  if (static_cast<size_t>(end - str) != s.size()) return false;
  // Overflow to +-inf and underflow to zero are errors; a denormal result is accepted (Redis).
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO)) {
    return false;
  }
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

namespace {

constexpr char kDigitPairs[] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

int CountDigits(uint64_t v) {
  int n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

}  // namespace

size_t FormatInt64(int64_t v, char* buf) {
  // Two digits per division from the right, into a length computed up front: no reversal and
  // no snprintf on the reply hot path.
  size_t len = 0;
  uint64_t u;
  if (v < 0) {
    buf[len++] = '-';
    u = uint64_t{0} - static_cast<uint64_t>(v);  // well defined for INT64_MIN too
  } else {
    u = static_cast<uint64_t>(v);
  }
  const int digits = CountDigits(u);
  char* p = buf + len + digits;
  while (u >= 100) {
    const size_t i = static_cast<size_t>(u % 100) * 2;
    u /= 100;
    *--p = kDigitPairs[i + 1];
    *--p = kDigitPairs[i];
  }
  if (u >= 10) {
    const size_t i = static_cast<size_t>(u) * 2;
    *--p = kDigitPairs[i + 1];
    *--p = kDigitPairs[i];
  } else {
    *--p = static_cast<char>('0' + u);
  }
  return len + static_cast<size_t>(digits);
}

namespace {

int AsciiLower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

// A port of the semantics of Redis's stringmatchlen_impl (util.c). Bytes are compared as
// signed chars because Redis compares plain chars in ranges ([a-z] with bytes >= 0x80). Reads
// past the end of the pattern yield '\0', as the NUL terminator does in Redis.
class Glob {
 public:
  Glob(std::string_view pattern, std::string_view str, bool nocase)
      : pat_(pattern), str_(str), nocase_(nocase) {}

  bool Match() { return Impl(0, 0, 0); }

 private:
  int P(size_t i) const { return i < pat_.size() ? static_cast<signed char>(pat_[i]) : 0; }
  int S(size_t i) const { return static_cast<signed char>(str_[i]); }

  bool Impl(size_t p, size_t s, int nesting) {
    // Bounded recursion: a pattern with thousands of '*' cannot exhaust the stack.
    if (nesting > 1000) return false;
    const size_t plen = pat_.size();
    const size_t slen = str_.size();
    while (p < plen && s < slen) {
      switch (P(p)) {
        case '*':
          while (p + 1 < plen && P(p + 1) == '*') ++p;
          if (p + 1 == plen) return true;
          for (; s < slen; ++s) {
            if (Impl(p + 1, s, nesting + 1)) return true;
            // The rest of the pattern matched nowhere in the rest of the string: a longer match
            // for an earlier '*' cannot help, so give up (keeps "*a*a*a*b" polynomial).
            if (skip_longer_) return false;
          }
          skip_longer_ = true;
          return false;
        case '?':
          ++s;
          break;
        case '[': {
          ++p;
          const bool negate = P(p) == '^';
          if (negate) ++p;
          bool match = false;
          for (;;) {
            if (P(p) == '\\' && plen - p >= 2) {
              ++p;
              if (P(p) == S(s)) match = true;
            } else if (P(p) == ']') {
              break;
            } else if (p >= plen) {
              --p;  // unterminated class: stay on the last char, the loop's ++p ends it
              break;
            } else if (plen - p >= 3 && P(p + 1) == '-') {
              int start = P(p);
              int end = P(p + 2);
              int c = S(s);
              if (start > end) std::swap(start, end);
              if (nocase_) {
                start = AsciiLower(start);
                end = AsciiLower(end);
                c = AsciiLower(c);
              }
              p += 2;
              if (c >= start && c <= end) match = true;
            } else if (nocase_ ? AsciiLower(P(p)) == AsciiLower(S(s)) : P(p) == S(s)) {
              match = true;
            }
            ++p;
          }
          if (negate) match = !match;
          if (!match) return false;
          ++s;
          break;
        }
        case '\\':
          if (plen - p >= 2) ++p;
          [[fallthrough]];
        default:
          if (nocase_ ? AsciiLower(P(p)) != AsciiLower(S(s)) : P(p) != S(s)) return false;
          ++s;
          break;
      }
      ++p;
      if (s == slen) {
        while (p < plen && P(p) == '*') ++p;
        break;
      }
    }
    return p >= plen && s == slen;
  }

  std::string_view pat_;
  std::string_view str_;
  bool nocase_;
  bool skip_longer_ = false;
};

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  return Glob(pattern, str, nocase).Match();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(static_cast<unsigned char>(a[i])) !=
        AsciiLower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(AsciiLower(static_cast<unsigned char>(c)));
  return out;
}

// Redis's string2ld: strtold must read the whole text (an embedded NUL fails it), no leading
// space, no NaN, no overflow to infinity or underflow to zero. Infinity spelled out ("inf") is
// accepted.
bool ParseLongDouble(std::string_view s, long double* out) {
  char buf[kLongDoubleChars];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  const long double v = std::strtold(buf, &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || end != buf + s.size() || std::isnan(v) ||
      errno == EINVAL || (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0.0L))) {
    return false;
  }
  *out = v;
  return true;
}

// Redis's ld2string in human mode: 17 decimals, trailing zeros (and a bare point) removed.
size_t FormatLongDouble(long double v, char* buf, size_t size) {
  int n = std::snprintf(buf, size, "%.17Lf", v);
  if (n < 0 || static_cast<size_t>(n) >= size) return 0;
  size_t len = static_cast<size_t>(n);
  if (std::memchr(buf, '.', len)) {
    while (buf[len - 1] == '0') len--;
    if (buf[len - 1] == '.') len--;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    len = 1;
  }
  return len;
}

}  // namespace pylon::protocol
