// The list core without a server: pushes and pops at both ends across node boundaries, indexes,
// the mid-list edits (LSET, LINSERT, LREM, trims), node sizing under list-max-listpack-size, the
// running byte count, the dump (round trip and corrupt input), and a random differential against
// std::deque under several node limits.
#include "modules/list/list.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace pylon::list {
namespace {

std::vector<std::string> Contents(const List& l, bool reverse = false) {
  std::vector<std::string> out;
  if (l.empty()) return out;
  l.Walk(reverse ? l.Size() - 1 : 0, reverse, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

std::vector<std::string> Reversed(std::vector<std::string> v) { return {v.rbegin(), v.rend()}; }

TEST_CASE("list: push and pop at both ends", "[list]") {
  const Limits limits;
  List l;
  CHECK(l.empty());
  l.Push(End::kTail, "b", limits);
  l.Push(End::kTail, "c", limits);
  l.Push(End::kHead, "a", limits);
  CHECK(l.Size() == 3);
  CHECK(Contents(l) == std::vector<std::string>{"a", "b", "c"});
  CHECK(Contents(l, true) == std::vector<std::string>{"c", "b", "a"});
  CHECK(l.Peek(End::kHead) == "a");
  CHECK(l.Peek(End::kTail) == "c");
  l.Pop(End::kHead);
  CHECK(l.Peek(End::kHead) == "b");
  l.Pop(End::kTail);
  CHECK(l.Peek(End::kTail) == "b");
  l.Pop(End::kTail);
  CHECK(l.empty());
  CHECK(l.node_count() == 0);
}

TEST_CASE("list: elements of every length class survive both directions", "[list]") {
  const Limits limits{.max_listpack_size = -1};
  List l;
  std::vector<std::string> expect;
  // Lengths around the 1-, 2- and 3-byte length prefixes, and one larger than a node.
  for (size_t n : {0, 1, 127, 128, 129, 16383, 16384, 20000}) {
    std::string v(n, static_cast<char>('a' + n % 26));
    l.Push(End::kTail, v, limits);
    expect.push_back(v);
  }
  CHECK(Contents(l) == expect);
  CHECK(Contents(l, true) == Reversed(expect));
  for (size_t i = 0; i < expect.size(); i++) {
    CHECK(*l.At(static_cast<int64_t>(i)) == expect[i]);
    CHECK(*l.At(static_cast<int64_t>(i) - static_cast<int64_t>(expect.size())) == expect[i]);
  }
  CHECK_FALSE(l.At(static_cast<int64_t>(expect.size())));
  CHECK_FALSE(l.At(-static_cast<int64_t>(expect.size()) - 1));
}

TEST_CASE("list: nodes are bounded by list-max-listpack-size", "[list]") {
  SECTION("negative: bytes per node") {
    List l;
    for (int i = 0; i < 1000; i++) l.Push(End::kTail, std::string(100, 'x'), Limits{-2});
    // 102 bytes framed, 8 KB a node: 80 per node.
    CHECK(l.node_count() == (1000 + 79) / 80);
    List small;
    for (int i = 0; i < 1000; i++) small.Push(End::kHead, std::string(100, 'x'), Limits{-1});
    CHECK(small.node_count() == (1000 + 39) / 40);
  }
  SECTION("positive: elements per node") {
    List l;
    for (int i = 0; i < 100; i++) l.Push(End::kTail, "e", Limits{10});
    CHECK(l.node_count() == 10);
    for (int i = 0; i < 100; i++) l.Push(End::kHead, "e", Limits{10});
    CHECK(l.node_count() == 20);
  }
  SECTION("a small list is one node") {
    List l;
    for (int i = 0; i < 50; i++) l.Push(End::kTail, "element", Limits{});
    CHECK(l.node_count() == 1);
  }
}

TEST_CASE("list: PopMany drops whole nodes and part of one", "[list]") {
  List l;
  std::deque<std::string> expect;
  for (int i = 0; i < 100; i++) {
    l.Push(End::kTail, std::to_string(i), Limits{7});
    expect.push_back(std::to_string(i));
  }
  l.PopMany(End::kHead, 23);
  l.PopMany(End::kTail, 30);
  expect.erase(expect.begin(), expect.begin() + 23);
  expect.erase(expect.end() - 30, expect.end());
  CHECK(Contents(l) == std::vector<std::string>(expect.begin(), expect.end()));
  l.PopMany(End::kTail, l.Size());
  CHECK(l.empty());
  CHECK(l.node_count() == 0);
}

TEST_CASE("list: Set, Insert and Remove", "[list]") {
  const Limits limits{4};
  List l;
  for (const char* v : {"a", "b", "a", "c", "a", "d", "a"}) l.Push(End::kTail, v, limits);
  CHECK(l.Set(1, "BBBBBBBBBBBBBBBBBBBBBB", limits));
  CHECK(l.Set(-1, "z", limits));
  CHECK_FALSE(l.Set(7, "x", limits));
  CHECK_FALSE(l.Set(-8, "x", limits));
  CHECK(Contents(l) ==
        std::vector<std::string>{"a", "BBBBBBBBBBBBBBBBBBBBBB", "a", "c", "a", "d", "z"});
  CHECK(l.Insert("c", false, "before-c", limits));
  CHECK(l.Insert("c", true, "after-c", limits));
  CHECK(l.Insert("z", true, "end", limits));
  CHECK_FALSE(l.Insert("nope", true, "x", limits));
  CHECK(Contents(l) == std::vector<std::string>{"a", "BBBBBBBBBBBBBBBBBBBBBB", "a", "before-c", "c",
                                                "after-c", "a", "d", "z", "end"});
  CHECK(Contents(l, true) == Reversed(Contents(l)));
  CHECK(l.Remove("a", 1) == 1);
  CHECK(l.Peek(End::kHead) == "BBBBBBBBBBBBBBBBBBBBBB");
  CHECK(l.Remove("a", -1) == 1);
  CHECK(Contents(l) == std::vector<std::string>{"BBBBBBBBBBBBBBBBBBBBBB", "a", "before-c", "c",
                                                "after-c", "d", "z", "end"});
  CHECK(l.Remove("a", 0) == 1);
  CHECK(l.Remove("a", 0) == 0);
  CHECK(l.Size() == 7);
}

TEST_CASE("list: Remove empties whole nodes from either end", "[list]") {
  for (int64_t count : {0, 5, -5, 1000, -1000}) {
    List l;
    std::vector<std::string> expect;
    for (int i = 0; i < 40; i++) {
      const std::string v = i % 3 == 0 ? "keep" + std::to_string(i) : "x";
      l.Push(End::kTail, v, Limits{3});
      expect.push_back(v);
    }
    size_t want = 0;
    if (count >= 0) {
      for (auto& v : expect) {
        if (v == "x" && (count == 0 || want < static_cast<size_t>(count))) {
          v = "";
          want++;
        }
      }
    } else {
      for (auto it = expect.rbegin(); it != expect.rend(); ++it) {
        if (*it == "x" && want < static_cast<size_t>(-count)) {
          *it = "";
          want++;
        }
      }
    }
    std::erase(expect, "");
    CHECK(l.Remove("x", count) == want);
    CHECK(Contents(l) == expect);
    CHECK(Contents(l, true) == Reversed(expect));
    CHECK(l.Size() == expect.size());
  }
}

TEST_CASE("list: the byte count follows every change and returns to its start", "[list]") {
  List l;
  const size_t empty = l.Bytes();
  for (int i = 0; i < 2000; i++) l.Push(i % 2 ? End::kHead : End::kTail, std::string(50, 'v'), {});
  // 52 bytes framed per element and a little slack: within 2x of the payload.
  CHECK(l.Bytes() > 2000 * 52);
  CHECK(l.Bytes() < 2 * 2000 * 52);
  l.Insert(std::string(50, 'v'), true, "mid", {});
  l.Set(1000, std::string(5000, 'w'), {});
  l.Remove("mid", 0);
  l.PopMany(End::kHead, 1500);
  l.PopMany(End::kTail, l.Size());
  CHECK(l.Bytes() == empty);
}

TEST_CASE("list: the dump round-trips and refuses corrupt input", "[list]") {
  List l;
  for (int i = 0; i < 300; i++) l.Push(End::kTail, std::string(static_cast<size_t>(i), 'q'), {});
  std::string dump;
  l.Serialize(&dump);
  std::optional<List> back = List::Deserialize(dump, {});
  REQUIRE(back);
  CHECK(Contents(*back) == Contents(l));
  for (size_t n = 0; n < dump.size(); n += 97)
    CHECK_FALSE(List::Deserialize(dump.substr(0, n), {}));
  CHECK_FALSE(List::Deserialize(dump.substr(0, dump.size() - 1), {}));
  CHECK_FALSE(List::Deserialize(dump + "x", {}));
  std::string bad = dump;
  bad[0] = 9;  // unknown format
  CHECK_FALSE(List::Deserialize(bad, {}));
  bad = dump;
  bad[1] = static_cast<char>(0xff);  // a count the bytes cannot hold
  CHECK_FALSE(List::Deserialize(bad, {}));
  std::mt19937 rng(7);
  for (int i = 0; i < 500; i++) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (std::optional<List> parsed = List::Deserialize(junk, {})) {
      std::string again;
      parsed->Serialize(&again);
      CHECK(again == junk);
    }
  }
}

TEST_CASE("list: random operations match std::deque", "[list]") {
  for (int64_t fill : {-1, -2, 1, 3, 128}) {
    const Limits limits{fill};
    std::mt19937 rng(static_cast<unsigned>(fill + 100));
    List l;
    std::deque<std::string> ref;
    for (int step = 0; step < 20000; step++) {
      const std::string v =
          std::to_string(rng() % 20) + std::string(rng() % 4 == 0 ? rng() % 300 : 0, 'p');
      const unsigned op = rng() % 12;
      if (op < 3) {
        l.Push(End::kTail, v, limits);
        ref.push_back(v);
      } else if (op < 6) {
        l.Push(End::kHead, v, limits);
        ref.push_front(v);
      } else if (op < 8 && !ref.empty()) {
        const bool head = op == 6;
        REQUIRE(l.Peek(head ? End::kHead : End::kTail) == (head ? ref.front() : ref.back()));
        l.Pop(head ? End::kHead : End::kTail);
        if (head) {
          ref.pop_front();
        } else {
          ref.pop_back();
        }
      } else if (op == 8 && !ref.empty()) {
        const size_t i = rng() % ref.size();
        REQUIRE(l.Set(static_cast<int64_t>(i), v, limits));
        ref[i] = v;
      } else if (op == 9 && !ref.empty()) {
        const std::string pivot = ref[rng() % ref.size()];
        const bool after = rng() % 2;
        REQUIRE(l.Insert(pivot, after, v, limits));
        auto it = std::find(ref.begin(), ref.end(), pivot);
        ref.insert(after ? it + 1 : it, v);
      } else if (op == 10 && rng() % 20 == 0) {
        const int64_t count = static_cast<int64_t>(rng() % 5) - 2;
        const std::string target = std::to_string(rng() % 20);
        size_t removed = 0;
        if (count >= 0) {
          for (auto it = ref.begin(); it != ref.end();) {
            if (*it == target && (count == 0 || removed < static_cast<size_t>(count))) {
              it = ref.erase(it);
              removed++;
            } else {
              ++it;
            }
          }
        } else {
          for (size_t i = ref.size(); i-- > 0;) {
            if (ref[i] == target && removed < static_cast<size_t>(-count)) {
              ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(i));
              removed++;
            }
          }
        }
        REQUIRE(l.Remove(target, count) == removed);
      } else if (op == 11 && !ref.empty()) {
        const size_t i = rng() % ref.size();
        REQUIRE(*l.At(static_cast<int64_t>(i)) == ref[i]);
        REQUIRE(*l.At(static_cast<int64_t>(i) - static_cast<int64_t>(ref.size())) == ref[i]);
      }
      REQUIRE(l.Size() == ref.size());
    }
    CHECK(Contents(l) == std::vector<std::string>(ref.begin(), ref.end()));
    CHECK(Contents(l, true) == std::vector<std::string>(ref.rbegin(), ref.rend()));
    std::string dump;
    l.Serialize(&dump);
    CHECK(Contents(*List::Deserialize(dump, limits)) == Contents(l));
  }
}

}  // namespace
}  // namespace pylon::list

namespace pylon::list {
namespace {

TEST_CASE("list: full nodes hold no spare capacity, at either end", "[list]") {
  for (End end : {End::kTail, End::kHead}) {
    List l;
    for (int i = 0; i < 100000; i++) l.Push(end, "job:0000000", Limits{});
    // 13 bytes framed per element; the nodes' capacity stays within 2% of that.
    CHECK(l.Bytes() < 100000 * 13 * 102 / 100);
  }
}

}  // namespace
}  // namespace pylon::list
