// COMMAND and its subcommands: what cluster clients and redis-cli learn about the command table.
// Everything here is generated from the table's entries, so it cannot drift from the dispatcher.
#include <string>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "modules/core/family.h"
#include "protocol/text.h"

namespace pylon::core {
namespace {

using daemon::ArgDoc;
using daemon::CommandContext;
using daemon::CommandSpec;
using protocol::ReplyWriter;

void StatusSet(ReplyWriter& r, const std::vector<std::string_view>& items) {
  r.SetHeader(static_cast<int64_t>(items.size()));
  for (std::string_view s : items) r.Simple(s);
}

void ReplyKeySpecs(ReplyWriter& r, const CommandSpec& c) {
  if (c.first_key <= 0 && c.numkeys_index <= 0) {
    r.SetHeader(0);
    return;
  }
  r.SetHeader(1);
  r.MapHeader(3);
  r.Bulk("flags");
  StatusSet(r, daemon::KeySpecFlags(c));
  r.Bulk("begin_search");
  r.MapHeader(2);
  r.Bulk("type");
  r.Bulk("index");
  r.Bulk("spec");
  r.MapHeader(1);
  r.Bulk("index");
  r.Integer(c.numkeys_index > 0 ? c.numkeys_index : c.first_key);
  r.Bulk("find_keys");
  r.MapHeader(2);
  r.Bulk("type");
  if (c.numkeys_index > 0) {
    // As Redis describes EVAL's keys: the count at the search's start, keys right after it.
    r.Bulk("keynum");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("keynumidx");
    r.Integer(0);
    r.Bulk("firstkey");
    r.Integer(1);
    r.Bulk("keystep");
    r.Integer(1);
    return;
  }
  r.Bulk("range");
  r.Bulk("spec");
  r.MapHeader(3);
  r.Bulk("lastkey");
  r.Integer(c.last_key < 0 ? c.last_key : c.last_key - c.first_key);
  r.Bulk("keystep");
  r.Integer(c.key_step);
  r.Bulk("limit");
  r.Integer(0);
}

// One COMMAND INFO entry: Redis 7's ten fields.
void ReplyCommandInfo(ReplyWriter& r, const CommandSpec& c) {
  r.ArrayHeader(10);
  r.Bulk(c.fullname);
  r.Integer(c.arity);
  StatusSet(r, daemon::FlagNames(c.flags));
  r.Integer(c.first_key);
  r.Integer(c.last_key);
  r.Integer(c.key_step);
  StatusSet(r, daemon::AclCategories(c));
  r.SetHeader(static_cast<int64_t>(c.tips.size()));
  for (std::string_view tip : c.tips) r.Bulk(tip);
  ReplyKeySpecs(r, c);
  r.SetHeader(static_cast<int64_t>(c.subcommand_order.size()));
  for (const CommandSpec* sub : c.subcommand_order) ReplyCommandInfo(r, *sub);
}

void ReplyArgDocs(ReplyWriter& r, const std::vector<ArgDoc>& args) {
  r.ArrayHeader(static_cast<int64_t>(args.size()));
  for (const ArgDoc& a : args) {
    bool has_flags = a.optional || a.multiple;
    int64_t fields = 2 + (a.key_spec_index >= 0) + !a.token.empty() + has_flags + !a.args.empty();
    r.MapHeader(fields);
    r.Bulk("name");
    r.Bulk(a.name);
    r.Bulk("type");
    r.Bulk(a.type);
    if (a.key_spec_index >= 0) {
      r.Bulk("key_spec_index");
      r.Integer(a.key_spec_index);
    }
    if (!a.token.empty()) {
      r.Bulk("token");
      r.Bulk(a.token);
    }
    if (has_flags) {
      std::vector<std::string_view> flags;
      if (a.optional) flags.push_back("optional");
      if (a.multiple) flags.push_back("multiple");
      r.Bulk("flags");
      StatusSet(r, flags);
    }
    if (!a.args.empty()) {
      r.Bulk("arguments");
      ReplyArgDocs(r, a.args);
    }
  }
}

void ReplyCommandDocs(ReplyWriter& r, const CommandSpec& c) {
  std::string_view group = c.parent ? c.parent->group : c.group;
  int64_t fields = 4 + !c.arg_docs.empty() + c.has_subcommands();
  r.MapHeader(fields);
  r.Bulk("summary");
  r.Bulk(c.summary);
  r.Bulk("since");
  r.Bulk(c.since);
  r.Bulk("group");
  r.Bulk(group);
  r.Bulk("complexity");
  r.Bulk(c.complexity);
  if (!c.arg_docs.empty()) {
    r.Bulk("arguments");
    ReplyArgDocs(r, c.arg_docs);
  }
  if (c.has_subcommands()) {
    r.Bulk("subcommands");
    r.MapHeader(static_cast<int64_t>(c.subcommand_order.size()));
    for (const CommandSpec* sub : c.subcommand_order) {
      r.Bulk(sub->fullname);
      ReplyCommandDocs(r, *sub);
    }
  }
}

// COMMAND
void CmdCommand(CommandContext& ctx) {
  const auto& all = ctx.commands().all();
  ctx.reply.ArrayHeader(static_cast<int64_t>(all.size()));
  for (const CommandSpec* c : all) ReplyCommandInfo(ctx.reply, *c);
}

// COMMAND COUNT
void CmdCommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.commands().size()));
}

