// The list value's change recording for the append-only log: each kind of change replays to the
// same list from the last dump, a push to a long list records the element and not the list, and
// malformed or impossible operations are refused.
#include "modules/list/list_value.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace pylon::list {
namespace {

std::vector<std::string> Contents(const List& l) {
  std::vector<std::string> out;
  if (l.empty()) return out;
  l.Walk(0, false, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

ListValue FromDump(const std::string& dump) {
  std::optional<List> list = List::Deserialize(dump, Limits{});
  REQUIRE(list);
  return ListValue(std::move(*list));
}

TEST_CASE("list value: recorded changes replay to the same list", "[list]") {
  const Limits limits;
  ListValue v;
  for (int i = 0; i < 50; i++) v.Push(End::kTail, "e" + std::to_string(i % 7), limits);
  v.change_recorder()->Start();
  std::string base;
  v.Dump(&base);
  v.Push(End::kHead, "head", limits);
  v.Push(End::kTail, "tail", limits);
  v.Pop(End::kHead);
  v.PopMany(End::kTail, 3);
  CHECK(v.Set(-1, "last", limits));
  CHECK_FALSE(v.Set(1000, "x", limits));  // a refused change records nothing
  CHECK(v.Insert("e3", true, "after-e3", limits));
  CHECK_FALSE(v.Insert("nope", true, "x", limits));
  CHECK(v.Remove("e5", -2) == 2);
  CHECK(v.Remove("nope", 0) == 0);
  std::string ops;
  REQUIRE(v.change_recorder()->Take(&ops));
  ListValue replay = FromDump(base);
  REQUIRE(replay.ApplyChanges(ops));
  CHECK(Contents(replay.list()) == Contents(v.list()));
  // Every truncation of the operations is refused (or, cut between two, replays a prefix).
  for (size_t n = 0; n < ops.size(); n++) {
    ListValue partial = FromDump(base);
    const bool applied = partial.ApplyChanges(std::string_view(ops).substr(0, n));
    if (applied) CHECK(partial.list().Size() > 0);
  }
  ListValue bad = FromDump(base);
  CHECK_FALSE(bad.ApplyChanges("Z"));
  CHECK_FALSE(bad.ApplyChanges(std::string("l\0\0\0\0\0\0\0\0", 9)));  // pop of 0
  std::string too_many("r", 1);
  const uint64_t n = 1000;
  too_many.append(reinterpret_cast<const char*>(&n), sizeof(n));
  CHECK_FALSE(bad.ApplyChanges(too_many));  // more than the list holds
}

TEST_CASE("list value: a push to a long list records the element, not the list", "[list]") {
  const Limits limits;
  ListValue v;
  for (int i = 0; i < 1000000; i++) v.Push(End::kTail, "job", limits);
  v.change_recorder()->Start();
  v.Push(End::kTail, "one more", limits);
  v.Pop(End::kHead);
  std::string ops;
  REQUIRE(v.change_recorder()->Take(&ops));
  CHECK(ops.size() == (1 + 4 + 8) + (1 + 8));
}

}  // namespace
}  // namespace pylon::list
