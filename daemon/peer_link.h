// A connection from this node to another cluster node, for what one node asks of another: a
// forwarded client request, a resharding batch, a PUBLISH fanned out. Requests go out pipelined
// on one TCP connection; replies come back in order and each is handed whole (its RESP bytes,
// undecoded: a forwarded reply is relayed as it is) to the requester named with the request.
//
// The link connects when it is first used and again after a failure; it never retries a request
// itself. If the peer cannot be reached, closes the connection, or has not answered the oldest
// request within the timeout, every request in flight fails (replies are positional: one lost
// reply loses the order of all that follow) and the connection is dropped; the requester decides
// what to do (answer the client, send the batch again later).
//
// Requesters are told through an interface and a tag rather than a std::function, so a request
// costs no allocation; a requester that goes away first must Forget itself.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::daemon {

class PeerLink {
 public:
  enum class Status { kOk, kUnreachable, kTimeout, kClosed };

  class Requester {
   public:
    // `reply` is one whole RESP reply when status is kOk, else empty; `what` says what failed
    // ("connection refused", "no reply within 2000 ms"). The link may be used again from here.
    virtual void OnPeerReply(uint64_t tag, Status status, std::string_view reply,
                             std::string_view what) = 0;

   protected:
    ~Requester() = default;
  };

  // `hello` is sent first on every new connection (HELLO with the protocol version and the
  // password, the peer handshake), its replies checked and not handed to anyone; `replies` is how
  // many replies it gets.
  PeerLink(uv_loop_t* loop, std::string address, std::string hello, int hello_replies);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  // Queues one request (RESP bytes of one command) whose reply goes to requester->OnPeerReply
  // with `tag`. A request fails at once (inside the call) when no connection can be started
  // (an address that does not resolve).
  void Send(std::string_view request, Requester* requester, uint64_t tag, int64_t timeout_ms);
  // Fails every request in flight with kClosed and `why`, and drops the connection; the link
  // may be used again.
  void Close(std::string_view why);
  // Close, and closes the link's handles: it must not be used again (server shutdown, while the
  // loop still runs to close them).
  void Shutdown(std::string_view why);
  // Its requests still in flight will be answered to nobody. (The destructor answers nobody
  // either: Close first to tell them.)
  void Forget(const Requester* requester);

  // Appends a command as a RESP array of bulk strings.
  static void AppendCommand(std::string* out, const std::vector<std::string_view>& args);

 private:
  // The libuv handles live apart from the link: a dropped connection closes them
  // asynchronously, while the link may already be connecting anew.
  struct Socket {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    PeerLink* link;
    bool connected = false;
    bool writing = false;
    std::string writing_bytes;  // what the write in flight sends
  };
  struct Pending {
    Requester* requester;  // null: the handshake, or forgotten
    uint64_t tag;
    uint64_t deadline;  // uv_now() ms
  };

  bool Connect(std::string* error);
  void WriteMore();
  void OnBytes(const char* data, size_t size);
  // Fails every request in flight and drops the connection.
  void Fail(Status status, std::string_view what);
  void ArmTimer();

  static void OnConnect(uv_connect_t* req, int status);
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnTimer(uv_timer_t* t);
  static void OnSocketClosed(uv_handle_t* h);
  static void OnTimerClosed(uv_handle_t* h);

  uv_loop_t* loop_;
  std::string address_;  // host:port, [v6]:port
  std::string hello_;
  int hello_replies_;
  Socket* socket_ = nullptr;
  uv_timer_t* timer_;    // heap: freed by its close callback, which may run after the link is gone
  uint64_t resets_ = 0;  // Fail calls: a callback may reset the link under OnBytes
  std::string out_;      // requests not yet handed to the socket
  std::string in_;       // bytes read, not yet a whole reply
  size_t in_scanned_ = 0;
  std::deque<Pending> pending_;
};

}  // namespace pylon::daemon
