// Experiment assignment (A/B tests, feature rollouts): a pure, deterministic function from an
// experiment's definition and a user to a variant, documented exactly so that any client can
// compute the same answer offline (docs/commands.md, "Experiments"):
//
//   1. Targeting: every WHERE condition must hold for the user's attributes (an attribute the
//      user did not send makes its condition false).
//   2. Traffic: h = FNV-1a-64(salt + ":traffic:" + user); the user is in when h mod 10000 is
//      below the traffic share in hundredths of a percent (TRAFFIC 12.5 -> 1250).
//   3. Variant: h = FNV-1a-64(salt + ":variant:" + user); p = h mod (sum of the weights); the
//      variant is the first whose running sum of weights exceeds p, in the order defined.
//
// Two hashes, so that who is in the traffic does not depend on which variant a user would get:
// raising TRAFFIC adds users to every variant in proportion, and keeps everyone who was in
// where they were. The salt defaults to the experiment's name: two experiments split users
// independently unless they share a salt on purpose.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pylon::experiment {

// FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211), over the bytes of
// the parts in order, as if concatenated.
uint64_t Fnv1a64(std::initializer_list<std::string_view> parts);

struct Variant {
  std::string name;
  uint64_t weight = 0;
};

// A targeting rule: attribute, operator, value. eq / ne compare bytes; lt / le / gt / ge compare
// numbers (a user value that is not a number fails them); in / notin test membership in the
// comma-separated list of values.
struct Condition {
  enum class Op : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };
  std::string attribute;
  Op op = Op::kEq;
  std::string value;
};
std::optional<Condition::Op> ParseOp(std::string_view name);  // also =, !=, <, <=, >, >=
std::string_view OpName(Condition::Op op);

struct Definition {
  std::vector<Variant> variants;
  uint32_t traffic_bp = 10000;  // share of users in the experiment, in hundredths of a percent
  std::string salt;
  std::vector<Condition> conditions;
};

// Limits a definition must keep; the error (without "ERR ") or nullopt when valid.
inline constexpr size_t kMaxVariants = 1000;
inline constexpr uint64_t kMaxWeight = 1000000000;
std::optional<std::string> Invalid(const Definition& definition);

// The user's attributes, as the command's name/value pairs.
using Attributes = std::vector<std::pair<std::string_view, std::string_view>>;

// Where the user goes: the index of the variant, or nullopt when the user is outside the
// targeting rules or the traffic share.
enum class Exclusion : uint8_t { kNone, kTargeting, kTraffic };
struct Assignment {
  std::optional<size_t> variant;
  Exclusion excluded = Exclusion::kNone;
};
Assignment Assign(const Definition& definition, std::string_view user, const Attributes& attrs);

// A compact binary form of a definition, and back (nullopt when corrupt or invalid).
void Encode(const Definition& definition, std::string* out);
std::optional<Definition> Decode(std::string_view in);

}  // namespace pylon::experiment
