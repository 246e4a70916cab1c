#include "daemon/command_table.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>

#include "daemon/config.h"
#include "daemon/keyspace_events.h"
#include "protocol/text.h"

namespace pylon::daemon {
void CommandContext::Notify(uint32_t event_class, std::string_view event,
                            std::string_view key) const {
  const uint32_t flags = static_cast<uint32_t>(services.config.notify_keyspace_events);
  if ((flags & event_class) == 0) return;
  NotifyKeyspaceEvent(flags, services.pubsub, event_class, event, key);
}

namespace {

// Lower-cases a command name into a stack buffer: no allocation per lookup. Names longer than the
// buffer are never commands.
class LowerName {
 public:
  explicit LowerName(std::string_view s) {
    if (s.size() > sizeof(buf_)) return;
    for (size_t i = 0; i < s.size(); i++) {
      buf_[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    }
    len_ = s.size();
    ok_ = true;
  }
  bool ok() const { return ok_; }
  std::string_view view() const { return {buf_, len_}; }

 private:
  char buf_[64];
  size_t len_ = 0;
  bool ok_ = false;
};

[[noreturn]] void Die(std::string_view what, std::string_view name) {
  spdlog::critical("command table: {} '{}'", what, name);
  std::abort();
}

void Prepare(CommandSpec& spec, const CommandSpec* parent) {
  spec.parent = parent;
  spec.fullname =
      parent ? std::string(parent->name) + "|" + std::string(spec.name) : std::string(spec.name);
  std::string error;
  if (!ParseSyntax(spec.syntax, &spec.arg_docs, &error)) {
    Die("bad syntax line (" + error + ") for", spec.fullname);
  }
  // Key arguments point at the command's key spec (there is one: first/last/step).
  for (auto& arg : spec.arg_docs) {
    if (arg.type == "key") arg.key_spec_index = 0;
  }
}

}  // namespace

CommandSpec& CommandTable::Add(CommandSpec spec) {
  std::string name(spec.name);
  if (commands_.contains(name)) Die("duplicate command", name);
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  Prepare(*owned, nullptr);
  CommandSpec& ref = *owned;
  commands_.emplace(std::move(name), std::move(owned));
  order_.push_back(&ref);
  return ref;
}

CommandSpec& CommandGroup::Add(CommandSpec spec) {
  spec.group = group_;
  if (!since_.empty()) {
    spec.since = since_;
    spec.pylon_family = true;
  }
  return table_.Add(std::move(spec));
}

CommandSpec& CommandGroup::AddKeyed(CommandSpec spec) {
  spec.first_key = spec.last_key = spec.key_step = 1;
  return Add(std::move(spec));
}

CommandSpec& CommandTable::AddSubcommand(std::string_view parent, CommandSpec spec) {
  auto it = commands_.find(parent);
  if (it == commands_.end()) Die("subcommand of an unknown container", parent);
  CommandSpec& container = *it->second;
  std::string name(spec.name);
  if (container.subcommands.contains(name)) Die("duplicate subcommand", name);
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  Prepare(*owned, &container);
  CommandSpec& ref = *owned;
  container.subcommands.emplace(std::move(name), std::move(owned));
  container.subcommand_order.push_back(&ref);
  return ref;
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  LowerName lower(name);
  if (!lower.ok()) return nullptr;
  auto it = commands_.find(lower.view());
  return it == commands_.end() ? nullptr : it->second.get();
}

const CommandSpec* CommandTable::FindSubcommand(const CommandSpec& container,
                                                std::string_view name) {
  LowerName lower(name);
  if (!lower.ok()) return nullptr;
  auto it = container.subcommands.find(lower.view());
  return it == container.subcommands.end() ? nullptr : it->second.get();
}

const CommandSpec* CommandTable::FindByFullname(std::string_view fullname) const {
  size_t bar = fullname.find('|');
  if (bar == std::string_view::npos) return Find(fullname);
  const CommandSpec* container = Find(fullname.substr(0, bar));
  return container ? FindSubcommand(*container, fullname.substr(bar + 1)) : nullptr;
}

void CommandTable::ResetStats() {
  auto reset = [](const CommandSpec& c) {
    c.calls = c.usec = c.rejected_calls = c.failed_calls = 0;
  };
  for (const CommandSpec* c : order_) {
    reset(*c);
    for (const CommandSpec* sub : c->subcommand_order) reset(*sub);
  }
}

std::vector<size_t> KeyPositions(const CommandSpec& spec, Args args) {
  std::vector<size_t> out;
  ForEachKey(spec, args, [&out](size_t i) { out.push_back(i); });
  return out;
}

std::vector<std::string_view> KeySpecFlags(const CommandSpec& spec) {
  if (!spec.key_flags.empty()) return spec.key_flags;
  if (spec.flags & kCmdWrite) return {"RW", "update"};
  if (spec.flags & kCmdReadonly) return {"RO", "access"};
  return {"RO"};
}

std::vector<std::string_view> FlagNames(uint32_t flags) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kCmdWrite, "write"},          {kCmdReadonly, "readonly"},
      {kCmdDenyOom, "denyoom"},      {kCmdAdmin, "admin"},
      {kCmdPubsub, "pubsub"},        {kCmdNoscript, "noscript"},
      {kCmdBlocking, "blocking"},    {kCmdLoading, "loading"},
      {kCmdStale, "stale"},          {kCmdFast, "fast"},
      {kCmdNoAuth, "no_auth"},       {kCmdNoMulti, "no_multi"},
      {kCmdAllowBusy, "allow_busy"}, {kCmdMovableKeys, "movablekeys"},
  };
  std::vector<std::string_view> out;
  for (auto [bit, name] : kNames) {
    if (flags & bit) out.push_back(name);
  }
  return out;
}

std::vector<std::string_view> AclCategories(const CommandSpec& spec) {
  if (!spec.acl_categories.empty()) return spec.acl_categories;
  std::vector<std::string_view> out;
  if (spec.flags & kCmdWrite) out.push_back("@write");
  if (spec.flags & kCmdReadonly) out.push_back("@read");
  std::string_view group = spec.parent ? spec.parent->group : spec.group;
  if (group == "string") out.push_back("@string");
  if (group == "hash") out.push_back("@hash");
  if (group == "list") out.push_back("@list");
  if (group == "set") out.push_back("@set");
  if (group == "sorted_set") out.push_back("@sortedset");
  if (group == "generic") out.push_back("@keyspace");
  out.push_back(spec.flags & kCmdFast ? "@fast" : "@slow");
  if (spec.flags & kCmdAdmin) {
    out.push_back("@admin");
    out.push_back("@dangerous");
  }
  if (spec.flags & kCmdPubsub) out.push_back("@pubsub");
  if (spec.flags & kCmdBlocking) out.push_back("@blocking");
  if (group == "connection") out.push_back("@connection");
  if (group == "transactions") out.push_back("@transaction");
  return out;
}

}  // namespace pylon::daemon
