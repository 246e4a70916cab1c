// SORT and SORT_RO (Redis 7.0 sort.c): the elements of a list, set or sorted set, sorted by
// their own value or by the value of other keys (BY), or not sorted (BY a pattern without '*'),
// replied or stored as a list, with other keys' values in their place (GET).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/cluster.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "modules/hash/hash_value.h"
#include "modules/keys/family.h"
#include "modules/keys/sort.h"
#include "modules/list/list_common.h"
#include "modules/list/list_value.h"
#include "modules/set/set_value.h"
#include "modules/zset/zset_value.h"

namespace pylon::keys {
namespace {

using daemon::CommandContext;
using daemon::IsArg;
using daemon::Lookup;

struct SortRequest {
  SortOrder order;
  int64_t limit_offset = 0, limit_count = -1;
  std::optional<std::string_view> by;
  bool dont_sort = false;
  std::optional<std::string_view> store;
  std::vector<std::string_view> gets;
};

// Redis's grammar, read left to right: a later option overrides an earlier one; an option
// short of its arguments is a syntax error; SORT_RO knows no STORE.
bool ParseSortOrReply(CommandContext& ctx, bool read_only, SortRequest* req) {
  const daemon::Args args = ctx.args;
  const bool cluster = ctx.cluster().enabled();
  for (size_t j = 2; j < args.size(); j++) {
    const size_t left = args.size() - j - 1;
    const std::string_view a = args[j];
    if (IsArg(a, "ASC")) {
      req->order.desc = false;
    } else if (IsArg(a, "DESC")) {
      req->order.desc = true;
    } else if (IsArg(a, "ALPHA")) {
      req->order.alpha = true;
    } else if (IsArg(a, "LIMIT") && left >= 2) {
      if (!daemon::ParseIntOrReply(ctx, args[j + 1], &req->limit_offset) ||
          !daemon::ParseIntOrReply(ctx, args[j + 2], &req->limit_count)) {
        return false;
      }
      j += 2;
    } else if (!read_only && IsArg(a, "STORE") && left >= 1) {
      req->store = args[++j];
    } else if (IsArg(a, "BY") && left >= 1) {
      req->by = args[++j];
      // A pattern without '*' names the same key for every element: nothing to sort by.
      req->dont_sort = !SortPatternHasStar(*req->by);
      if (!req->dont_sort && cluster) {
        ctx.reply.Error("ERR BY option of SORT denied in Cluster mode.");
        return false;
      }
    } else if (IsArg(a, "GET") && left >= 1) {
      if (cluster) {
        ctx.reply.Error("ERR GET option of SORT denied in Cluster mode.");
        return false;
      }
      req->gets.push_back(args[++j]);
    } else {
      ctx.reply.Error(daemon::kErrSyntax);
      return false;
    }
  }
  return true;
}

// The value a BY or GET pattern names for `element`: the element itself ('#'), a string key's
// value or a hash's field; none when the key is missing or of another type.
class PatternLookup {
 public:
  explicit PatternLookup(CommandContext& ctx) : ctx_(ctx) {}

  std::optional<std::string_view> Find(std::string_view pattern, std::string_view element) {
    ResolveSortPattern(pattern, element, &target_);
    if (target_.kind == PatternTarget::Kind::kSelf) return element;
    if (target_.kind == PatternTarget::Kind::kNone) return std::nullopt;
    const daemon::Entry* e = ctx_.keyspace().Find(target_.key, Lookup::kRead);
    if (!e) return std::nullopt;
    if (target_.field.empty()) {
      if (!e->is_string()) return std::nullopt;
      return e->string();
    }
    if (&e->type() != &hash::kHashType) return std::nullopt;
    return static_cast<const hash::HashValue*>(e->object())->hash().Get(target_.field);
  }

