// The queue family: Q.PUSH, Q.POP (leases, BLOCK), Q.ACK, Q.NACK, Q.EXTEND, Q.CONFIG, Q.LEN,
// Q.INFO, Q.PEEK, Q.DEAD, Q.REDRIVE, Q.PURGE. Each queue is a typed value in the keyspace
// (TYPE "queue"); its delays, leases and retention run on the server's timed work.
#pragma once

#include "daemon/registry.h"

namespace pylon::queue {

void RegisterQueues(daemon::Registry& registry);

}  // namespace pylon::queue
