// Experiment assignment: FNV-1a's published vectors, the documented bucketing computed again
// here by hand, stability, splits within statistical tolerance over 1,000,000 users, traffic,
// targeting, and the encoding.
#include "modules/experiment/experiment.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

namespace pylon::experiment {
namespace {

Definition ThreeWay() {
  return {.variants = {{"control", 50}, {"blue", 30}, {"green", 20}}, .salt = "checkout"};
}

TEST_CASE("experiment: FNV-1a 64 matches the published test vectors", "[experiment]") {
  // From the FNV reference (Fowler, Noll, Vo): fnv1a64("") and fnv1a64("a"), fnv1a64("foobar").
  CHECK(Fnv1a64({""}) == 0xcbf29ce484222325ULL);
  CHECK(Fnv1a64({"a"}) == 0xaf63dc4c8601ec8cULL);
  CHECK(Fnv1a64({"foobar"}) == 0x85944171f73967e8ULL);
  CHECK(Fnv1a64({"foo", "", "bar"}) == Fnv1a64({"foobar"}));  // parts are concatenated
}

TEST_CASE("experiment: the assignment is the documented formula", "[experiment]") {
  const Definition d = ThreeWay();
  for (int u = 0; u < 1000; u++) {
    const std::string user = "user-" + std::to_string(u);
    // docs/commands.md's recipe, step by step.
    const uint64_t point = Fnv1a64({"checkout", ":variant:", user}) % 100;
    const size_t expected = point < 50 ? 0 : point < 80 ? 1 : 2;
    const Assignment a = Assign(d, user, {});
    REQUIRE(a.variant == expected);
    REQUIRE(Assign(d, user, {}).variant == expected);  // stable
  }
}

TEST_CASE("experiment: splits match the weights over 1,000,000 users", "[experiment]") {
  const Definition d = ThreeWay();
  uint64_t counts[3] = {0, 0, 0};
  constexpr int kUsers = 1000000;
  for (int u = 0; u < kUsers; u++) counts[*Assign(d, "u" + std::to_string(u), {}).variant]++;
  // Each count is binomial(n, p): within 5 standard deviations (a false alarm about once in
  // 3.5 million runs; the run is deterministic anyway, so this can only fail by a real bias).
  const double shares[3] = {0.5, 0.3, 0.2};
  for (int i = 0; i < 3; i++) {
    const double mean = kUsers * shares[i];
    const double sd = std::sqrt(kUsers * shares[i] * (1 - shares[i]));
    INFO("variant " << i << ": " << counts[i] << " users, expected " << mean);
    CHECK(std::fabs(static_cast<double>(counts[i]) - mean) <= 5 * sd);
  }
}

TEST_CASE("experiment: traffic admits its share, and raising it keeps everyone in place",
          "[experiment]") {
  Definition d = ThreeWay();
  d.traffic_bp = 1250;  // 12.5 %
  Definition wider = d;
  wider.traffic_bp = 5000;
  int in = 0, moved = 0;
  constexpr int kUsers = 200000;
  for (int u = 0; u < kUsers; u++) {
    const std::string user = "u" + std::to_string(u);
    const Assignment a = Assign(d, user, {});
    if (!a.variant) {
      REQUIRE(a.excluded == Exclusion::kTraffic);
      continue;
    }
    in++;
    moved += Assign(wider, user, {}).variant != a.variant;
  }
  const double sd = std::sqrt(kUsers * 0.125 * 0.875);
  CHECK(std::fabs(in - kUsers * 0.125) <= 5 * sd);
  CHECK(moved == 0);
  d.traffic_bp = 0;
  CHECK(!Assign(d, "anyone", {}).variant);
}

TEST_CASE("experiment: targeting conditions", "[experiment]") {
  Definition d = ThreeWay();
  d.conditions = {{"country", Condition::Op::kIn, "US,CA"},
                  {"age", Condition::Op::kGe, "18"},
                  {"plan", Condition::Op::kNe, "free"}};
  const Attributes ok = {{"country", "CA"}, {"age", "30"}, {"plan", "pro"}};
  CHECK(Assign(d, "u1", ok).variant.has_value());
  const Attributes young = {{"country", "CA"}, {"age", "17.5"}, {"plan", "pro"}};
  const Attributes free = {{"country", "US"}, {"age", "30"}, {"plan", "free"}};
  const Attributes elsewhere = {{"country", "FR"}, {"age", "30"}, {"plan", "pro"}};
  const Attributes missing = {{"country", "US"}, {"plan", "pro"}};
  const Attributes not_a_number = {{"country", "US"}, {"age", "old"}, {"plan", "pro"}};
  for (const Attributes* a : {&young, &free, &elsewhere, &missing, &not_a_number}) {
    const Assignment r = Assign(d, "u1", *a);
    CHECK(!r.variant);
    CHECK(r.excluded == Exclusion::kTargeting);
  }
  CHECK(ParseOp(">=") == Condition::Op::kGe);
  CHECK(ParseOp("NOTIN") == Condition::Op::kNotIn);
  CHECK(!ParseOp("~"));
}

TEST_CASE("experiment: invalid definitions are refused; the encoding round-trips", "[experiment]") {
  Definition d = ThreeWay();
  CHECK(!Invalid(d));
  Definition zero = d;
  for (Variant& v : zero.variants) v.weight = 0;
  CHECK(Invalid(zero) == "the variants' weights must not all be 0");
  Definition twice = d;
  twice.variants.push_back({"blue", 1});
  CHECK(Invalid(twice) == "variant 'blue' appears twice");
  Definition bad_where = d;
  bad_where.conditions = {{"age", Condition::Op::kGt, "adult"}};
  CHECK(Invalid(bad_where) == "WHERE age gt needs a number, not 'adult'");

  d.traffic_bp = 4321;
  d.conditions = {{"country", Condition::Op::kIn, "US,CA"}};
  std::string encoded;
  Encode(d, &encoded);
  const std::optional<Definition> back = Decode(encoded);
  REQUIRE(back);
  CHECK(back->traffic_bp == 4321);
  CHECK(back->salt == "checkout");
  CHECK(back->variants.size() == 3);
  CHECK(back->conditions.at(0).value == "US,CA");
  CHECK(!Decode(encoded.substr(0, encoded.size() - 1)));
  CHECK(!Decode(encoded + "x"));
}

}  // namespace
}  // namespace pylon::experiment