// COMMAND INFO [command-name ...]
void CmdCommandInfo(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    CmdCommand(ctx);
    return;
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); i++) {
    const CommandSpec* c = ctx.commands().FindByFullname(ctx.args[i]);
    if (c) {
      ReplyCommandInfo(ctx.reply, *c);
    } else {
      ctx.reply.Null();
    }
  }
}

// COMMAND DOCS [command-name ...]
void CmdCommandDocs(CommandContext& ctx) {
  std::vector<const CommandSpec*> found;
  if (ctx.args.size() == 2) {
    found = ctx.commands().all();
  } else {
    for (size_t i = 2; i < ctx.args.size(); i++) {
      if (const CommandSpec* c = ctx.commands().FindByFullname(ctx.args[i])) {
        found.push_back(c);
      }
    }
  }
  ctx.reply.MapHeader(static_cast<int64_t>(found.size()));
  for (const CommandSpec* c : found) {
    ctx.reply.Bulk(c->fullname);
    ReplyCommandDocs(ctx.reply, *c);
  }
}

// COMMAND LIST [FILTERBY (MODULE module-name | ACLCAT category | PATTERN pattern)]
void CmdCommandList(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclcat, kPattern } filter = Filter::kNone;
  std::string_view value;
  daemon::ArgReader r(ctx.args, 2);
  if (r.remaining() == 3 && r.Token("FILTERBY")) {
    constexpr Filter kFilters[] = {Filter::kModule, Filter::kAclcat, Filter::kPattern};
    filter = kFilters[r.Choice({"MODULE", "ACLCAT", "PATTERN"}, daemon::kErrSyntax)];
    value = r.Next();
  }
  if (!r.Done(ctx)) return;
  auto matches = [&](const CommandSpec& c) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;  // no modules
      case Filter::kAclcat:
        for (std::string_view cat : daemon::AclCategories(c)) {
          if (protocol::EqualsIgnoreCase(cat.substr(1), value)) return true;
        }
        return false;
      case Filter::kPattern:
        return protocol::GlobMatch(value, c.fullname, true);
    }
    return false;
  };
  std::vector<const CommandSpec*> out;
  for (const CommandSpec* c : ctx.commands().all()) {
    if (matches(*c)) out.push_back(c);
    for (const CommandSpec* sub : c->subcommand_order) {
      if (matches(*sub)) out.push_back(sub);
    }
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(out.size()));
  for (const CommandSpec* c : out) ctx.reply.Bulk(c->fullname);
}

// Resolves the command named in COMMAND GETKEYS's arguments and its key positions.
bool KeysOrReply(CommandContext& ctx, const CommandSpec** cmd, std::vector<size_t>* keys) {
  daemon::Args call = ctx.args.subspan(2);
  const CommandSpec* c = ctx.commands().Find(call[0]);
  if (c && c->has_subcommands() && call.size() >= 2) {
    c = daemon::CommandTable::FindSubcommand(*c, call[1]);
  }
  // Redis's order: the command, whether it takes keys at all, then its arity.
  if (!c) {
    ctx.reply.Error("ERR Invalid command specified");
    return false;
  }
  if (c->first_key <= 0 && c->numkeys_index <= 0) {
    ctx.reply.Error("ERR The command has no key arguments");
    return false;
  }
  if (!c->ArityOk(call.size())) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return false;
  }
  *keys = daemon::KeyPositions(*c, call);
  *cmd = c;
  return true;
}

// COMMAND GETKEYS command [arg ...]
void CmdCommandGetkeys(CommandContext& ctx) {
  const CommandSpec* cmd;
  std::vector<size_t> keys;
  if (!KeysOrReply(ctx, &cmd, &keys)) return;
  ctx.reply.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (size_t pos : keys) ctx.reply.Bulk(ctx.args[2 + pos]);
}