 private:
  CommandContext& ctx_;
  PatternTarget target_;
};

// Loads the elements to output. A list or sorted set that is not sorted gives only the window
// (in DESC order when asked), and *window becomes relative to what was loaded, as Redis.
void LoadElements(const daemon::Entry* entry, bool dont_sort, bool desc, SortWindow* window,
                  std::vector<SortItem>* items) {
  auto add = [items](std::string_view element) {
    items->push_back(SortItem{.element = std::string(element)});
    return true;
  };
  if (!entry) return;
  if (&entry->type() == &list::kListType) {
    const list::List& l = static_cast<const list::ListValue*>(entry->object())->list();
    if (!dont_sort) {
      items->reserve(l.Size());
      l.Walk(0, false, add);
      return;
    }
    const size_t n = window->length();
    if (n == 0) return;
    items->reserve(n);
    const size_t first = desc ? l.Size() - static_cast<size_t>(window->start) - 1
                              : static_cast<size_t>(window->start);
    l.Walk(first, desc, [&](std::string_view element) { return add(element), items->size() < n; });
  } else if (&entry->type() == &set::kSetType) {
    const set::Set& s = static_cast<const set::SetValue*>(entry->object())->set();
    items->reserve(s.Size());
    s.ForEach([&](std::string_view member) { add(member); });
    return;
  } else {
    const zset::ZSet& z = static_cast<const zset::ZsetValue*>(entry->object())->zset();
    const size_t n = dont_sort ? window->length() : z.Size();
    if (n == 0) return;
    items->reserve(n);
    z.Walk(dont_sort ? static_cast<size_t>(window->start) : 0, dont_sort && desc,
           [&](std::string_view member, double) { return add(member), items->size() < n; });
    if (!dont_sort) return;
  }
  window->end -= window->start;
  window->start = 0;
}

// Stores the output under the destination as a list (missing GET values as empty strings),
// or deletes the destination when there is nothing. Replies the number of elements stored.
void StoreOutput(CommandContext& ctx, const SortRequest& req, const std::vector<SortItem>& items,
                 SortWindow window) {
  PatternLookup lookup(ctx);
  const list::Limits limits = list::LimitsOf(ctx);
  list::List out;
  for (int64_t j = window.start; j <= window.end; j++) {
    const std::string& element = items[static_cast<size_t>(j)].element;
    if (req.gets.empty()) out.Push(list::End::kTail, element, limits);
    for (std::string_view get : req.gets) {
      out.Push(list::End::kTail, lookup.Find(get, element).value_or(""), limits);
    }
  }
  const auto stored = static_cast<int64_t>(out.Size());
  daemon::KeyRef ref = ctx.keyspace().Locate(*req.store, Lookup::kWrite);
  if (stored > 0) {
    ctx.keyspace().SetObject(ref, std::make_unique<list::ListValue>(std::move(out)),
                             daemon::Ttl::Clear());
    ctx.Notify(daemon::kEventList, "sortstore", *req.store);
  } else if (ctx.keyspace().Delete(ref)) {
    ctx.Notify(daemon::kEventGeneric, "del", *req.store);
  }
  ctx.reply.Integer(stored);
}

void SortGeneric(CommandContext& ctx, bool read_only) {
  SortRequest req;
  if (!ParseSortOrReply(ctx, read_only, &req)) return;
  const daemon::Entry* entry = ctx.keyspace().Find(ctx.args[1], Lookup::kRead);
  size_t size = 0;
  bool is_set = false;
  if (entry) {
    const daemon::ValueType& type = entry->type();
    if (&type == &list::kListType) {
      size = static_cast<const list::ListValue*>(entry->object())->list().Size();
    } else if (&type == &set::kSetType) {
      size = static_cast<const set::SetValue*>(entry->object())->set().Size();
      is_set = true;
    } else if (&type == &zset::kZsetType) {
      size = static_cast<const zset::ZsetValue*>(entry->object())->zset().Size();
    } else {
      return ctx.reply.Error(daemon::kErrWrongType);
    }
  }
  // A set has no order of its own: stored unsorted, or returned to a script, it is sorted ALPHA
  // so that the result does not depend on how the set is laid out (as Redis does, for
  // replication and for scripts' determinism).
  if (req.dont_sort && is_set && (req.store || ctx.conn.is_script_client())) {
    req.dont_sort = false;
    req.order.alpha = true;
    req.by.reset();
  }
  req.order.by_pattern = req.by.has_value();
  req.order.store = req.store.has_value();

  SortWindow window = ClampSortLimit(req.limit_offset, req.limit_count, size);
  std::vector<SortItem> items;
  LoadElements(entry, req.dont_sort, req.order.desc, &window, &items);

  if (!req.dont_sort) {
    PatternLookup lookup(ctx);
    bool not_a_double = false;
    for (SortItem& item : items) {
      std::optional<std::string_view> weight = item.element;
      if (req.by) {
        weight = lookup.Find(*req.by, item.element);
        if (!weight) continue;  // weight 0, or first in an ALPHA sort
      }
      if (req.order.alpha) {
        if (req.by) item.by.emplace(*weight);
      } else if (!ParseSortScore(*weight, &item.score)) {
        not_a_double = true;
      }
    }
    if (not_a_double) {
      return ctx.reply.Error("ERR One or more scores can't be converted into double");
    }
    SortItems(&items, req.order);
  }

  if (req.store) return StoreOutput(ctx, req, items, window);
  const size_t per_element = req.gets.empty() ? 1 : req.gets.size();
  ctx.reply.ArrayHeader(static_cast<int64_t>(per_element * window.length()));
  PatternLookup lookup(ctx);
  for (int64_t j = window.start; j <= window.end; j++) {
    const std::string& element = items[static_cast<size_t>(j)].element;
    if (req.gets.empty()) ctx.reply.Bulk(element);
    for (std::string_view get : req.gets) {
      const std::optional<std::string_view> value = lookup.Find(get, element);
      if (value) {
        ctx.reply.Bulk(*value);
      } else {
        ctx.reply.Null();
      }
    }
  }
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst]
void CmdSort(CommandContext& ctx) { SortGeneric(ctx, false); }
// SORT_RO: the same without STORE.
void CmdSortRo(CommandContext& ctx) { SortGeneric(ctx, true); }

// SORT's keys: the key sorted and the last STORE's destination, found as Redis's sortGetKeys
// skips the options' arguments (LIMIT two, GET and BY one).
daemon::KeyRange SortKeys(daemon::Args args) {
  size_t store_at = 0;
  for (size_t i = 2; i < args.size(); i++) {
    if (IsArg(args[i], "LIMIT")) {
      i += 2;
    } else if (IsArg(args[i], "GET") || IsArg(args[i], "BY")) {
      i += 1;
    } else if (IsArg(args[i], "STORE") && i + 1 < args.size()) {
      store_at = i + 1;
    }
  }
  if (store_at == 0) return {1, 1, 1};
  const int at = static_cast<int>(store_at);
  return {1, at, at - 1};
}

constexpr std::string_view kSortComplexity =
    "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
    "number of returned elements. When the elements are not sorted, complexity is O(N).";

}  // namespace

void RegisterSortCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "generic");
  group.Add({.name = "sort",
             .arity = -2,
             .flags = kCmdWrite | kCmdDenyOom | kCmdMovableKeys,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_range = SortKeys,
             .handler = CmdSort,
             .since = "1.0.0",
             .summary = "Sort the elements in a list, set or sorted set",
             .complexity = kSortComplexity,
             .syntax = "key [BY pattern:pattern] [LIMIT offset:integer count:integer] "
                       "[GET pattern:pattern ...] [ASC | DESC] [ALPHA] [STORE destination:key]",
             // The key sorted is read, as Redis's first key spec says (its others, for STORE and
             // the patterns, have no equivalent here).
             .key_flags = {"RO", "access"},
             .acl_categories = {"@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"}});
  group.Add(
      {.name = "sort_ro",
       .arity = -2,
       .flags = kCmdReadonly | kCmdMovableKeys,
       .first_key = 1,
       .last_key = 1,
       .key_step = 1,
       .handler = CmdSortRo,
       .since = "7.0.0",
       .summary = "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
       .complexity = kSortComplexity,
       .syntax = "key [BY pattern:pattern] [LIMIT offset:integer count:integer] "
                 "[GET pattern:pattern ...] [ASC | DESC] [ALPHA]",
       .acl_categories = {"@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"}});
}

}  // namespace pylon::keys
