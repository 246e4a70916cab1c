#include "modules/scripting/script_cache.h"

#include <vector>

#include "modules/scripting/sha1.h"
#include "protocol/request_parser.h"

namespace pylon::scripting {
namespace {

// Redis's estimate of what one cached script costs besides its text (dict entry, name, object
// headers).
constexpr size_t kScriptOverhead = 96;

}  // namespace

bool ParseScriptShebang(std::string_view body, uint32_t* flags, size_t* shebang_len,
                        std::string* error) {
  *flags = kScriptEvalCompat;
  *shebang_len = 0;
  if (!body.starts_with("#!")) return true;
  const size_t end = body.find('\n');
  if (end == std::string_view::npos) {
    *error = "Invalid script shebang";
    return false;
  }
  std::string storage;
  std::vector<std::string_view> parts;
  if (!protocol::SplitArgs(body.substr(0, end), &storage, &parts) || parts.empty()) {
    *error = "Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    *error = "Unexpected engine in script shebang: " + std::string(parts[0]);
    return false;
  }
  uint32_t declared = 0;
  for (size_t i = 1; i < parts.size(); i++) {
    if (!parts[i].starts_with("flags=")) {
      *error = "Unknown lua shebang option: " + std::string(parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    // Comma-separated; an empty list declares no flags (and still leaves compatibility mode).
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view name = list.substr(0, comma);
      const uint32_t flag = ScriptFlagByName(name, false);
      if (!flag) {
        *error = "Unexpected flag in script shebang: " + std::string(name);
        return false;
      }
      declared |= flag;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
      if (list.empty()) {
        *error = "Unexpected flag in script shebang: ";
        return false;
      }
    }
  }
  *flags = declared;
  *shebang_len = end;
  return true;
}

ScriptCache::ScriptCache(Lrand48& random)
    : random_(random), engine_(std::make_unique<LuaEngine>(LuaEngine::Mode::kEval, random)) {}

const ScriptCache::Script* ScriptCache::Find(std::string_view sha) const {
  if (sha.size() != 40) return nullptr;
  // Lower-cased on the stack: EVALSHA's lookup allocates nothing.
  char lower[40];
  for (size_t i = 0; i < 40; i++) {
    const char c = sha[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  auto it = scripts_.find(std::string_view(lower, 40));
  return it == scripts_.end() ? nullptr : &it->second;
}

const ScriptCache::Script* ScriptCache::Load(std::string_view body, std::string* sha,
                                             std::string* error) {
  *sha = Sha1Hex(body);
  auto it = scripts_.find(*sha);
  if (it != scripts_.end()) return &it->second;
  uint32_t flags = 0;
  size_t shebang_len = 0;
  if (!ParseScriptShebang(body, &flags, &shebang_len, error)) {
    error->insert(0, "ERR ");
    return nullptr;
  }
  // The shebang line goes, its line feed stays: line numbers in errors are the script's own.
  const int ref = engine_->Compile(body.substr(shebang_len), "@user_script", error);
  if (ref < 0) {
    error->insert(0, "ERR Error compiling script (new function): ");
    return nullptr;
  }
  memory_ += sha->size() + body.size() + kScriptOverhead;
  auto added = scripts_.emplace(*sha, Script{ref, flags, std::string(body), {}}).first;
  added->second.sha = added->first;
  return &added->second;
}

void ScriptCache::Flush() {
  scripts_.clear();
  memory_ = 0;
  engine_ = std::make_unique<LuaEngine>(LuaEngine::Mode::kEval, random_);
}

}  // namespace pylon::scripting
