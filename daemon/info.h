// INFO is assembled from sections that each family registers, so a family's counters appear
// under its own heading (# Ratelimit, # Queues, ...) without INFO knowing the family.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pylon::daemon {

class Server;

struct InfoSection {
  std::string_view name;  // as in the header line: "Server", "Clients", ...
  bool in_default;        // shown by bare INFO (else only by "all"/"everything" or by name)
  void (*write)(Server& server, std::string& out);  // appends "field:value\r\n" lines
  void (*reset)() = nullptr;  // CONFIG RESETSTAT: zeroes the section's counters, if it has any
};

class InfoRegistry {
 public:
  void Add(InfoSection section) { sections_.push_back(section); }
  const std::vector<InfoSection>& all() const { return sections_; }

 private:
  std::vector<InfoSection> sections_;
};

}  // namespace pylon::daemon
