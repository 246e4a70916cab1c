#include "modules/keys/sort.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace pylon::keys {
namespace {

// The part of s a C string function sees.
std::string_view AsCString(std::string_view s) {
  return s.substr(0, std::min(s.size(), s.find('\0')));
}

int Sign(int v) { return (v > 0) - (v < 0); }

int CompareBytes(std::string_view a, std::string_view b) { return Sign(a.compare(b)); }

int CompareText(std::string_view a, std::string_view b, bool store) {
  return store ? CompareBytes(a, b) : CompareBytes(AsCString(a), AsCString(b));
}

}  // namespace

SortWindow ClampSortLimit(int64_t offset, int64_t count, size_t size) {
  const auto n = static_cast<int64_t>(size);
  SortWindow w;
  w.start = std::min(std::max<int64_t>(offset, 0), n);
  count = std::min(std::max<int64_t>(count, -1), n);
  w.end = count < 0 ? n - 1 : w.start + count - 1;
  if (w.start >= n) {
    w.start = n - 1;
    w.end = n - 2;
  }
  if (w.end >= n) w.end = n - 1;
  return w;
}

void ResolveSortPattern(std::string_view pattern, std::string_view element, PatternTarget* out) {
  const std::string_view c_pattern = AsCString(pattern);
  if (c_pattern == "#") {
    out->kind = PatternTarget::Kind::kSelf;
    return;
  }
  const size_t star = c_pattern.find('*');
  if (star == std::string_view::npos) {
    out->kind = PatternTarget::Kind::kNone;
    return;
  }
  // "->" after the '*', with at least one character after it, names a hash field.
  const size_t arrow = c_pattern.find("->", star + 1);
  const bool has_field = arrow != std::string_view::npos && arrow + 2 < c_pattern.size();
  out->field = has_field ? pattern.substr(arrow + 2) : std::string_view();
  const size_t suffix_end = has_field ? arrow : pattern.size();
  out->kind = PatternTarget::Kind::kKey;
  out->key.assign(pattern.substr(0, star));
  out->key.append(element);
  out->key.append(pattern.substr(star + 1, suffix_end - star - 1));
}

bool SortPatternHasStar(std::string_view pattern) {
  return AsCString(pattern).find('*') != std::string_view::npos;
}

bool ParseSortScore(std::string_view value, double* score) {
  static thread_local std::string text;
  text.assign(value);
  char* end = nullptr;
  errno = 0;
  *score = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*score);
}

void SortItems(std::vector<SortItem>* items, const SortOrder& order) {
  auto compare = [&order](const SortItem& a, const SortItem& b) {
    int cmp;
    if (!order.alpha) {
      cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : CompareBytes(a.element, b.element);
    } else if (order.by_pattern) {
      if (!a.by || !b.by) {
        cmp = a.by.has_value() == b.by.has_value() ? 0 : !a.by ? -1 : 1;
      } else {
        cmp = CompareText(*a.by, *b.by, order.store);
      }
    } else {
      cmp = CompareText(a.element, b.element, order.store);
    }
    return (order.desc ? -cmp : cmp) < 0;
  };
  std::stable_sort(items->begin(), items->end(), compare);
}

}  // namespace pylon::keys
