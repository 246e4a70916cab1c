// The sorted set value's log records: after its dump, each change is recorded as the members set
// or removed (a few bytes, however large the set), and replaying them on the dump gives the same
// set; corrupt records are refused.
#include "modules/zset/zset_value.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

namespace pylon::zset {
namespace {

std::vector<std::pair<std::string, double>> Contents(const ZSet& z) {
  std::vector<std::pair<std::string, double>> out;
  z.Walk(0, false, [&](std::string_view m, double s) {
    out.emplace_back(std::string(m), s);
    return true;
  });
  return out;
}

TEST_CASE("zset value: changes are logged as members and replay onto the dump", "[zset]") {
  const Limits limits{.max_listpack_entries = 8};
  ZsetValue v;
  for (int i = 0; i < 5000; i++) v.Set("member" + std::to_string(i), i % 97, limits);
  std::string base;
  v.Dump(&base);
  v.change_recorder()->Start();
  v.Set("member7", 1.5, limits);
  v.Set("fresh", -3, limits);
  v.Remove("member8");
  v.Remove("absent");  // changes nothing, logs nothing
  v.RemoveRanks(0, 3);
  std::string ops;
  REQUIRE(v.change_recorder()->Take(&ops));
  CHECK(ops.size() < 200);  // the members changed, not the 5000 members' dump
  std::optional<ZSet> restored = ZSet::Deserialize(base);
  REQUIRE(restored);
  ZsetValue replayed(std::move(*restored));
  REQUIRE(replayed.ApplyChanges(ops));
  CHECK(Contents(replayed.zset()) == Contents(v.zset()));
  CHECK(replayed.zset().CheckInvariants());
  // Truncated or unknown records are refused.
  CHECK_FALSE(ZsetValue().ApplyChanges(ops.substr(0, ops.size() - 1)));
  CHECK_FALSE(ZsetValue().ApplyChanges(std::string(1, '\x09')));
}

TEST_CASE("zset value: a small set replays into the same form", "[zset]") {
  const Limits limits;
  ZsetValue v;
  v.Set("a", 1, limits);
  std::string base;
  v.Dump(&base);
  v.change_recorder()->Start();
  v.Set("b", 2, limits);
  std::string ops;
  REQUIRE(v.change_recorder()->Take(&ops));
  ZsetValue replayed(std::move(*ZSet::Deserialize(base)));
  REQUIRE(replayed.ApplyChanges(ops));
  CHECK(replayed.Encoding() == "listpack");
  CHECK(Contents(replayed.zset()) == Contents(v.zset()));
}

}  // namespace
}  // namespace pylon::zset
