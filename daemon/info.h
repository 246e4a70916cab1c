// INFO is assembled from sections that each family registers, so a family's counters appear
// under its own heading (# Ratelimit, # Queues, ...) without INFO knowing the family.
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::daemon {

struct HandlerServices;

struct InfoSection {
  std::string_view name;  // as in the header line: "Server", "Clients", ...
  bool in_default;        // shown by bare INFO (else only by "all"/"everything" or by name)
  // Appends "field:value\r\n" lines. A family reads its state from services.family_states.
  void (*write)(HandlerServices& services, std::string& out);
  // CONFIG RESETSTAT: zeroes the section's counters, if it has any.
  void (*reset)(HandlerServices& services) = nullptr;
};

class InfoRegistry {
 public:
  // A second section of the same name aborts start-up: INFO would show both under one heading.
  void Add(InfoSection section);
  const std::vector<InfoSection>& all() const { return sections_; }

 private:
  std::vector<InfoSection> sections_;
};

// Writes a section's fields, "name:value\r\n" each, straight into INFO's text: a family lists
// its counters in order instead of spelling out a format string. Nothing is allocated but the
// text's own growth.
class InfoWriter {
 public:
  explicit InfoWriter(std::string& out) : out_(out) {}

  template <std::integral T>
  InfoWriter& Field(std::string_view name, T value) {
    char digits[24];  // the longest 64-bit integer, sign included, is 20 characters
    const char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out_.append(name);
    out_ += ':';
    out_.append(digits, static_cast<size_t>(end - digits));
    out_.append("\r\n");
    return *this;
  }

 private:
  std::string& out_;
};

}  // namespace pylon::daemon
