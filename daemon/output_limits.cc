#include "daemon/output_limits.h"

#include <spdlog/spdlog.h>

#include <climits>

#include "daemon/config.h"
#include "daemon/connection.h"
#include "daemon/stats.h"

namespace pylon::daemon {

bool OutputLimits::CloseIfOver(Connection* c, int64_t now_ms) {
  if (!Over(c, now_ms)) return false;
  Close(c);
  return true;
}

bool OutputLimits::Over(Connection* c, int64_t now_ms) {
  const ClientClass cls = c->subscriptions ? ClientClass::kPubsub : ClientClass::kNormal;
  const OutputBufferLimit& limit = config_.output_limits[static_cast<int>(cls)];
  if (!limit.hard_bytes && !limit.soft_bytes) return false;
  size_t used = c->output().size();  // unsent reply bytes: O(1), fine after every command
  if (limit.soft_bytes && used > limit.soft_bytes) {
    if (c->obuf_soft_since_ms == 0) c->obuf_soft_since_ms = now_ms;
  } else {
    c->obuf_soft_since_ms = 0;
  }
  bool over_hard = limit.hard_bytes && used > limit.hard_bytes;
  // Saturated: CONFIG SET takes any non-negative number of seconds, as Redis does.
  const int64_t soft_ms =
      limit.soft_seconds > INT64_MAX / 1000 ? INT64_MAX : limit.soft_seconds * 1000;
  bool over_soft = c->obuf_soft_since_ms && now_ms - c->obuf_soft_since_ms > soft_ms;
  return over_hard || over_soft;
}

void OutputLimits::Close(Connection* c) {
  if (c->closing()) return;
  spdlog::warn("closing client id={} addr={}: output buffer over client-output-buffer-limit",
               c->id(), c->addr());
  stats_.client_outbuf_limit_disconnections++;
  c->Close();
}

}  // namespace pylon::daemon
