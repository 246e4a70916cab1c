// The configuration's syntax and entry points: config files (redis.conf syntax, include), the
// command line, CONFIG GET and CONFIG SET. What each directive means is in the table in
// config_directives.cc; nothing here knows a directive by name.
#include "daemon/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "daemon/config_directives.h"
#include "protocol/request_parser.h"
#include "protocol/text.h"

namespace pylon::daemon {
namespace {

using config_internal::Directive;
using config_internal::Directives;
using config_internal::FindDirective;
using config_internal::FormatValue;
using config_internal::ParseValue;

// Redis has no limit and recurses until it runs out of stack; a small one catches mistakes.
constexpr int kMaxIncludeDepth = 16;

struct ParseState {
  std::vector<std::string> files;  // real paths of the files being read, outermost first
  int include_depth = 0;
  bool error_located = false;  // the error already names its file:line (it came from an include)
};

bool ParseText(std::string_view text, std::string_view origin, ParseState* state, Config* config,
               std::string* error);

bool ReadFile(const std::string& path, std::string* content, std::string* why) {
  const bool use_stdin = path == "-";
  const int fd = use_stdin ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = std::strerror(errno);
    return false;
  }
  content->clear();
  char buf[16384];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) content->append(buf, static_cast<size_t>(n));
  }
  const int read_errno = errno;
  if (!use_stdin) close(fd);
  if (n < 0) {
    *why = std::strerror(read_errno);
    return false;
  }
  return true;
}

bool RealPath(const std::string& path, std::string* real, std::string* why) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) == nullptr) {
    *why = std::strerror(errno);
    return false;
  }
  *real = buf;
  return true;
}

bool Include(const std::string& path, ParseState* state, Config* config, std::string* why) {
  if (state->include_depth >= kMaxIncludeDepth) {
    *why = "include nesting deeper than " + std::to_string(kMaxIncludeDepth) + " levels";
    return false;
  }
  std::string real, content, reason;
  if (!RealPath(path, &real, &reason) || !ReadFile(real, &content, &reason)) {
    *why = "can't read include file '" + path + "': " + reason;
    return false;
  }
  if (std::find(state->files.begin(), state->files.end(), real) != state->files.end()) {
    *why = "include cycle:";
    for (const auto& f : state->files) *why += " " + f + " ->";
    *why += " " + real;
    return false;
  }
  state->files.push_back(real);
  state->include_depth++;
  const bool ok = ParseText(content, path, state, config, why);
  state->include_depth--;
  state->files.pop_back();
  return ok;
}

// A multi-value directive given as one string ("normal 1mb 0 0"), as CONFIG SET passes it.
std::vector<std::string> SplitSpaces(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t end = std::min(s.find(' ', i), s.size());
    if (end > i) out.emplace_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

bool Apply(std::string_view name, const std::vector<std::string>& args, ParseState* state,
           Config* config, std::string* why) {
  if (protocol::EqualsIgnoreCase(name, "include")) {
    if (args.size() != 1) {
      *why = "wrong number of arguments for 'include'";
      return false;
    }
    return Include(args[0], state, config, why);
  }
  const Directive* d = FindDirective(name);
  if (d == nullptr) {
    *why = "unknown directive '" + std::string(name) + "'";
    return false;
  }
  if (d->multi ? args.empty() : args.size() != 1) {
    *why = "wrong number of arguments for '" + std::string(d->name) + "'";
    return false;
  }
  // As Redis: a multi-value directive may come as one quoted argument ("normal 1mb 0 0").
  const std::vector<std::string> values =
      d->multi && args.size() == 1 ? SplitSpaces(args[0]) : args;
  std::string reason;
  if (!ParseValue(*d, values, config, &reason)) {
    const std::string expected = config_internal::Expectation(*d);
    *why = "invalid value for '" + std::string(d->name) + "': '" + config_internal::Join(args) +
           "' (" + (expected.empty() ? reason : expected) + ")";
    return false;
  }
  return true;
}

// Prefixes `why` with where it happened, unless an included file already did.
std::string Locate(const std::string& why, const std::string& place, ParseState* state) {
  if (state->error_located) return why + " (included from " + place + ")";
  state->error_located = true;
  return place + ": " + why;
}

bool ParseText(std::string_view text, std::string_view origin, ParseState* state, Config* config,
               std::string* error) {
  std::string storage;
  std::vector<std::string_view> pieces;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    line_no++;
    const size_t first = line.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r\n") - first + 1);
    if (line[0] == '#') continue;

    const std::string place = std::string(origin) + ":" + std::to_string(line_no);
    if (!protocol::SplitArgs(line, &storage, &pieces)) {
      *error = Locate("unbalanced quotes in configuration line", place, state);
      return false;
    }
    if (pieces.empty()) continue;
    const std::vector<std::string> args(pieces.begin() + 1, pieces.end());
    std::string why;
    if (!Apply(pieces[0], args, state, config, &why)) {
      *error = Locate(why, place, state);
      return false;
    }
  }
  return true;
}

