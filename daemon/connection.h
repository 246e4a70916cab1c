// One client connection: its socket, input buffer and parser, output buffer and reply writer, and
// the per-client state commands read (protocol version, name, auth, transaction).
//
// Lifetime: the Server owns connections through their handle; a connection is freed only in the
// libuv close callback. Handlers never free a connection: they mark it to close after its reply.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/blocking.h"
#include "daemon/pubsub.h"
#include "daemon/transactions.h"
#include "protocol/reply_buffer.h"
#include "protocol/reply_writer.h"
#include "protocol/request_parser.h"

namespace pylon::daemon {

class Server;
struct CommandSpec;

class Connection {
 public:
  // kScript: the client scripts' commands run as (daemon/script_runner.h): no socket, never
  // listed, never closed; its replies are read back by the script runner.
  enum class Transport { kTcp, kUnix, kScript };

  Connection(Server* server, uint64_t id, Transport transport);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_stream_t* stream() { return &handle_.stream; }
  uv_handle_t* handle() { return &handle_.handle; }

  // After uv_accept: reads addresses and starts reading. False if the socket is already gone.
  bool Start();
  // Closes now, dropping unsent replies; idempotent. The object lives until the close callback.
  void Close();
  // Stops reading, sends what is queued, then closes (QUIT, protocol errors, KILL, shutdown).
  void CloseAfterReply();
  // Frees the input buffer and reply chunks when nothing is pending (an idle client then costs
  // only this object); they come back on the next read.
  void ReleaseIdleBuffers();
  // Writes queued replies (uv_try_write, then uv_write for what the socket did not take).
  void Flush();
  // Parses and runs the buffered commands, until one blocks the client.
  void ProcessInput();
  // While a script keeps the loop busy: reads what the socket has (without the loop), runs it
  // (the dispatcher answers -BUSY to most of it) and writes the replies.
  void ReadWhileBusy();

  bool closing() const { return closing_; }
  bool close_after_reply() const { return close_after_reply_; }
  bool has_pending_output() const { return !out_.empty() || write_in_flight_; }
  // The socket took less than we had: the rest waits for it to drain (a slow reader).
  bool write_blocked() const { return write_in_flight_; }

  protocol::ReplyWriter& reply() { return writer_; }
  protocol::ReplyBuffer& output() { return out_; }
  const protocol::ReplyBuffer& output() const { return out_; }

  uint64_t id() const { return id_; }
  Transport transport() const { return transport_; }
  // The client scripts' commands run as (daemon/script_runner.h).
  bool is_script_client() const { return transport_ == Transport::kScript; }
  const std::string& addr() const { return addr_; }
  const std::string& laddr() const { return laddr_; }
  int fd() const;
  bool is_loopback() const { return loopback_; }

  int resp() const { return writer_.resp(); }
  void set_resp(int v) { writer_.set_resp(v); }

  // Per-client state read and written by commands.
  std::string name;
  std::string lib_name, lib_ver;
  bool authenticated = false;
  MultiState multi;  // MULTI ... EXEC and WATCH (daemon/transactions.h)
  const CommandSpec* last_cmd = nullptr;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // Since when the output buffer has been over the soft limit (0: it is not).
  int64_t obuf_soft_since_ms = 0;
  // Pub/sub (kept by daemon/pubsub.h): the subscriptions, absent when there are none; and
  // Redis's CLIENT_PUBSUB, set by a subscription made under RESP2: until the last one goes,
  // only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET are served.
  std::unique_ptr<ClientSubscriptions> subscriptions;
  bool pubsub_mode = false;
  // Set while blocked on a key (daemon/blocking.h): its later commands wait until it is served.
  std::unique_ptr<BlockedState> blocked;
  // Cluster mode: the connection is another node's link (CLUSTER PEER); the client sent ASKING
  // (for its next command, or its transaction); the trace id of its request being forwarded
  // (daemon/cluster_peers.h; 0: none), during which its later commands wait, and its slot.
  bool peer = false;
  bool asking = false;
  uint64_t forward_trace = 0;
  int forward_slot = -1;

  size_t query_buffer_size() const { return in_end_ - in_start_; }
  size_t query_buffer_free() const { return in_cap_ - in_end_; }

 private:
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClose(uv_handle_t* h);

  void StopReading();
  void AfterWrite(size_t written);

  Server* server_;
  uint64_t id_;
  Transport transport_;
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle_;
  uv_write_t write_req_;
  std::vector<uv_buf_t> write_bufs_;
  size_t write_bytes_ = 0;

  // Input: bytes [in_start_, in_end_) of in_ are unparsed; the parser works in place.
  std::unique_ptr<char[]> in_;
  size_t in_cap_ = 0, in_start_ = 0, in_end_ = 0;
  protocol::RequestParser parser_;

  protocol::ReplyBuffer out_;
  protocol::ReplyWriter writer_{&out_};

  std::string addr_, laddr_;
  bool loopback_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool close_after_reply_ = false;
  bool write_in_flight_ = false;
  bool flush_scheduled_ = false;
  friend class Server;
};

}  // namespace pylon::daemon
