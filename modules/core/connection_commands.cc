// PING ECHO HELLO AUTH SELECT QUIT RESET and CLIENT: the commands about the connection itself.
#include <fmt/format.h>

#include <optional>
#include <string>

#include "common/redis_version.h"
#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/server.h"
#include "modules/core/family.h"
#include "protocol/text.h"

namespace pylon::core {
namespace {

using daemon::CommandContext;
using daemon::CommandSpec;
using daemon::Connection;
using daemon::IsArg;

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

// Pylon has one user, "default", whose password is requirepass (none: any password works).
bool CheckCredentials(const daemon::Server& server, std::string_view user, std::string_view pass) {
  if (user != "default") return false;
  const std::string& required = server.config().requirepass;
  return required.empty() || pass == required;
}

// Client names end up in CLIENT LIST, which is split on spaces: Redis allows only '!'..'~'.
bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// PING [message]
void CmdPing(CommandContext& ctx) {
  if (ctx.conn.pubsub_mode && ctx.conn.resp() == 2) {
    // A subscribed RESP2 connection reads frames: PING answers one, ["pong", message or ""].
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.args.size() == 1 ? std::string_view("") : ctx.args[1]);
  } else if (ctx.args.size() == 1) {
    ctx.reply.Simple("PONG");
  } else {
    ctx.reply.Bulk(ctx.args[1]);
  }
}

// ECHO message
void CmdEcho(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void CmdHello(CommandContext& ctx) {
  daemon::ArgReader reader(ctx.args);
  const int64_t version = reader.HasNext()
                              ? reader.Int(2, 3, "NOPROTO unsupported protocol version",
                                           "ERR Protocol version is not an integer or out of range")
                              : 0;
  std::optional<std::string_view> user, name;
  std::string_view pass;
  while (reader.HasNext()) {
    // An option short of its values is refused by name, as an unknown one is.
    const std::string_view option = reader.Peek();
    if (reader.remaining() >= 3 && reader.Token("AUTH")) {
      user = reader.Next();
      pass = reader.Next();
    } else if (reader.remaining() >= 2 && reader.Token("SETNAME")) {
      name = reader.Next();
    } else {
      reader.Fail(fmt::format("ERR Syntax error in HELLO option '{}'", option));
    }
  }
  if (!reader.Done(ctx)) return;
  Connection& conn = ctx.conn;
  if (user) {
    if (!CheckCredentials(ctx.server(), *user, pass)) {
      ctx.reply.Error(kWrongPass);
      return;
    }
    conn.authenticated = true;
  }
  if (!conn.authenticated && ctx.server().auth_required()) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  if (name) {
    if (!ValidClientName(*name)) {
      ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    conn.name = std::string(*name);
  }
  if (version) conn.set_resp(static_cast<int>(version));
  auto& r = ctx.reply;
  r.MapHeader(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(common::kRedisVersion);
  r.Bulk("proto");
  r.Integer(conn.resp());
  r.Bulk("id");
  r.Integer(static_cast<int64_t>(conn.id()));
  r.Bulk("mode");
  r.Bulk(ctx.cluster().enabled() ? "cluster" : "standalone");
  r.Bulk("role");
  r.Bulk("master");
  r.Bulk("modules");
  r.ArrayHeader(0);
}

// AUTH [username] password
void CmdAuth(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  std::string_view user = "default";
  std::string_view pass = ctx.args[1];
  if (ctx.args.size() == 2) {
    if (!ctx.server().auth_required()) {
      ctx.reply.Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
      return;
    }
  } else {
    user = ctx.args[1];
    pass = ctx.args[2];
  }
  if (!CheckCredentials(ctx.server(), user, pass)) {
    ctx.reply.Error(kWrongPass);
    return;
  }
  ctx.conn.authenticated = true;
  ctx.reply.Ok();
}

// SELECT index
void CmdSelect(CommandContext& ctx) {
  int64_t index;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[1], &index)) return;
  // One database, as Redis in cluster mode, so keys can move between nodes.
  if (index != 0) {
    ctx.reply.Error(ctx.cluster().enabled() ? "ERR SELECT is not allowed in cluster mode"
                                            : "ERR DB index is out of range");
    return;
  }
  ctx.reply.Ok();
}

// QUIT
void CmdQuit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.conn.CloseAfterReply();
}

// RESET
void CmdReset(CommandContext& ctx) {
  Connection& conn = ctx.conn;
  ctx.transactions().End(conn);
  ctx.pubsub().UnsubscribeAll(&conn);  // silently, as Redis
  conn.pubsub_mode = false;
  conn.set_resp(2);
  conn.name.clear();
  conn.authenticated = !ctx.server().auth_required();
  ctx.reply.Simple("RESET");
}

// CLIENT ID
void CmdClientId(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.conn.id())); }

