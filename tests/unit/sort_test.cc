// SORT's pure parts: the LIMIT window's clamping, the pattern substitution (C-string reading of
// the pattern, "->" fields), the weights strtod accepts, and the comparison rules.
#include "modules/keys/sort.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace pylon::keys {
namespace {

using namespace std::string_literals;

std::vector<std::string> Elements(const std::vector<SortItem>& items) {
  std::vector<std::string> out;
  for (const SortItem& i : items) out.push_back(i.element);
  return out;
}

TEST_CASE("sort limit window clamps as Redis", "[sort]") {
  auto window = [](int64_t offset, int64_t count, size_t size) {
    const SortWindow w = ClampSortLimit(offset, count, size);
    return std::pair{w.start, w.end};
  };
  CHECK(window(0, -1, 5) == std::pair<int64_t, int64_t>{0, 4});
  CHECK(window(1, 2, 5) == std::pair<int64_t, int64_t>{1, 2});
  CHECK(window(-3, 2, 5) == std::pair<int64_t, int64_t>{0, 1});
  CHECK(window(3, 100, 5) == std::pair<int64_t, int64_t>{3, 4});
  CHECK(window(2, -7, 5) == std::pair<int64_t, int64_t>{2, 4});
  CHECK(window(2, 0, 5) == std::pair<int64_t, int64_t>{2, 1});
  CHECK(window(5, 1, 5) == std::pair<int64_t, int64_t>{4, 3});
  CHECK(window(0, -1, 0) == std::pair<int64_t, int64_t>{-1, -2});
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(window(kMax, kMax, 5) == std::pair<int64_t, int64_t>{4, 3});
  CHECK(window(kMin, kMin, 5) == std::pair<int64_t, int64_t>{0, 4});
  CHECK(ClampSortLimit(5, 1, 5).length() == 0);
  CHECK(ClampSortLimit(1, 3, 5).length() == 3);
}

TEST_CASE("sort pattern substitution", "[sort]") {
  PatternTarget t;
  ResolveSortPattern("#", "x", &t);
  CHECK(t.kind == PatternTarget::Kind::kSelf);
  ResolveSortPattern("#\0z"s, "x", &t);  // read as a C string: "#"
  CHECK(t.kind == PatternTarget::Kind::kSelf);
  ResolveSortPattern("##", "x", &t);
  CHECK(t.kind == PatternTarget::Kind::kNone);
  ResolveSortPattern("nostar", "x", &t);
  CHECK(t.kind == PatternTarget::Kind::kNone);
  ResolveSortPattern("a\0*"s, "x", &t);  // the '*' after a NUL is not seen
  CHECK(t.kind == PatternTarget::Kind::kNone);
  ResolveSortPattern("w_*_s", "el", &t);
  CHECK(t.kind == PatternTarget::Kind::kKey);
  CHECK(t.key == "w_el_s");
  CHECK(t.field.empty());
  ResolveSortPattern("h_*->f", "el", &t);
  CHECK(t.key == "h_el");
  CHECK(t.field == "f");
  ResolveSortPattern("h_*->", "el", &t);  // nothing after "->": a plain key
  CHECK(t.key == "h_el->");
  CHECK(t.field.empty());
  ResolveSortPattern("h->_*x->a->b", "*", &t);  // the first "->" after the '*'
  CHECK(t.key == "h->_*x");
  CHECK(t.field == "a->b");
  ResolveSortPattern("k*", "a\0b"s, &t);  // the element's bytes all go in
  CHECK(t.key == "ka\0b"s);
  CHECK(SortPatternHasStar("a*"));
  CHECK_FALSE(SortPatternHasStar("nosort"));
  CHECK_FALSE(SortPatternHasStar("x\0*"s));
}

TEST_CASE("sort weights parse as strtod", "[sort]") {
  double d = 0;
  CHECK(ParseSortScore("1.5", &d));
  CHECK(d == 1.5);
  CHECK(ParseSortScore(" 7", &d));
  CHECK(d == 7);
  CHECK(ParseSortScore("0x10", &d));
  CHECK(d == 16);
  CHECK(ParseSortScore("", &d));
  CHECK(d == 0);
  CHECK(ParseSortScore("-inf", &d));
  CHECK(ParseSortScore("2\0junk"s, &d));
  CHECK(d == 2);
  CHECK_FALSE(ParseSortScore("1 ", &d));
  CHECK_FALSE(ParseSortScore("x", &d));
  CHECK_FALSE(ParseSortScore("nan", &d));
  CHECK_FALSE(ParseSortScore("1e-400", &d));
  CHECK_FALSE(ParseSortScore("1e400", &d));
  CHECK(ParseSortScore("3", &d));  // a failure before leaves nothing behind
  CHECK(d == 3);
}

TEST_CASE("sort order: numeric, alpha, by pattern", "[sort]") {
  std::vector<SortItem> items;
  auto add = [&](std::string e, double score, std::optional<std::string> by = std::nullopt) {
    items.push_back(SortItem{.element = std::move(e), .score = score, .by = std::move(by)});
  };
  SECTION("numeric ties are broken by the elements' bytes") {
    add("b", 1);
    add("a", 1);
    add("c", 0);
    SortItems(&items, SortOrder{});
    CHECK(Elements(items) == std::vector<std::string>{"c", "a", "b"});
    SortItems(&items, SortOrder{.desc = true});
    CHECK(Elements(items) == std::vector<std::string>{"b", "a", "c"});
  }
  SECTION("alpha compares bytes when storing, C strings otherwise") {
    add("a\0z"s, 0);
    add("a\0b"s, 0);
    add("B", 0);
    add("\xff", 0);
    SortItems(&items, SortOrder{.alpha = true});
    CHECK(Elements(items) == std::vector<std::string>{"B", "a\0z"s, "a\0b"s, "\xff"});
    SortItems(&items, SortOrder{.alpha = true, .store = true});
    CHECK(Elements(items) == std::vector<std::string>{"B", "a\0b"s, "a\0z"s, "\xff"});
  }
  SECTION("alpha by: missing values first, equal values keep their order") {
    add("x", 0, "b");
    add("y", 0);
    add("z", 0, "a");
    add("w", 0, "a");
    SortItems(&items, SortOrder{.alpha = true, .by_pattern = true});
    CHECK(Elements(items) == std::vector<std::string>{"y", "z", "w", "x"});
    SortItems(&items, SortOrder{.desc = true, .alpha = true, .by_pattern = true});
    CHECK(Elements(items) == std::vector<std::string>{"x", "z", "w", "y"});
  }
}

}  // namespace
}  // namespace pylon::keys
