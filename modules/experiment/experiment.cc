#include "modules/experiment/experiment.h"

#include <algorithm>
#include <array>

#include "common/wire.h"
#include "protocol/text.h"

namespace pylon::experiment {

namespace wire = common::wire;

namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;
constexpr uint8_t kEncodingVersion = 1;

struct OpSpelling {
  Condition::Op op;
  std::string_view name, symbol;
};
constexpr std::array<OpSpelling, 8> kOps = {{
    {Condition::Op::kEq, "eq", "="},
    {Condition::Op::kNe, "ne", "!="},
    {Condition::Op::kLt, "lt", "<"},
    {Condition::Op::kLe, "le", "<="},
    {Condition::Op::kGt, "gt", ">"},
    {Condition::Op::kGe, "ge", ">="},
    {Condition::Op::kIn, "in", ""},
    {Condition::Op::kNotIn, "notin", ""},
}};

bool IsNumeric(Condition::Op op) {
  return op == Condition::Op::kLt || op == Condition::Op::kLe || op == Condition::Op::kGt ||
         op == Condition::Op::kGe;
}

bool InList(std::string_view list, std::string_view value) {
  for (size_t start = 0;;) {
    const size_t comma = list.find(',', start);
    if (list.substr(start, comma - start) == value) return true;
    if (comma == std::string_view::npos) return false;
    start = comma + 1;
  }
}

bool Holds(const Condition& c, const Attributes& attrs) {
  const auto it = std::find_if(attrs.begin(), attrs.end(),
                               [&](const auto& a) { return a.first == c.attribute; });
  if (it == attrs.end()) return false;
  const std::string_view v = it->second;
  switch (c.op) {
    case Condition::Op::kEq:
      return v == c.value;
    case Condition::Op::kNe:
      return v != c.value;
    case Condition::Op::kIn:
      return InList(c.value, v);
    case Condition::Op::kNotIn:
      return !InList(c.value, v);
    default:
      break;
  }
  double user, bound;
  if (!protocol::ParseDouble(v, &user) || !protocol::ParseDouble(c.value, &bound)) return false;
  switch (c.op) {
    case Condition::Op::kLt:
      return user < bound;
    case Condition::Op::kLe:
      return user <= bound;
    case Condition::Op::kGt:
      return user > bound;
    default:
      return user >= bound;
  }
}

}  // namespace

uint64_t Fnv1a64(std::initializer_list<std::string_view> parts) {
  uint64_t h = kFnvOffset;
  for (std::string_view part : parts) {
    for (const char c : part) {
      h ^= static_cast<uint8_t>(c);
      h *= kFnvPrime;
    }
  }
  return h;
}

std::optional<Condition::Op> ParseOp(std::string_view name) {
  for (const OpSpelling& s : kOps) {
    if (name == s.symbol && !s.symbol.empty()) return s.op;
    if (name.size() == s.name.size() &&
        std::equal(name.begin(), name.end(), s.name.begin(),
                   [](char a, char b) { return (a | 0x20) == b; })) {
      return s.op;
    }
  }
  return std::nullopt;
}

std::string_view OpName(Condition::Op op) {
  for (const OpSpelling& s : kOps) {
    if (s.op == op) return s.name;
  }
  return "?";
}

std::optional<std::string> Invalid(const Definition& d) {
  if (d.variants.empty()) return "an experiment needs at least one variant";
  if (d.variants.size() > kMaxVariants) return "an experiment has at most 1000 variants";
  uint64_t total = 0;
  for (size_t i = 0; i < d.variants.size(); i++) {
    const Variant& v = d.variants[i];
    if (v.name.empty()) return "a variant name must not be empty";
    if (v.weight > kMaxWeight) return "a variant weight must be from 0 to 1000000000";
    for (size_t j = 0; j < i; j++) {
      if (d.variants[j].name == v.name) return "variant '" + v.name + "' appears twice";
    }
    total += v.weight;
  }
  if (total == 0) return "the variants' weights must not all be 0";
  if (d.traffic_bp > 10000) return "TRAFFIC must be a percentage from 0 to 100";
  for (const Condition& c : d.conditions) {
    double number;
    if (IsNumeric(c.op) && !protocol::ParseDouble(c.value, &number)) {
      return "WHERE " + c.attribute + " " + std::string(OpName(c.op)) + " needs a number, not '" +
             c.value + "'";
    }
  }
  return std::nullopt;
}

Assignment Assign(const Definition& d, std::string_view user, const Attributes& attrs) {
  for (const Condition& c : d.conditions) {
    if (!Holds(c, attrs)) return {std::nullopt, Exclusion::kTargeting};
  }
  if (Fnv1a64({d.salt, ":traffic:", user}) % 10000 >= d.traffic_bp) {
    return {std::nullopt, Exclusion::kTraffic};
  }
  uint64_t total = 0;
  for (const Variant& v : d.variants) total += v.weight;
  const uint64_t point = Fnv1a64({d.salt, ":variant:", user}) % total;
  uint64_t running = 0;
  for (size_t i = 0; i < d.variants.size(); i++) {
    running += d.variants[i].weight;
    if (point < running) return {i, Exclusion::kNone};
  }
  return {d.variants.size() - 1, Exclusion::kNone};  // unreachable: point < total
}

void Encode(const Definition& d, std::string* out) {
  wire::Put(out, kEncodingVersion);
  wire::Put(out, d.traffic_bp);
  wire::PutText(out, d.salt);
  wire::Put(out, static_cast<uint32_t>(d.variants.size()));
  for (const Variant& v : d.variants) {
    wire::PutText(out, v.name);
    wire::Put(out, v.weight);
  }
  wire::Put(out, static_cast<uint32_t>(d.conditions.size()));
  for (const Condition& c : d.conditions) {
    wire::PutText(out, c.attribute);
    wire::Put(out, static_cast<uint8_t>(c.op));
    wire::PutText(out, c.value);
  }
}

std::optional<Definition> Decode(std::string_view in) {
  Definition d;
  uint8_t version;
  uint32_t count;
  std::string_view text;
  if (!wire::Get(&in, &version) || version != kEncodingVersion || !wire::Get(&in, &d.traffic_bp) ||
      !wire::GetText(&in, &text) || !wire::Get(&in, &count) || count > kMaxVariants) {
    return std::nullopt;
  }
  d.salt = text;
  for (uint32_t i = 0; i < count; i++) {
    Variant v;
    if (!wire::GetText(&in, &text) || !wire::Get(&in, &v.weight)) return std::nullopt;
    v.name = text;
    d.variants.push_back(std::move(v));
  }
  if (!wire::Get(&in, &count) || count > in.size()) return std::nullopt;
  for (uint32_t i = 0; i < count; i++) {
    Condition c;
    uint8_t op;
    std::string_view attribute;
    if (!wire::GetText(&in, &attribute) || !wire::Get(&in, &op) ||
        op > static_cast<uint8_t>(Condition::Op::kNotIn) || !wire::GetText(&in, &text)) {
      return std::nullopt;
    }
    c.attribute = attribute;
    c.op = static_cast<Condition::Op>(op);
    c.value = text;
    d.conditions.push_back(std::move(c));
  }
  if (!in.empty() || Invalid(d)) return std::nullopt;
  return d;
}

}  // namespace pylon::experiment
