// SORT's pure parts (Redis 7.0 sort.c): the LIMIT window, the '*' / '->' pattern substitution,
// the numeric weight of a value and the order of the elements. No keyspace here: the handler
// (sort_commands.cc) looks the patterns' keys up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::keys {

// The elements of the output, [start, end] over `size` elements (end < start: none), from
// LIMIT offset count clamped as Redis clamps them (count < 0: all; an offset past the end: none).
struct SortWindow {
  int64_t start = 0, end = -1;
  size_t length() const { return end >= start ? static_cast<size_t>(end - start + 1) : 0; }
};
SortWindow ClampSortLimit(int64_t offset, int64_t count, size_t size);

// What a BY or GET pattern names for one element. Redis reads the pattern as a C string when it
// looks for '#', '*' and "->", and takes the key and field from its full length.
struct PatternTarget {
  enum class Kind { kSelf, kNone, kKey } kind = Kind::kNone;
  std::string key;         // kKey: the pattern with its first '*' replaced by the element
  std::string_view field;  // a hash field after "->" (empty: the key's string value)
};
// Fills *out (reusing its key's buffer) for `element`.
void ResolveSortPattern(std::string_view pattern, std::string_view element, PatternTarget* out);
// A pattern without '*' (read as a C string): BY such a pattern means no sorting.
bool SortPatternHasStar(std::string_view pattern);

// A value's weight for a numeric sort, as Redis's strtod: false when it is not a double (text
// after the number, out of range, NaN). *score is set either way.
bool ParseSortScore(std::string_view value, double* score);

struct SortItem {
  std::string element;
  double score = 0;
  std::optional<std::string> by;  // ALPHA BY: the pattern's value, none when missing
};
struct SortOrder {
  bool desc = false;
  bool alpha = false;
  bool by_pattern = false;
  // Redis compares bytes (memcmp, then length) when storing, and with strcoll otherwise: in
  // the C locale that is strcmp, which stops at the first NUL byte.
  bool store = false;
};
// Sorts the items as Redis's sortCompare orders them; equal items keep their order.
void SortItems(std::vector<SortItem>* items, const SortOrder& order);

}  // namespace pylon::keys
