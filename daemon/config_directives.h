// Internal to the configuration: the table of directives and the value kinds it is made of. One
// entry per directive says how to parse, validate and format it, whether CONFIG SET may change it,
// and where in Config it lives; the file parser, the command line, CONFIG GET and CONFIG SET all
// read this one table, so no directive has logic of its own outside it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/config.h"

namespace pylon::daemon::config_internal {

enum class Kind {
  kInt,             // decimal integer in [min, max]
  kMemory,          // memory value ("100mb") in [min, max], formatted in bytes
  kBool,            // yes | no
  kEnum,            // one of `choices`, case-insensitive, stored lower-case
  kString,          // anything
  kOctal,           // a file mode such as 700, in [min, max]
  kFixed,           // Redis has it, Pylon accepts one value only (choices[0]) for now
  kBind,            // 1..16 addresses
  kOutputLimits,    // <class> <hard> <soft> <seconds>, repeated
  kWords,           // any number of words, checked by whoever reads them
  kKeyspaceEvents,  // notify-keyspace-events class letters (daemon/keyspace_events.h)
};

// Where a directive keeps its value; empty for kinds that know their field (kBind, ...).
using Field = std::variant<std::monostate, int Config::*, int64_t Config::*, bool Config::*,
                           std::string Config::*, std::vector<std::string> Config::*>;

struct Directive {
  std::string_view name;
  Kind kind;
  bool is_mutable;  // CONFIG SET may change it; otherwise start-up only
  Field field = {};
  int64_t min = 0;  // kInt, kMemory, kOctal
  int64_t max = 0;
  std::span<const std::string_view> choices = {};  // kEnum, kFixed
  std::string_view refusal = {};                   // kFixed: why other values are refused
  bool multi = false;           // takes several arguments (CONFIG SET splits its value on spaces)
  std::string_view alias = {};  // an old name that still works, as Redis's "slave-*"
};

// Every directive, sorted by name.
std::span<const Directive> Directives();

// Case-insensitive, by name or alias; nullptr if unknown.
const Directive* FindDirective(std::string_view name);

// Parses `args` into *config; on failure leaves *config unchanged and sets *reason to Redis's
// CONFIG SET wording ("argument couldn't be parsed into an integer").
bool ParseValue(const Directive& d, const std::vector<std::string>& args, Config* config,
                std::string* reason);

// The CONFIG GET form of the current value.
std::string FormatValue(const Directive& d, const Config& config);

// What a valid value looks like, for start-up errors ("must be 0..65535"); "" when the
// reason from ParseValue says it better.
std::string Expectation(const Directive& d);

// Arguments joined by single spaces, as values are shown back (bind, errors).
std::string Join(const std::vector<std::string>& args);

}  // namespace pylon::daemon::config_internal