// CLIENT SETNAME connection-name
void CmdClientSetname(CommandContext& ctx) {
  if (!ValidClientName(ctx.args[2])) {
    ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  ctx.conn.name = std::string(ctx.args[2]);
  ctx.reply.Ok();
}

// CLIENT GETNAME
void CmdClientGetname(CommandContext& ctx) {
  if (ctx.conn.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.conn.name);
  }
}

// CLIENT SETINFO LIB-NAME libname | LIB-VER libver   (Redis 7.2; clients send it on connect)
void CmdClientSetinfo(CommandContext& ctx) {
  std::string_view attr = ctx.args[2];
  std::string_view value = ctx.args[3];
  std::string* field = IsArg(attr, "lib-name")  ? &ctx.conn.lib_name
                       : IsArg(attr, "lib-ver") ? &ctx.conn.lib_ver
                                                : nullptr;
  if (!field) {
    ctx.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
    return;
  }
  if (!ValidClientName(value)) {
    ctx.reply.Error("ERR " + protocol::ToLower(attr) +
                    " cannot contain spaces, newlines or special characters.");
    return;
  }
  *field = std::string(value);
  ctx.reply.Ok();
}

enum class ClientType { kAny, kNormal, kReplica, kMaster, kPubsub, kUnknown };

// A client type by name (CLIENT LIST's and CLIENT KILL's TYPE); "ERR Unknown client type '<name>'"
// for another name.
ClientType ReadClientType(daemon::ArgReader& r) {
  const std::string_view name = r.Next();
  if (!r.ok()) return ClientType::kUnknown;
  if (IsArg(name, "normal")) return ClientType::kNormal;
  if (IsArg(name, "slave") || IsArg(name, "replica")) return ClientType::kReplica;
  if (IsArg(name, "master")) return ClientType::kMaster;
  if (IsArg(name, "pubsub")) return ClientType::kPubsub;
  r.Fail(fmt::format("ERR Unknown client type '{}'", name));
  return ClientType::kUnknown;
}

// Pylon has neither replicas nor (yet) subscribers: every client is normal.
bool HasType(const Connection&, ClientType type) {
  return type == ClientType::kAny || type == ClientType::kNormal;
}

// CLIENT LIST [TYPE type] [ID client-id ...]: as Redis, one or the other, not both.
void CmdClientList(CommandContext& ctx) {
  daemon::Server& server = ctx.server();
  std::string out;
  auto list = [&](const Connection& c) { out += ClientInfoLine(server, c) + "\n"; };
  daemon::ArgReader r(ctx.args, 2);
  if (r.remaining() >= 2 && r.Token("ID")) {
    // In the order asked; an ID no client has lists nothing.
    constexpr std::string_view kErrInvalidId = "ERR Invalid client ID";
    while (r.HasNext()) {
      const int64_t id = r.Int(INT64_MIN, INT64_MAX, kErrInvalidId, kErrInvalidId);
      const Connection* c = r.ok() ? server.FindClient(static_cast<uint64_t>(id)) : nullptr;
      if (c) list(*c);
    }
    if (!r.Done(ctx)) return;
  } else {
    const ClientType type =
        r.remaining() == 2 && r.Token("TYPE") ? ReadClientType(r) : ClientType::kAny;
    if (!r.Done(ctx)) return;
    for (const Connection* c : server.clients()) {
      if (HasType(*c, type)) list(*c);
    }
  }
  ctx.reply.Verbatim(out);
}

// CLIENT INFO
void CmdClientInfo(CommandContext& ctx) {
  ctx.reply.Verbatim(ClientInfoLine(ctx.server(), ctx.conn) + "\n");
}

// CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [ADDR a] [LADDR a] [USER u] [SKIPME yes|no]
void CmdClientKill(CommandContext& ctx) {
  daemon::Args args = ctx.args;
  bool old_form = args.size() == 3;
  uint64_t id = 0;
  ClientType type = ClientType::kAny;
  std::string_view addr, laddr, user;
  bool skipme = !old_form;  // with the old form a client may kill itself
  if (old_form) {
    addr = args[2];
  } else {
    // Filters in pairs; one without its value is a syntax error (a read past the end).
    daemon::ArgReader r(args, 2);
    while (r.HasNext()) {
      if (r.Token("ID")) {
        constexpr std::string_view kErrId = "ERR client-id should be greater than 0";
        id = static_cast<uint64_t>(r.Int(1, INT64_MAX, kErrId, kErrId));
      } else if (r.Token("TYPE")) {
        type = ReadClientType(r);
      } else if (r.Token("ADDR")) {
        addr = r.Next();
      } else if (r.Token("LADDR")) {
        laddr = r.Next();
      } else if (r.Token("USER")) {
        user = r.Next();
        if (r.ok() && user != "default") r.Fail(fmt::format("ERR No such user '{}'", user));
      } else if (r.Token("SKIPME")) {
        skipme = r.Choice({"yes", "no"}, daemon::kErrSyntax) == 0;
      } else {
        r.Fail(daemon::kErrSyntax);
      }
    }
    if (!r.Done(ctx)) return;
  }
  int64_t killed = 0;
  std::vector<Connection*> snapshot = ctx.server().clients();
  for (Connection* c : snapshot) {
    if (!addr.empty() && c->addr() != addr) continue;
    if (!laddr.empty() && c->laddr() != laddr) continue;
    if (id && c->id() != id) continue;
    if (!HasType(*c, type)) continue;
    if (skipme && c == &ctx.conn) continue;
    killed++;
    // Killing oneself still delivers this reply first.
    if (c == &ctx.conn) {
      c->CloseAfterReply();
    } else {
      c->Close();
    }
  }
  if (old_form) {
    if (killed == 0) {
      ctx.reply.Error("ERR No such client");
    } else {
      ctx.reply.Ok();
    }
  } else {
    ctx.reply.Integer(killed);
  }
}

// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]: ends a blocked client's wait (Q.POP BLOCK) as if
// it timed out, or with an -UNBLOCKED error.
void CmdClientUnblock(CommandContext& ctx) {
  if (ctx.args.size() > 4) return daemon::ReplySubcommandSyntaxError(ctx);
  // As Redis: the reason is checked before the id.
  daemon::ArgReader r(ctx.args, 3);
  const bool with_error =
      r.HasNext() &&
      r.Choice({"TIMEOUT", "ERROR"}, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR") == 1;
  daemon::ArgReader id_reader(ctx.args, 2);
  const int64_t id = id_reader.Int();
  if (!r.Done(ctx) || !id_reader.CheckOrReply(ctx)) return;
  Connection* target = ctx.server().FindClient(static_cast<uint64_t>(id));
  ctx.reply.Integer(target && ctx.blocking().Unblock(target, with_error) ? 1 : 0);
}

// CLIENT HELP
void CmdClientHelp(CommandContext& ctx) {
  daemon::ReplyHelp(ctx, {
                             "GETNAME",
                             "    Return the name of the current connection.",
                             "ID",
                             "    Return the ID of the current connection.",
                             "INFO",
                             "    Return information about the current client connection.",
                             "KILL <ip:port>",
                             "    Kill connection made from <ip:port>.",
                             "KILL <option> <value> [<option> <value> [...]]",
                             "    Kill connections. Options are:",
                             "    * ADDR (<ip:port>|<unixsocket>:0)",
                             "      Kill connections made from the specified address",
                             "    * LADDR (<ip:port>|<unixsocket>:0)",
                             "      Kill connections made to specified local address",
                             "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                             "      Kill connections by type.",
                             "    * USER <username>",
                             "      Kill connections authenticated by <username>.",
                             "    * SKIPME (YES|NO)",
                             "      Skip killing current connection (default: yes).",
                             "LIST [options ...]",
                             "    Return information about client connections. Options:",
                             "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                             "      Return clients of specified type.",
                             "SETNAME <name>",
                             "    Assign the name <name> to the current connection.",
                             "SETINFO <option> <value>",
                             "    Set client meta attr. Options are:",
                             "    * LIB-NAME: the client lib name.",
                             "    * LIB-VER: the client lib version.",
                             "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                             "    Unblock the specified blocked client.",
                         });
}

}  // namespace

