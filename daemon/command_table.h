// The command table, declared as data: each family registers its commands (name, arity, flags,
// key positions, docs) from one function; the dispatcher checks arity, flags and auth centrally,
// and COMMAND / COMMAND DOCS answer from the same entries. docs/commands.md is written by hand;
// a unit test (tests/unit/command_table_test.cc) checks that it has a heading for every command
// the table serves.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/name_map.h"
#include "daemon/family_state.h"
#include "protocol/reply_writer.h"
#include "protocol/text.h"

namespace pylon::daemon {

using common::NameHash;
using common::NameMap;

class Server;
class Connection;
class Keyspace;
class Clock;
struct Config;
class PubSub;
class BlockedClients;
class Cluster;
class ClusterPeers;
class Transactions;
class ScriptRunner;
struct CommandSpec;
class CommandTable;

// Flags, named as Redis's COMMAND INFO shows them; the last ones are Pylon's own and not shown.
enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadonly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubsub = 1u << 4,
  kCmdNoscript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,  // allowed while the log loads
  kCmdStale = 1u << 8,
  kCmdFast = 1u << 9,
  kCmdNoAuth = 1u << 10,   // allowed before AUTH
  kCmdNoMulti = 1u << 11,  // refused inside MULTI
  kCmdAllowBusy = 1u << 12,
  kCmdMovableKeys = 1u << 13,
  // Pylon's own, for the dispatcher (COMMAND does not show them): acts on the transaction
  // itself, so it runs inside MULTI instead of being queued (MULTI, EXEC, DISCARD, WATCH, QUIT,
  // RESET); may run on a RESP2 connection that has subscriptions (Redis's processCommand list);
  // is EXEC (a refused EXEC ends the transaction and answers EXECABORT).
  kCmdTransactionControl = 1u << 24,
  kCmdWhileSubscribed = 1u << 25,
  kCmdExec = 1u << 26,
};

using Args = std::span<const std::string_view>;

// What a handler may use besides its own connection, built once per server. A family file
// includes the headers of the parts it uses (daemon/keyspace.h, ...), never daemon/server.h.
struct HandlerServices {
  Keyspace& keyspace;
  Clock& clock;
  const Config& config;
  PubSub& pubsub;
  BlockedClients& blocking;
  Transactions& transactions;  // MULTI/EXEC and WATCH
  const Cluster& cluster;
  ClusterPeers& peers;  // cluster mode's links to the other nodes (PUBLISH reaches them all)
  FamilyStates& family_states;   // each family's counters and schedules (daemon/family_state.h)
  const CommandTable& commands;  // the table itself, for COMMAND
  ScriptRunner& scripts;         // EVAL, FCALL and their caches (daemon/script_runner.h)
  // The whole server, for the commands that are about the server itself (CONFIG, INFO,
  // SHUTDOWN, CLIENT, AUTH, CLUSTER): only their files include daemon/server.h, and
  // docs/architecture.md names each one and why.
  Server& server;
};

// What a handler gets. args[0] is the command name as sent (args[1] the subcommand, if any).
struct CommandContext {
  HandlerServices& services;
  Connection& conn;
  protocol::ReplyWriter& reply;
  const CommandSpec& cmd;
  Args args;

  Keyspace& keyspace() const { return services.keyspace; }
  Clock& clock() const { return services.clock; }
  const Config& config() const { return services.config; }
  PubSub& pubsub() const { return services.pubsub; }
  BlockedClients& blocking() const { return services.blocking; }
  Transactions& transactions() const { return services.transactions; }
  const Cluster& cluster() const { return services.cluster; }
  ClusterPeers& peers() const { return services.peers; }
  const CommandTable& commands() const { return services.commands; }
  ScriptRunner& scripts() const { return services.scripts; }
  template <typename T>
  T& family_state() const {
    return services.family_states.Get<T>();
  }
  Server& server() const { return services.server; }
  // A keyspace notification of `event` on `key` (daemon/keyspace_events.h), sent when
  // notify-keyspace-events selects `event_class` (one kEvent* bit): "lpush" on a list under
  // kEventList, "del" under kEventGeneric, a family's own under kEventModule.
  void Notify(uint32_t event_class, std::string_view event, std::string_view key) const;
};
using CommandHandler = void (*)(CommandContext&);

