// Server-wide counters for INFO stats. Plain integers: counting costs an increment.
#pragma once

#include <cstdint>

#include "daemon/command_table.h"

namespace pylon::daemon {

// Cluster mode's counters (INFO cluster).
struct ClusterStats {
  uint64_t moved = 0;             // -MOVED answered
  uint64_t ask = 0;               // -ASK answered
  uint64_t tryagain = 0;          // -TRYAGAIN answered
  uint64_t forwarded = 0;         // requests relayed to their owner (cluster-forward)
  uint64_t forward_failures = 0;  // of those, answered -CLUSTERDOWN: the owner did not answer
  uint64_t published = 0;         // PUBLISH messages sent to other nodes (one per node)
  uint64_t publish_failures = 0;  // of those, lost: the node could not be reached
  uint64_t keys_sent = 0;         // resharding: keys moved to another node
  uint64_t keys_received = 0;     // resharding: keys moved here
  uint64_t batches_sent = 0;
  uint64_t batches_failed = 0;  // sent again later
};

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
  ClusterStats cluster;

  // instantaneous_ops_per_sec: commands counted over the last samples taken by the cron.
  static constexpr int kSamples = 16;
  uint64_t ops_samples[kSamples] = {};
  int ops_sample_index = 0;
  uint64_t last_sample_commands = 0;
  int64_t last_sample_ms = 0;

  void Reset() { *this = Stats{}; }
};

}  // namespace pylon::daemon
