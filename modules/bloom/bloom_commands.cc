// BF.RESERVE, BF.ADD, BF.MADD, BF.INSERT, BF.EXISTS, BF.MEXISTS, BF.INFO, BF.CARD,
// BF.SCANDUMP and BF.LOADCHUNK, with RedisBloom's syntax, defaults, replies and error texts
// (some of its errors have no "ERR" prefix: kept, as clients may match them). Where RedisBloom
// accepts what it should not, Pylon refuses with a clear error instead: unknown arguments, and
// a key of another type given to BF.EXISTS / BF.MEXISTS (RedisBloom answers 0; here WRONGTYPE,
// as every Redis read does). docs/commands.md lists these.
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/config.h"
#include "daemon/connection.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/bloom/bloom_value.h"
#include "protocol/text.h"

namespace pylon::bloom {
namespace {

using daemon::CommandContext;
using daemon::IsArg;
using daemon::KeyRef;
using daemon::Lookup;

constexpr std::string_view kErrNotFound = "ERR not found";
constexpr std::string_view kErrExists = "ERR item exists";
constexpr std::string_view kErrFull = "ERR non scaling filter is full";
constexpr std::string_view kErrBadData = "ERR received bad data";
constexpr std::string_view kErrTooBig = "ERR operation exceeds bloom object memory limit";
constexpr std::string_view kErrOom = "OOM command not allowed when used memory > 'maxmemory'.";

void ReplyWrongArity(CommandContext& ctx) { ctx.reply.Error(ctx.cmd.WrongArity()); }

// The filter at args[1] (daemon::FindObjectOrReply).
BloomValue* FindFilter(CommandContext& ctx, Lookup how, KeyRef* ref, bool* ok) {
  return daemon::FindOrReply<BloomValue>(ctx, kBloomType, how, ref, ok);
}

// Whether a filter may allocate `more` bytes, to take `total`: within bf-max-memory, and within
// maxmemory when it is set. Asked before anything is allocated, so a refused command costs
// nothing; the error to reply when not, else an empty view.
std::string_view AllocationRefusal(CommandContext& ctx, uint64_t more, uint64_t total) {
  if (total > static_cast<uint64_t>(ctx.config().bf_max_memory)) return kErrTooBig;
  if (!ctx.keyspace().MayAllocate(more)) return kErrOom;
  return {};
}

bool MayCreateOrReply(CommandContext& ctx, const BloomFilter::Options& options) {
  const uint64_t bytes = BloomFilter::InitialBytes(options);
  const std::string_view refusal = AllocationRefusal(ctx, bytes, bytes);
  if (!refusal.empty()) ctx.reply.Error(refusal);
  return refusal.empty();
}

// Creates a filter at ref (absent) with `options`, already validated.
BloomValue* Create(CommandContext& ctx, KeyRef& ref, const BloomFilter::Options& options) {
  auto value = std::make_unique<BloomValue>(ctx.family_state<BloomStats>(), BloomFilter(options));
  BloomValue* raw = value.get();
  ctx.keyspace().SetObject(ref, std::move(value), daemon::Ttl::Clear());
  return raw;
}

// Why the filter may not take this item now, or an empty view: it is new, and the filter must
// grow for it past its limits (AllocationRefusal), or may not grow at all (kErrFull).
std::string_view AddRefusal(CommandContext& ctx, const BloomFilter& filter, std::string_view item) {
  const SubFilter& newest = filter.filters().back();
  if (!newest.full() || filter.Contains(HashItem(item))) return {};
  const uint64_t growth = filter.GrowthBytes();
  if (growth == 0) return kErrFull;
  return AllocationRefusal(ctx, growth, filter.bytes() + growth);
}

// Adds items[] to the filter (creating it with `options` when absent and `create`), replying
// one integer each (an array when `multi`). An item the filter cannot take (full and not
// scaling, or growing past bf-max-memory or maxmemory) answers its error in its place, and the
// items after it are not added, as RedisBloom does for a full filter.
void AddItems(CommandContext& ctx, daemon::Args items, bool multi, bool create,
              const BloomFilter::Options& options) {
  KeyRef ref;
  bool ok;
  BloomValue* filter = FindFilter(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  if (!filter) {
    if (!create) {
      ctx.reply.Error(kErrNotFound);
      return;
    }
    if (!MayCreateOrReply(ctx, options)) return;
    filter = Create(ctx, ref, options);
  }
  // The replies are written as the items go in; an array's length is known only at the end.
  const protocol::ReplyBuffer::Mark mark =
      multi ? ctx.reply.BeginDeferred() : protocol::ReplyBuffer::Mark{};
  int64_t replies = 0;
  bool changed = false;
  for (; replies < static_cast<int64_t>(items.size()); replies++) {
    const std::string_view item = items[static_cast<size_t>(replies)];
    const std::string_view refusal = AddRefusal(ctx, filter->filter(), item);
    if (!refusal.empty()) {
      filter->CountRefused();
      ctx.reply.Error(refusal);
      replies++;
      break;
    }
    const BloomFilter::AddResult r = filter->Add(item);
    changed |= r == BloomFilter::AddResult::kAdded;
    ctx.reply.Integer(r == BloomFilter::AddResult::kAdded);
  }
  if (multi) ctx.reply.EndDeferredArray(mark, replies);
  if (changed) ctx.keyspace().Modified(ref);
}

// BF.RESERVE key error_rate capacity [EXPANSION expansion] [NONSCALING]
void CmdReserve(CommandContext& ctx) {
  BloomFilter::Options o;
  if (!protocol::ParseDouble(ctx.args[2], &o.error)) return ctx.reply.Error("ERR bad error rate");
  if (!(o.error > 0 && o.error < 1)) return ctx.reply.Error("ERR (0 < error rate range < 1) ");
  int64_t capacity;
  if (!protocol::ParseInt64(ctx.args[3], &capacity)) return ctx.reply.Error("ERR bad capacity");
  if (capacity <= 0) return ctx.reply.Error("ERR (capacity should be larger than 0)");
  o.capacity = static_cast<uint64_t>(capacity);
  bool expansion_given = false;
  daemon::ArgReader r(ctx.args, 4);
  while (r.HasNext()) {
    if (r.Token("NONSCALING")) {
      o.scaling = false;
    } else if (r.Token("EXPANSION")) {
      if (!r.HasNext()) r.Fail("ERR no expansion");
      o.expansion =
          static_cast<uint32_t>(r.Int(1, UINT32_MAX, "ERR bad expansion", "ERR bad expansion"));
      expansion_given = true;
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  if (expansion_given && !o.scaling) return ctx.reply.Error("Nonscaling filters cannot expand");
  if (const auto why = BloomFilter::Invalid(o)) return ctx.reply.Error("ERR " + *why);
  KeyRef ref = ctx.keyspace().Locate(ctx.args[1], Lookup::kWrite);
  if (ref.entry) {
    return ctx.reply.Error(&ref.entry->type() == &kBloomType ? kErrExists : daemon::kErrWrongType);
  }
  if (!MayCreateOrReply(ctx, o)) return;
  Create(ctx, ref, o);
  ctx.reply.Ok();
}

// BF.ADD key item / BF.MADD key item [item ...]
void CmdAdd(CommandContext& ctx) {
  const bool multi = ctx.cmd.name == "bf.madd";
  AddItems(ctx, ctx.args.subspan(2), multi, true, BloomFilter::Options{});
}

// BF.INSERT key [CAPACITY capacity] [ERROR error] [EXPANSION expansion] [NOCREATE]
//           [NONSCALING] ITEMS item [item ...]
void CmdInsert(CommandContext& ctx) {
  BloomFilter::Options o;
  bool create = true, expansion_given = false, items = false;
  daemon::ArgReader r(ctx.args, 2);
  // Options up to ITEMS (read, with the items after it).
  while (r.HasNext() && !(items = r.Token("ITEMS"))) {
    const std::string_view opt = r.Peek();
    if ((IsArg(opt, "CAPACITY") || IsArg(opt, "ERROR") || IsArg(opt, "EXPANSION")) &&
        r.remaining() < 2) {
      r.Fail(ctx.cmd.WrongArity());
    } else if (r.Token("CAPACITY")) {
      o.capacity =
          static_cast<uint64_t>(r.Int(1, INT64_MAX, "Bad argument received", "Bad capacity"));
    } else if (r.Token("ERROR")) {
      o.error = r.Double("Bad error rate");
    } else if (r.Token("EXPANSION")) {
      o.expansion =
          static_cast<uint32_t>(r.Int(1, UINT32_MAX, "Bad argument received", "Bad expansion"));
      expansion_given = true;
    } else if (r.Token("NOCREATE")) {
      create = false;
    } else if (r.Token("NONSCALING")) {
      o.scaling = false;
    } else {
      r.Fail("Unknown argument received");
    }
  }
  if (!r.CheckOrReply(ctx)) return;
  if (!items || !r.HasNext()) return ReplyWrongArity(ctx);  // no ITEMS, or none after it
  if (BloomFilter::Invalid(o)) return ctx.reply.Error("Bad argument received");
  if (expansion_given && !o.scaling) return ctx.reply.Error("Nonscaling filters cannot expand");
  AddItems(ctx, ctx.args.subspan(r.position()), true, create, o);
}

// BF.EXISTS key item / BF.MEXISTS key item [item ...]
void CmdExists(CommandContext& ctx) {
  const bool multi = ctx.cmd.name == "bf.mexists";
  KeyRef ref;
  bool ok;
  const BloomValue* filter = FindFilter(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  if (multi) ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); i++) {
    ctx.reply.Integer(filter && filter->Contains(ctx.args[i]));
  }
}

// BF.INFO key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]
void CmdInfo(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  const BloomValue* value = FindFilter(ctx, Lookup::kReadNoTouch, &ref, &ok);
  if (!ok) return;
  if (!value) return ctx.reply.Error(kErrNotFound);
  const BloomFilter& f = value->filter();
  struct Field {
    std::string_view option, title;
    int64_t value;
  };
  const Field fields[] = {
      {"CAPACITY", "Capacity", static_cast<int64_t>(f.capacity())},
      {"SIZE", "Size", static_cast<int64_t>(f.bytes())},
      {"FILTERS", "Number of filters", static_cast<int64_t>(f.filters().size())},
      {"ITEMS", "Number of items inserted", static_cast<int64_t>(f.items())},
      {"EXPANSION", "Expansion rate",
       f.options().scaling ? static_cast<int64_t>(f.options().expansion) : -1},
  };
  auto reply_value = [&ctx](const Field& field) {
    if (field.value < 0) return ctx.reply.Null();  // a non-scaling filter has no expansion
    ctx.reply.Integer(field.value);
  };
  if (ctx.args.size() == 3) {
    for (const Field& field : fields) {
      if (!IsArg(ctx.args[2], field.option)) continue;
      ctx.reply.ArrayHeader(1);
      return reply_value(field);
    }
    return ctx.reply.Error("Invalid information value");
  }
  ctx.reply.MapHeader(std::size(fields));
  for (const Field& field : fields) {
    ctx.reply.Simple(field.title);
    reply_value(field);
  }
}

// BF.CARD key
void CmdCard(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  const BloomValue* value = FindFilter(ctx, Lookup::kReadNoTouch, &ref, &ok);
  if (!ok) return;
  ctx.reply.Integer(value ? static_cast<int64_t>(value->filter().items()) : 0);
}

// BF.SCANDUMP key iterator
void CmdScanDump(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  const BloomValue* value = FindFilter(ctx, Lookup::kReadNoTouch, &ref, &ok);
  if (!ok) return;
  if (!value) return ctx.reply.Error(kErrNotFound);
  int64_t iter;
  if (!protocol::ParseInt64(ctx.args[2], &iter) || iter < 0) {
    return ctx.reply.Error("Second argument must be numeric");
  }
  ctx.reply.ArrayHeader(2);
  if (iter == 0) {
    ctx.reply.Integer(1);
    ctx.reply.Bulk(value->filter().EncodeHeader());
    return;
  }
  int64_t next;
  const std::string_view chunk = value->filter().Chunk(iter, &next);
  ctx.reply.Integer(next);
  ctx.reply.Bulk(chunk);
}

// BF.LOADCHUNK key iterator data
void CmdLoadChunk(CommandContext& ctx) {
  int64_t iter;
  if (!protocol::ParseInt64(ctx.args[2], &iter) || iter < 1) {
    return ctx.reply.Error("ERR Second argument must be numeric");
  }
  KeyRef ref;
  bool ok;
  BloomValue* value = FindFilter(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  if (!value) {
    if (iter != 1) return ctx.reply.Error(kErrNotFound);
    std::string why;
    std::optional<BloomFilter> filter = BloomFilter::FromHeader(ctx.args[3], &why);
    if (!filter) return ctx.reply.Error("ERR " + why);
    // Its bits are not touched yet (a calloc): the limits are checked before any page is real.
    const std::string_view refusal = AllocationRefusal(ctx, filter->bytes(), filter->bytes());
    if (!refusal.empty()) return ctx.reply.Error(refusal);
    ctx.keyspace().SetObject(
        ref, std::make_unique<BloomValue>(ctx.family_state<BloomStats>(), std::move(*filter)),
        daemon::Ttl::Clear());
    return ctx.reply.Ok();
  }
  if (!value->LoadChunk(iter, ctx.args[3])) return ctx.reply.Error(kErrBadData);
  ctx.keyspace().Modified(ref);
  ctx.reply.Ok();
}

}  // namespace

void RegisterBloomCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  daemon::CommandGroup group(t, "bf", "0.1.0");
  group.AddKeyed({.name = "bf.reserve",
                  .arity = -4,
                  .max_args = 7,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdReserve,
                  .summary = "Create an empty Bloom filter for an error rate and a capacity",
                  .complexity = "O(1)",
                  .syntax = "key error_rate:double capacity:integer [EXPANSION expansion:integer] "
                            "[NONSCALING]"});
  group.AddKeyed(
      {.name = "bf.add",
       .arity = 3,
       .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
       .handler = CmdAdd,
       .summary = "Add an item to a Bloom filter, creating it with the defaults if absent",
       .complexity = "O(k x F): k hashes in each of F sub-filters",
       .syntax = "key item"});
  group.AddKeyed({.name = "bf.madd",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdAdd,
                  .summary = "Add items to a Bloom filter, creating it with the defaults if absent",
                  .complexity = "O(N x k x F) for N items",
                  .syntax = "key item [item ...]"});
  group.AddKeyed(
      {.name = "bf.insert",
       .arity = -4,
       .flags = kCmdWrite | kCmdDenyOom,
       .handler = CmdInsert,
       .summary = "Add items to a Bloom filter, creating it with the given options if absent",
       .complexity = "O(N x k x F) for N items",
       .syntax = "key [CAPACITY capacity:integer] [ERROR error:double] "
                 "[EXPANSION expansion:integer] [NOCREATE] [NONSCALING] ITEMS item [item ...]"});
  group.AddKeyed({.name = "bf.exists",
                  .arity = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdExists,
                  .summary = "Whether an item may have been added to a Bloom filter",
                  .complexity = "O(k x F)",
                  .syntax = "key item"});
  group.AddKeyed({.name = "bf.mexists",
                  .arity = -3,
                  .flags = kCmdReadonly,
                  .handler = CmdExists,
                  .summary = "Whether each item may have been added to a Bloom filter",
                  .complexity = "O(N x k x F) for N items",
                  .syntax = "key item [item ...]"});
  group.AddKeyed({.name = "bf.info",
                  .arity = -2,
                  .max_args = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdInfo,
                  .summary = "A Bloom filter's capacity, size, sub-filters, items and expansion",
                  .complexity = "O(F)",
                  .syntax = "key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]"});
  group.AddKeyed({.name = "bf.card",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdCard,
                  .summary = "The number of items added to a Bloom filter (0 when absent)",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed(
      {.name = "bf.scandump",
       .arity = 3,
       .flags = kCmdReadonly,
       .handler = CmdScanDump,
       .summary = "Read a Bloom filter's header or its next chunk of bits, for BF.LOADCHUNK",
       .complexity = "O(n) for the n bytes of the chunk (at most 16 MiB)",
       .syntax = "key iterator:integer"});
  group.AddKeyed({.name = "bf.loadchunk",
                  .arity = 4,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdLoadChunk,
                  .summary = "Restore a Bloom filter from BF.SCANDUMP's header and chunks",
                  .complexity = "O(n) for the n bytes of the chunk",
                  .syntax = "key iterator:integer data:string"});
}

}  // namespace pylon::bloom