// One argument in COMMAND DOCS, parsed from the spec's syntax line.
struct ArgDoc {
  std::string name;
  std::string type;   // string integer double key pattern unix-time pure-token oneof block
  std::string token;  // e.g. "EX" for [EX seconds]
  bool optional = false;
  bool multiple = false;
  int key_spec_index = -1;
  std::vector<ArgDoc> args;  // for oneof / block
};

// The key arguments of one call, for a command whose keys depend on the call.
struct KeyRange {
  int first = 0, last = 0, step = 0;  // as CommandSpec's; first 0: no key
};

struct CommandSpec {
  // Filled by the family at registration.
  std::string_view name;  // lower case; a subcommand's own name ("list" under "client")
  int arity = 0;          // Redis convention: -N means at least N (counting the name)
  // With a negative arity, the most arguments (counting the name) a call may have; 0: no
  // limit. Checked when the command runs (Dispatcher::Call), as Redis's PING and the modules
  // whose grammar it copies check it in the command: a call over it is a failed call, not a
  // rejected one, in INFO's statistics.
  int max_args = 0;
  uint32_t flags = 0;
  int first_key = 0, last_key = 0, key_step = 0;  // as Redis: last -1 means the last argument
  // Commands whose keys follow a count ("numkeys key [key ...]", as EVAL): the count's index.
  // Their first_key/last_key/key_step stay 0, as Redis reports movable keys, unless a key comes
  // before the count (ZUNIONSTORE's destination): then they name it, as Redis's COMMAND does.
  int numkeys_index = 0;
  // Commands whose keys depend on the call in another way (RING.LOCATE without a ring has
  // none): first/last/step for this call. Such a command carries kCmdMovableKeys.
  KeyRange (*key_range)(Args args) = nullptr;
  CommandHandler handler = nullptr;
  std::string_view group;  // Redis's groups: connection, server, generic, string, ...
  std::string_view since;  // version the command appeared in
  std::string_view summary;
  std::string_view complexity;
  // Arguments after the name (and subcommand), in Redis's doc notation with types:
  //   "key [EX seconds:integer | PX milliseconds:integer] [NX | XX] [GET]"
  // lower-case words are arguments (key is typed key), UPPER-CASE words tokens, [..] optional,
  // (..) a required group, | alternatives, ... repetition.
  std::string_view syntax;
  std::vector<std::string_view> tips;  // e.g. "nondeterministic_output"
  // The key spec flags COMMAND shows when Redis's differ from what the flags imply (RW update
  // for a write, RO access for a read): HSETNX's "RW insert", HLEN's bare "RO", ...
  std::vector<std::string_view> key_flags;
  // The ACL categories COMMAND shows when Redis's are not what the flags and group imply
  // (SORT, of group generic, is @write @set @sortedset @list @slow @dangerous): the whole list.
  std::vector<std::string_view> acl_categories;
  // A command of one of Pylon's own families (its group has a version of its own): a write
  // notifies the keys it changed under class 'd' (daemon/keyspace_events.h).
  bool pylon_family = false;

  // Derived at registration.
  std::string fullname;  // "client|list"
  std::vector<ArgDoc> arg_docs;
  const CommandSpec* parent = nullptr;
  NameMap<std::unique_ptr<CommandSpec>> subcommands;
  std::vector<const CommandSpec*> subcommand_order;

  // Statistics for INFO commandstats; counting costs an increment.
  mutable uint64_t calls = 0;
  mutable uint64_t usec = 0;
  mutable uint64_t rejected_calls = 0;
  mutable uint64_t failed_calls = 0;

  bool has_subcommands() const { return !subcommands.empty(); }
  // "ERR wrong number of arguments for '<fullname>' command", Redis's words.
  std::string WrongArity() const {
    return "ERR wrong number of arguments for '" + fullname + "' command";
  }
  bool ArityOk(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }
};

