#include "modules/scripting/function_libraries.h"

#include <strings.h>

#include "protocol/request_parser.h"

namespace pylon::scripting {
namespace {

constexpr std::string_view kBadName =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one "
    "character long";
constexpr size_t kFunctionOverhead = 64;  // besides the name and description: entry, flags, ref

struct Metadata {
  std::string engine, name;
  std::string_view code;  // from the metadata line's line feed on
};

bool ParseMetadata(std::string_view payload, Metadata* md, std::string* error) {
  if (!payload.starts_with("#!")) {
    *error = "Missing library metadata";
    return false;
  }
  const size_t end = payload.find('\n');
  if (end == std::string_view::npos) {
    *error = "Invalid library metadata";
    return false;
  }
  std::string storage;
  std::vector<std::string_view> parts;
  if (!protocol::SplitArgs(payload.substr(0, end), &storage, &parts) || parts.empty()) {
    *error = "Invalid library metadata";
    return false;
  }
  md->engine = std::string(parts[0].substr(2));
  bool named = false;
  for (size_t i = 1; i < parts.size(); i++) {
    if (parts[i].size() >= 5 && strncasecmp(parts[i].data(), "name=", 5) == 0) {
      if (named) {
        *error = "Invalid metadata value, name argument was given multiple times";
        return false;
      }
      md->name = std::string(parts[i].substr(5));
      named = true;
      continue;
    }
    *error = "Invalid metadata value given: " + std::string(parts[i]);
    return false;
  }
  if (!named) {
    *error = "Library name was not given";
    return false;
  }
  md->code = payload.substr(end);
  return true;
}

// Collects one library's register_function calls while its code runs.
class Collector final : public FunctionRegistrar {
 public:
  Collector(std::string library, const std::function<bool()>& timed_out)
      : library_(std::move(library)), timed_out_(timed_out) {}

  std::string Register(std::string_view name, std::string_view description, int ref,
                       uint32_t flags) override {
    if (!ValidFunctionName(name)) return std::string(kBadName);
    for (const FunctionLibraries::Function& f : functions) {
      if (strcasecmp(f.name.c_str(), std::string(name).c_str()) == 0) {
        return "Function already exists in the library";
      }
    }
    functions.push_back({std::string(name), std::string(description), flags, ref, library_});
    return {};
  }
  bool LoadTimedOut() override { return timed_out_ && timed_out_(); }

  std::vector<FunctionLibraries::Function> functions;

 private:
  std::string library_;
  const std::function<bool()>& timed_out_;
};

// Function names are case-insensitive (library names are not), as in Redis: functions_ is keyed
// by the lower-case name.
std::string FoldCase(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

bool ValidFunctionName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

FunctionLibraries::FunctionLibraries(Lrand48& random)
    : random_(random), engine_(std::make_unique<LuaEngine>(LuaEngine::Mode::kFunction, random)) {}

std::string FunctionLibraries::Load(std::string_view payload, bool replace,
                                    const std::function<bool()>& timed_out, std::string* error) {
  Metadata md;
  if (!ParseMetadata(payload, &md, error)) return {};
  if (!ValidFunctionName(md.name)) {
    *error = std::string(kBadName);
    return {};
  }
  if (strcasecmp(md.engine.c_str(), "lua") != 0) {
    *error = "Engine '" + md.engine + "' not found";
    return {};
  }
  auto old = libraries_.find(md.name);
  if (old != libraries_.end() && !replace) {
    *error = "Library '" + md.name + "' already exists";
    return {};
  }
  Collector collector(md.name, timed_out);
  auto discard = [&] {
    for (const Function& f : collector.functions) engine_->Release(f.ref);
    return std::string();
  };
  if (!engine_->LoadLibrary(md.code, collector, error)) return discard();
  if (collector.functions.empty()) {
    *error = "No functions registered";
    return discard();
  }
  for (const Function& f : collector.functions) {
    auto it = functions_.find(FoldCase(f.name));
    // A function of the library being replaced may keep its name.
    if (it != functions_.end() && it->second.library != md.name) {
      *error = "Function " + f.name + " already exists";
      return discard();
    }
  }
  if (old != libraries_.end()) Unlink(old->second);
  Library library{md.name, std::string(payload), {}};
  memory_ += library.name.size() + library.code.size();
  for (Function& f : collector.functions) {
    library.functions.push_back(f.name);
    memory_ += f.name.size() + f.description.size() + kFunctionOverhead;
    std::string key = FoldCase(f.name);
    functions_.emplace(std::move(key), std::move(f));
  }
  libraries_.insert_or_assign(md.name, std::move(library));
  return md.name;
}

void FunctionLibraries::Unlink(const Library& library) {
  for (const std::string& name : library.functions) {
    auto it = functions_.find(FoldCase(name));
    if (it == functions_.end()) continue;
    memory_ -= it->second.name.size() + it->second.description.size() + kFunctionOverhead;
    engine_->Release(it->second.ref);
    functions_.erase(it);
  }
  memory_ -= library.name.size() + library.code.size();
}

bool FunctionLibraries::Delete(std::string_view name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  Unlink(it->second);
  libraries_.erase(it);
  return true;
}

void FunctionLibraries::Flush() {
  libraries_.clear();
  functions_.clear();
  memory_ = 0;
  engine_ = std::make_unique<LuaEngine>(LuaEngine::Mode::kFunction, random_);
}

const FunctionLibraries::Function* FunctionLibraries::Find(std::string_view name) const {
  auto it = functions_.find(FoldCase(name));
  return it == functions_.end() ? nullptr : &it->second;
}

const FunctionLibraries::Library* FunctionLibraries::FindLibrary(std::string_view name) const {
  auto it = libraries_.find(name);
  return it == libraries_.end() ? nullptr : &it->second;
}

}  // namespace pylon::scripting
