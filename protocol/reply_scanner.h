// Finds where RESP2/RESP3 replies end without decoding them: the benchmark drivers delimit the
// replies they read with it, and the server's links to other cluster nodes relay a peer's reply
// to a client byte for byte. A reply split across reads is scanned again from its start once
// more bytes came. Header-only, standard C++ only.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace pylon::protocol {

// One whole reply at data[*p..size): 1 (and *p moves past it), 0 when incomplete, -1 when
// malformed. Keeps the text of the first error reply in *error.
inline int ScanOne(const char* data, size_t size, size_t* p, std::string* error) {
  if (*p >= size) return 0;
  const char type = data[*p];
  const char* line = data + *p + 1;
  const char* end = static_cast<const char*>(std::memchr(line, '\r', size - *p - 1));
  if (!end || end + 1 >= data + size) return 0;
  if (end[1] != '\n') return -1;
  const std::string_view text(line, static_cast<size_t>(end - line));
  size_t next = static_cast<size_t>(end + 2 - data);
  int64_t n = 0;
  switch (type) {
    case '+':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      break;
    case '-':
      if (error->empty()) error->assign(text);
      break;
    case '$':
    case '=':
    case '!':
    case '%':
    case '*':
    case '~':
    case '>':
    case '|': {
      const auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || stop != text.data() + text.size()) return -1;
      if (type == '$' || type == '=' || type == '!') {
        if (n >= 0) {
          if (size - next < static_cast<size_t>(n) + 2) return 0;
          if (type == '!' && error->empty()) error->assign(data + next, static_cast<size_t>(n));
          next += static_cast<size_t>(n) + 2;
        }
        break;
      }
      const int64_t elements = (type == '%' || type == '|') ? 2 * n : n;
      for (int64_t i = 0; i < elements; i++) {
        const int r = ScanOne(data, size, &next, error);
        if (r <= 0) return r;
      }
      break;
    }
    default:
      return -1;
  }
  *p = next;
  return 1;
}

// The complete replies at data[*pos..size), *pos moved past them (a partial reply at the end
// stays); -1 when one is malformed.
inline int ScanReplies(const char* data, size_t size, size_t* pos, std::string* error) {
  int complete = 0;
  while (true) {
    size_t p = *pos;
    const int r = ScanOne(data, size, &p, error);
    if (r < 0) return -1;
    if (r == 0) return complete;
    *pos = p;
    complete++;
  }
}

}  // namespace pylon::protocol
