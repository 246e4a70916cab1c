// client-output-buffer-limit: a client whose unsent replies pass the hard limit, or stay over
// the soft one for longer than its seconds, is closed. Checked after each command (a client
// that pipelines without reading), by the pub/sub fan-out and by the cron.
//
// A client with subscriptions is of the pubsub class, whatever its protocol (Redis counts a
// RESP3 subscriber as normal, whose default is no limit: a slow one could grow unbounded).
#pragma once

#include <cstdint>

namespace pylon::daemon {

struct Config;
struct Stats;
class Connection;

class OutputLimits {
 public:
  OutputLimits(const Config& config, Stats& stats) : config_(config), stats_(stats) {}

  // Closes the client (true) when it is over its limit.
  bool CloseIfOver(Connection* conn, int64_t now_ms);
  // The check alone (it starts or clears the soft-limit timer), and the close, for the pub/sub
  // fan-out, which closes only once it is done.
  bool Over(Connection* conn, int64_t now_ms);
  void Close(Connection* conn);

 private:
  const Config& config_;
  Stats& stats_;
};

}  // namespace pylon::daemon