std::string SetFailed(std::string_view name, std::string_view reason) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
         std::string(reason);
}

}  // namespace

bool ParseConfigText(std::string_view text, std::string_view origin, Config* config,
                     std::string* error) {
  ParseState state;
  return ParseText(text, origin, &state, config, error);
}

bool ApplyDirective(std::string_view name, const std::vector<std::string>& args, Config* config,
                    std::string* error) {
  ParseState state;
  return Apply(name, args, &state, config, error);
}

bool LoadConfig(const std::vector<std::string>& args, Config* config, std::string* error) {
  *config = Config{};
  ParseState state;
  size_t i = 0;
  if (!args.empty() && !args[0].starts_with("--")) {
    const std::string& file = args[0];
    std::string content, why;
    if (file != "-") {
      if (!RealPath(file, &config->config_file, &why)) {
        *error = "can't open config file '" + file + "': " + why;
        return false;
      }
      state.files.push_back(config->config_file);
    }
    if (!ReadFile(file, &content, &why)) {
      *error = "can't read config file '" + file + "': " + why;
      return false;
    }
    if (!ParseText(content, file == "-" ? "stdin" : file, &state, config, error)) return false;
    i = 1;
  }
  // As redis-server: each --name owns the values up to the next --name, and overrides the file.
  while (i < args.size()) {
    if (!args[i].starts_with("--")) {
      *error =
          "unexpected argument '" + args[i] + "' (directives on the command line start with --)";
      return false;
    }
    const std::string name = args[i].substr(2);
    std::vector<std::string> values;
    for (i++; i < args.size() && !args[i].starts_with("--"); i++) values.push_back(args[i]);
    std::string why;
    if (!Apply(name, values, &state, config, &why)) {
      *error = Locate(why, "--" + name, &state);
      return false;
    }
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> ConfigGet(const Config& config,
                                                           std::string_view pattern) {
  std::vector<std::pair<std::string, std::string>> out;
  if (pattern.find_first_of("*?[") == std::string_view::npos) {
    if (const Directive* d = FindDirective(pattern)) {
      out.emplace_back(std::string(pattern), FormatValue(*d, config));
    }
    return out;
  }
  for (const Directive& d : Directives()) {
    if (protocol::GlobMatch(pattern, d.name, /*nocase=*/true)) {
      out.emplace_back(std::string(d.name), FormatValue(d, config));
    } else if (!d.alias.empty() && protocol::GlobMatch(pattern, d.alias, /*nocase=*/true)) {
      out.emplace_back(std::string(d.alias), FormatValue(d, config));
    }
  }
  return out;
}

bool ConfigSet(Config* config, const std::vector<std::pair<std::string, std::string>>& pairs,
               std::vector<std::string>* changed, std::string* error, const ConfigApplier& apply) {
  // As Redis 7's configSetCommand: names first (the first problem wins, reported with the name as
  // the client spelled it), then every value into a scratch copy, which replaces the live config
  // only if all parsed.
  std::vector<const Directive*> targets;
  for (const auto& [name, value] : pairs) {
    const Directive* d = FindDirective(name);
    if (d == nullptr) {
      *error = "ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'";
      return false;
    }
    if (!d->is_mutable) {
      *error = SetFailed(name, "can't set immutable config");
      return false;
    }
    if (std::find(targets.begin(), targets.end(), d) != targets.end()) {
      *error = SetFailed(name, "duplicate parameter");
      return false;
    }
    targets.push_back(d);
  }
  Config next = *config;
  for (size_t i = 0; i < pairs.size(); i++) {
    const Directive& d = *targets[i];
    const std::string& value = pairs[i].second;
    const std::vector<std::string> args = d.multi ? SplitSpaces(value) : std::vector{value};
    std::string reason;
    if (!ParseValue(d, args, &next, &reason)) {
      *error = SetFailed(d.name, reason);
      return false;
    }
  }
  std::vector<std::string> differ;
  for (const Directive* d : targets) {
    if (FormatValue(*d, *config) != FormatValue(*d, next)) differ.emplace_back(d->name);
  }
  std::string name, reason;
  if (apply && !apply(next, differ, &name, &reason)) {
    *error = SetFailed(name, reason);
    return false;
  }
  changed->insert(changed->end(), differ.begin(), differ.end());
  *config = std::move(next);
  return true;
}

}  // namespace pylon::daemon
