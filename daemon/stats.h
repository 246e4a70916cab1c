// Server-wide counters for INFO stats. Plain integers: counting costs an increment.
#pragma once

#include <cstdint>

#include "daemon/command_table.h"

namespace pylon::daemon {

struct Stats {
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t commands_processed = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t error_replies = 0;
  uint64_t client_qbuf_limit_disconnections = 0;
  uint64_t client_outbuf_limit_disconnections = 0;
  uint64_t unexpected_error_replies = 0;
  NameMap<uint64_t> errors_by_code;  // "ERR", "WRONGTYPE", ... (touched only on errors)

  // instantaneous_ops_per_sec: commands counted over the last samples taken by the cron.
  static constexpr int kSamples = 16;
  uint64_t ops_samples[kSamples] = {};
  int ops_sample_index = 0;
  uint64_t last_sample_commands = 0;
  int64_t last_sample_ms = 0;

  void Reset() { *this = Stats{}; }
};

}  // namespace pylon::daemon