// COMMAND GETKEYSANDFLAGS command [arg ...]
void CmdCommandGetkeysandflags(CommandContext& ctx) {
  const CommandSpec* cmd;
  std::vector<size_t> keys;
  if (!KeysOrReply(ctx, &cmd, &keys)) return;
  ctx.reply.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (size_t pos : keys) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(ctx.args[2 + pos]);
    StatusSet(ctx.reply, daemon::KeySpecFlags(*cmd));
  }
}

// COMMAND HELP
void CmdCommandHelp(CommandContext& ctx) {
  daemon::ReplyHelp(ctx, {
                             "(no subcommand)",
                             "    Return details about all Redis commands.",
                             "COUNT",
                             "    Return the total number of commands in this Redis server.",
                             "LIST",
                             "    Return a list of all commands in this Redis server.",
                             "INFO [<command-name> ...]",
                             "    Return details about multiple Redis commands.",
                             "    If no command names are given, documentation details for all",
                             "    commands are returned.",
                             "DOCS [<command-name> ...]",
                             "    Return documentation details about multiple Redis commands.",
                             "    If no command names are given, documentation details for all",
                             "    commands are returned.",
                             "GETKEYS <full-command>",
                             "    Return the keys from a full Redis command.",
                             "GETKEYSANDFLAGS <full-command>",
                             "    Return the keys and the access flags from a full Redis command.",
                         });
}

}  // namespace

void RegisterIntrospectionCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  constexpr uint32_t kIntro = kCmdLoading | kCmdStale;
  t.Add({.name = "command",
         .arity = -1,
         .flags = kIntro,
         .handler = CmdCommand,
         .group = "server",
         .since = "2.8.13",
         .summary = "Get array of Redis command details",
         .complexity = "O(N) where N is the total number of Redis commands",
         .tips = {"nondeterministic_output_order"}});
  t.AddSubcommand("command", {.name = "count",
                              .arity = 2,
                              .flags = kIntro,
                              .handler = CmdCommandCount,
                              .since = "2.8.13",
                              .summary = "Get total number of Redis commands",
                              .complexity = "O(1)"});
  t.AddSubcommand(
      "command",
      {.name = "info",
       .arity = -2,
       .flags = kIntro,
       .handler = CmdCommandInfo,
       .since = "2.8.13",
       .summary = "Get array of specific Redis command details, or all when no argument is given.",
       .complexity = "O(N) where N is the number of commands to look up",
       .syntax = "[command-name ...]",
       .tips = {"nondeterministic_output_order"}});
  t.AddSubcommand("command", {.name = "docs",
                              .arity = -2,
                              .flags = kIntro,
                              .handler = CmdCommandDocs,
                              .since = "7.0.0",
                              .summary = "Get array of specific Redis command documentation",
                              .complexity = "O(N) where N is the number of commands to look up",
                              .syntax = "[command-name ...]",
                              .tips = {"nondeterministic_output_order"}});
  t.AddSubcommand("command",
                  {.name = "list",
                   .arity = -2,
                   .flags = kIntro,
                   .handler = CmdCommandList,
                   .since = "7.0.0",
                   .summary = "Get an array of Redis command names",
                   .complexity = "O(N) where N is the total number of Redis commands",
                   .syntax = "[FILTERBY (filterby: MODULE module-name | ACLCAT category | "
                             "PATTERN pattern:pattern)]",
                   .tips = {"nondeterministic_output_order"}});
  t.AddSubcommand("command",
                  {.name = "getkeys",
                   .arity = -4,
                   .flags = kIntro,
                   .handler = CmdCommandGetkeys,
                   .since = "2.8.13",
                   .summary = "Extract keys given a full Redis command",
                   .complexity = "O(N) where N is the number of arguments to the command",
                   .syntax = "command arg ..."});
  t.AddSubcommand("command",
                  {.name = "getkeysandflags",
                   .arity = -4,
                   .flags = kIntro,
                   .handler = CmdCommandGetkeysandflags,
                   .since = "7.0.0",
                   .summary = "Extract keys and access flags given a full Redis command",
                   .complexity = "O(N) where N is the number of arguments to the command",
                   .syntax = "command arg ..."});
  t.AddSubcommand("command", {.name = "help",
                              .arity = 2,
                              .flags = kIntro,
                              .handler = CmdCommandHelp,
                              .since = "5.0.0",
                              .summary = "Show helpful text about the different subcommands",
                              .complexity = "O(1)"});
}

}  // namespace pylon::core