class CommandTable {
 public:
  // Registers a top-level command. A duplicate name aborts start-up: two families must never
  // silently shadow each other.
  CommandSpec& Add(CommandSpec spec);
  // Registers `spec` as a subcommand of the container `parent` (which must exist).
  CommandSpec& AddSubcommand(std::string_view parent, CommandSpec spec);

  // Case-insensitive lookup of a top-level command; nullptr if none.
  const CommandSpec* Find(std::string_view name) const;
  // Resolves a container's subcommand from args[1]; nullptr if unknown.
  static const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view name);
  // Resolves "client|list" style names (as COMMAND INFO accepts them).
  const CommandSpec* FindByFullname(std::string_view fullname) const;

  const std::vector<const CommandSpec*>& all() const { return order_; }
  size_t size() const { return order_.size(); }
  void ResetStats();

 private:
  NameMap<std::unique_ptr<CommandSpec>> commands_;
  std::vector<const CommandSpec*> order_;
};

// How a family registers its commands: each gets the family's group (Redis's COMMAND DOCS
// group) and, when the family names one, the version it came in.
class CommandGroup {
 public:
  CommandGroup(CommandTable& table, std::string_view group, std::string_view since = {})
      : table_(table), group_(group), since_(since) {}
  // A command whose keys are as its entry says (none, or first/last/step, numkeys, key_range).
  CommandSpec& Add(CommandSpec spec);
  // A command whose one key is args[1] (first = last = step = 1), as most families' commands.
  CommandSpec& AddKeyed(CommandSpec spec);

 private:
  CommandTable& table_;
  std::string_view group_, since_;
};

// Parses a syntax line into argument docs; false (and *error) on a malformed line, which is a
// programming error caught at start-up.
bool ParseSyntax(std::string_view syntax, std::vector<ArgDoc>* out, std::string* error);

// Calls fn(index) for each key argument of a command call, from first/last/step or numkeys
// (cluster routing, which must not allocate per request, and COMMAND GETKEYS). Nothing when the
// command has no keys or args is too short.
template <typename Fn>
void ForEachKey(const CommandSpec& spec, Args args, Fn&& fn) {
  const int64_t argc = static_cast<int64_t>(args.size());
  if (spec.numkeys_index > 0) {
    // A destination before the count (ZUNIONSTORE dst numkeys key ...) is first/last/step.
    const int64_t step = spec.key_step > 0 ? spec.key_step : 1;
    for (int64_t i = spec.first_key; i > 0 && i <= spec.last_key && i < argc; i += step) {
      fn(static_cast<size_t>(i));
    }
    int64_t n = 0;
    if (spec.numkeys_index < argc && protocol::ParseInt64(args[spec.numkeys_index], &n)) {
      // Counted from the numkeys argument, never added to it: n may be any 64-bit integer.
      for (int64_t i = spec.numkeys_index + 1; i - spec.numkeys_index <= n && i < argc; i++) {
        fn(static_cast<size_t>(i));
      }
    }
    return;
  }
  const KeyRange range = spec.key_range ? spec.key_range(args)
                                        : KeyRange{spec.first_key, spec.last_key, spec.key_step};
  if (range.first <= 0) return;
  const int64_t last = range.last >= 0 ? range.last : argc + range.last;
  const int64_t step = range.step > 0 ? range.step : 1;
  for (int64_t i = range.first; i <= last && i < argc; i += step) fn(static_cast<size_t>(i));
}
// The same, as a list.
std::vector<size_t> KeyPositions(const CommandSpec& spec, Args args);
// The key spec flags COMMAND shows for a command's keys (RO/RW and access/update).
std::vector<std::string_view> KeySpecFlags(const CommandSpec& spec);

// Names of the flags and ACL categories, as COMMAND INFO lists them.
std::vector<std::string_view> FlagNames(uint32_t flags);
std::vector<std::string_view> AclCategories(const CommandSpec& spec);

}  // namespace pylon::daemon
