// EXP.DEFINE, EXP.ASSIGN and EXP.INFO over the experiments of experiment.h.
#include <cmath>
#include <string>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/experiment/experiment_value.h"
#include "protocol/text.h"

namespace pylon::experiment {
namespace {

using daemon::CommandContext;
using daemon::IsArg;
using daemon::KeyRef;
using daemon::Lookup;

bool IsOption(std::string_view arg) {
  return IsArg(arg, "TRAFFIC") || IsArg(arg, "SALT") || IsArg(arg, "WHERE");
}

// TRAFFIC's percentage, 0 to 100 with at most two decimals, in hundredths of a percent.
bool ParseTraffic(std::string_view arg, uint32_t* bp) {
  double pct;
  if (!protocol::ParseDouble(arg, &pct) || !(pct >= 0 && pct <= 100)) return false;
  const double hundredths = pct * 100;
  if (std::fabs(hundredths - std::round(hundredths)) > 1e-6) return false;
  *bp = static_cast<uint32_t>(std::lround(hundredths));
  return true;
}

// EXP.DEFINE exp VARIANTS name weight [name weight ...] [TRAFFIC pct] [SALT salt]
//            [WHERE attribute op value [attribute op value ...]]
void CmdDefine(CommandContext& ctx) {
  Definition d;
  d.salt = ctx.args[1];
  daemon::ArgReader r(ctx.args, 2);
  if (!r.Token("VARIANTS")) r.Fail(daemon::kErrSyntax);
  // Variants up to the first option: name weight pairs.
  constexpr std::string_view kErrWeight = "ERR a variant weight must be from 0 to 1000000000";
  while (r.HasNext() && !IsOption(r.Peek())) {
    if (r.remaining() < 2) {
      r.Fail(daemon::kErrSyntax);
      break;
    }
    const std::string_view name = r.Next();
    const auto weight =
        static_cast<uint64_t>(r.Int(0, static_cast<int64_t>(kMaxWeight), kErrWeight, kErrWeight));
    if (r.ok()) d.variants.push_back({std::string(name), weight});
  }
  while (r.HasNext()) {
    if (r.Token("WHERE")) {
      // WHERE comes last: the rest are (attribute, op, value) triples.
      if (r.remaining() == 0 || r.remaining() % 3 != 0) {
        r.Fail("ERR WHERE wants triples: attribute op value");
      }
      while (r.HasNext()) {
        const std::string_view attribute = r.Next(), op_name = r.Next(), value = r.Next();
        const std::optional<Condition::Op> op = ParseOp(op_name);
        if (!op) {
          r.Fail("ERR unknown operator '" + std::string(op_name) +
                 "' (eq ne lt le gt ge in notin, or = != < <= > >=)");
          break;
        }
        d.conditions.push_back({std::string(attribute), *op, std::string(value)});
      }
    } else if (r.Option("TRAFFIC")) {
      if (!ParseTraffic(r.Next(), &d.traffic_bp)) {
        r.Fail("ERR TRAFFIC must be a percentage from 0 to 100, at most 2 decimals");
      }
    } else if (r.Option("SALT")) {
      d.salt = r.Next();
    } else {
      r.Fail(daemon::kErrSyntax);  // a variant after the options
    }
  }
  if (!r.Done(ctx)) return;
  if (const auto why = Invalid(d)) return ctx.reply.Error("ERR " + *why);
  KeyRef ref = ctx.keyspace().Locate(ctx.args[1], Lookup::kWrite);
  ctx.keyspace().SetObject(
      ref, std::make_unique<ExperimentValue>(ctx.family_state<ExperimentStats>(), std::move(d)),
      daemon::Ttl::Clear());
  ctx.reply.Ok();
}

// EXP.ASSIGN exp user [attribute value ...]
void CmdAssign(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 1) return ctx.reply.Error(daemon::kErrSyntax);
  KeyRef ref;
  bool ok;
  ExperimentValue* value =
      daemon::FindOrReply<ExperimentValue>(ctx, kExperimentType, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  if (!value) return ctx.reply.Null();
  // Attributes are few: a small vector, reused, so an assignment allocates nothing.
  static Attributes attrs;
  attrs.clear();
  for (size_t i = 3; i < ctx.args.size(); i += 2) attrs.emplace_back(ctx.args[i], ctx.args[i + 1]);
  const Assignment assigned = value->Assign(ctx.args[2], attrs);
  if (!assigned.variant) return ctx.reply.Null();
  ctx.reply.Bulk(value->definition().variants[*assigned.variant].name);
}

// EXP.INFO exp
void CmdInfo(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  const ExperimentValue* value =
      daemon::FindOrReply<ExperimentValue>(ctx, kExperimentType, Lookup::kReadNoTouch, &ref, &ok);
  if (!ok) return;
  if (!value) return ctx.reply.Null();
  const Definition& d = value->definition();
  ctx.reply.MapHeader(6);
  ctx.reply.Bulk("variants");
  ctx.reply.ArrayHeader(static_cast<int64_t>(d.variants.size()));
  for (size_t i = 0; i < d.variants.size(); i++) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(d.variants[i].name);
    ctx.reply.Integer(static_cast<int64_t>(d.variants[i].weight));
    ctx.reply.Integer(static_cast<int64_t>(value->assigned()[i]));
  }
  ctx.reply.Bulk("traffic");
  ctx.reply.Double(d.traffic_bp / 100.0);
  ctx.reply.Bulk("salt");
  ctx.reply.Bulk(d.salt);
  ctx.reply.Bulk("where");
  ctx.reply.ArrayHeader(static_cast<int64_t>(d.conditions.size()));
  for (const Condition& c : d.conditions) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(c.attribute);
    ctx.reply.Bulk(OpName(c.op));
    ctx.reply.Bulk(c.value);
  }
  ctx.reply.Bulk("excluded_by_targeting");
  ctx.reply.Integer(static_cast<int64_t>(value->excluded_by_targeting()));
  ctx.reply.Bulk("excluded_by_traffic");
  ctx.reply.Integer(static_cast<int64_t>(value->excluded_by_traffic()));
}

}  // namespace

void RegisterExperimentCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  daemon::CommandGroup group(t, "experiment", "0.1.0");
  group.AddKeyed(
      {.name = "exp.define",
       .arity = -5,
       .flags = kCmdWrite | kCmdDenyOom,
       .handler = CmdDefine,
       .summary = "Define (or redefine) an experiment: weighted variants, traffic, salt, targeting",
       .complexity = "O(V + C) for V variants and C conditions",
       .syntax = "exp VARIANTS name weight:integer [name weight:integer ...] "
                 "[TRAFFIC percent:double] [SALT salt] [WHERE attribute op value "
                 "[attribute op value ...]]"});
  group.AddKeyed(
      {.name = "exp.assign",
       .arity = -3,
       .flags = kCmdReadonly | kCmdFast,
       .handler = CmdAssign,
       .summary = "The variant a user gets, or null when the user is not in the experiment",
       .complexity = "O(V + C + A) for V variants, C conditions and A attributes",
       .syntax = "exp user [attribute value [attribute value ...]]"});
  group.AddKeyed({.name = "exp.info",
                  .arity = 2,
                  .flags = kCmdReadonly,
                  .handler = CmdInfo,
                  .summary = "An experiment's definition and how many users each variant got",
                  .complexity = "O(V + C)",
                  .syntax = "exp"});
}

}  // namespace pylon::experiment