std::string ClientInfoLine(daemon::Server& server, const Connection& c) {
  int64_t now = server.clock().NowMs();
  std::string flags;
  if (c.pubsub_mode) flags += 'P';
  if (c.multi.active) flags += 'x';
  if (c.blocked) flags += 'b';
  if (c.multi.watched_key_touched) flags += 'd';
  if (c.close_after_reply()) flags += 'c';
  if (c.transport() == Connection::Transport::kUnix) flags += 'U';
  if (flags.empty()) flags.push_back('N');  // not = "N": g++ 12 -O3 warns falsely (-Wrestrict)
  const protocol::ReplyBuffer& out = c.output();
  std::string events = "r";
  if (c.has_pending_output()) events += 'w';
  std::string line;
  line.reserve(320);
  auto field = [&line](std::string_view name, const auto& value) {
    if (!line.empty()) line += ' ';
    line += name;
    line += '=';
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(value)>>) {
      line += std::to_string(value);
    } else {
      line += value;
    }
  };
  field("id", c.id());
  field("addr", c.addr());
  field("laddr", c.laddr());
  field("fd", c.fd());
  field("name", c.name);
  field("age", (now - c.created_ms) / 1000);
  field("idle", (now - c.last_interaction_ms) / 1000);
  field("flags", flags);
  field("db", 0);
  field("sub", daemon::PubSub::Count(c, daemon::SubscriptionKind::kChannel));
  field("psub", daemon::PubSub::Count(c, daemon::SubscriptionKind::kPattern));
  field("ssub", daemon::PubSub::Count(c, daemon::SubscriptionKind::kShard));
  field("multi", c.multi.active ? static_cast<int64_t>(c.multi.queued.size()) : int64_t{-1});
  field("qbuf", c.query_buffer_size());
  field("qbuf-free", c.query_buffer_free());
  field("argv-mem", 0);
  field("multi-mem", c.multi.memory);
  field("rbs", protocol::ReplyBuffer::kChunkSize);
  field("rbp", protocol::ReplyBuffer::kChunkSize);
  field("obl", out.size());
  field("oll", 0);
  field("omem", out.empty() ? 0 : out.memory());
  field("tot-mem", out.memory() + c.query_buffer_size() + c.query_buffer_free() + c.multi.memory);
  field("events", events);
  field("cmd", c.last_cmd ? c.last_cmd->fullname : std::string("NULL"));
  field("user", std::string("default"));
  field("redir", -1);
  field("resp", c.resp());
  field("lib-name", c.lib_name);
  field("lib-ver", c.lib_ver);
  return line;
}

void RegisterConnectionCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  t.Add({.name = "ping",
         .arity = -1,
         .max_args = 2,  // Redis checks it in the command: a failed call, not a rejected one
         .flags = kCmdFast | kCmdWhileSubscribed,
         .handler = CmdPing,
         .group = "connection",
         .since = "1.0.0",
         .summary = "Ping the server",
         .complexity = "O(1)",
         .syntax = "[message]",
         .tips = {"request_policy:all_shards", "response_policy:all_succeeded"}});
  t.Add({.name = "echo",
         .arity = 2,
         .flags = kCmdLoading | kCmdStale | kCmdFast,
         .handler = CmdEcho,
         .group = "connection",
         .since = "1.0.0",
         .summary = "Echo the given string",
         .complexity = "O(1)",
         .syntax = "message"});
  t.Add({.name = "hello",
         .arity = -1,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdAllowBusy,
         .handler = CmdHello,
         .group = "connection",
         .since = "6.0.0",
         .summary = "Handshake with Redis",
         .complexity = "O(1)",
         .syntax = "[arguments: protover:integer [AUTH username password] [SETNAME clientname]]"});
  t.Add({.name = "auth",
         .arity = -2,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdAllowBusy,
         .handler = CmdAuth,
         .group = "connection",
         .since = "1.0.0",
         .summary = "Authenticate to the server",
         .complexity = "O(N) where N is the number of passwords defined for the user",
         .syntax = "[username] password"});
  t.Add({.name = "select",
         .arity = 2,
         .flags = kCmdLoading | kCmdStale | kCmdFast,
         .handler = CmdSelect,
         .group = "connection",
         .since = "1.0.0",
         .summary = "Change the selected database for the current connection",
         .complexity = "O(1)",
         .syntax = "index:integer"});
  t.Add({.name = "quit",
         .arity = -1,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdAllowBusy |
                  kCmdTransactionControl | kCmdWhileSubscribed,
         .handler = CmdQuit,
         .group = "connection",
         .since = "1.0.0",
         .summary = "Close the connection",
         .complexity = "O(1)"});
  t.Add({.name = "reset",
         .arity = 1,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdAllowBusy |
                  kCmdTransactionControl | kCmdWhileSubscribed,
         .handler = CmdReset,
         .group = "connection",
         .since = "6.2.0",
         .summary = "Reset the connection",
         .complexity = "O(1)"});

  t.Add({.name = "client",
         .arity = -2,
         .group = "connection",
         .since = "2.4.0",
         .summary = "A container for client connection commands",
         .complexity = "Depends on subcommand."});
  constexpr uint32_t kConn = kCmdNoscript | kCmdLoading | kCmdStale;
  constexpr uint32_t kAdmin = kConn | kCmdAdmin;
  t.AddSubcommand("client", {.name = "id",
                             .arity = 2,
                             .flags = kConn,
                             .handler = CmdClientId,
                             .since = "5.0.0",
                             .summary = "Returns the client ID for the current connection",
                             .complexity = "O(1)"});
  t.AddSubcommand("client", {.name = "setname",
                             .arity = 3,
                             .flags = kConn,
                             .handler = CmdClientSetname,
                             .since = "2.6.9",
                             .summary = "Set the current connection name",
                             .complexity = "O(1)",
                             .syntax = "connection-name"});
  t.AddSubcommand("client", {.name = "getname",
                             .arity = 2,
                             .flags = kConn,
                             .handler = CmdClientGetname,
                             .since = "2.6.9",
                             .summary = "Get the current connection name",
                             .complexity = "O(1)"});
  t.AddSubcommand("client", {.name = "setinfo",
                             .arity = 4,
                             .flags = kConn,
                             .handler = CmdClientSetinfo,
                             .since = "7.2.0",
                             .summary = "Set client or connection specific info",
                             .complexity = "O(1)",
                             .syntax = "(attr: LIB-NAME libname | LIB-VER libver)"});
  t.AddSubcommand("client", {.name = "list",
                             .arity = -2,
                             .flags = kAdmin,
                             .handler = CmdClientList,
                             .since = "2.4.0",
                             .summary = "Get the list of client connections",
                             .complexity = "O(N) where N is the number of client connections",
                             .syntax = "[TYPE (client-type: NORMAL | MASTER | REPLICA | PUBSUB)] "
                                       "[ID client-id:integer ...]",
                             .tips = {"nondeterministic_output"}});
  t.AddSubcommand("client", {.name = "info",
                             .arity = 2,
                             .flags = kConn,
                             .handler = CmdClientInfo,
                             .since = "6.2.0",
                             .summary = "Returns information about the current client connection.",
                             .complexity = "O(1)",
                             .tips = {"nondeterministic_output"}});
  t.AddSubcommand(
      "client",
      {.name = "kill",
       .arity = -3,
       .flags = kAdmin,
       .handler = CmdClientKill,
       .since = "2.4.0",
       .summary = "Kill the connection of a client",
       .complexity = "O(N) where N is the number of client connections",
       .syntax = "(filter: old-format | [ID client-id:integer] [TYPE (client-type: NORMAL | "
                 "MASTER | REPLICA | PUBSUB)] [USER username] [ADDR addr] "
                 "[LADDR laddr] [SKIPME (yes-no: YES | NO)])"});
  t.AddSubcommand("client", {.name = "unblock",
                             .arity = -3,
                             .flags = kAdmin | kCmdLoading | kCmdStale,
                             .handler = CmdClientUnblock,
                             .since = "5.0.0",
                             .summary = "Unblocks a client blocked by a blocking command from a "
                                        "different connection.",
                             .complexity = "O(log N) where N is the number of client connections",
                             .syntax = "client-id:integer [(unblock-type: TIMEOUT | ERROR)]"});
  t.AddSubcommand("client", {.name = "help",
                             .arity = 2,
                             .flags = kCmdLoading | kCmdStale,
                             .handler = CmdClientHelp,
                             .since = "5.0.0",
                             .summary = "Show helpful text about the different subcommands",
                             .complexity = "O(1)"});
}

}  // namespace pylon::core
