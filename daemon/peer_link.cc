#include "daemon/peer_link.h"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

#include "protocol/reply_scanner.h"

namespace pylon::daemon {
namespace {

// Splits "host:port" / "[v6]:port" and resolves the host: an address literal directly, a name
// with getaddrinfo (which blocks the loop: members are normally given as addresses).
bool Resolve(const std::string& address, sockaddr_storage* out, std::string* error) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      std::from_chars(address.data() + colon + 1, address.data() + address.size(), port).ec !=
          std::errc()) {
    *error = "bad address";
    return false;
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0 ||
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0) {
    return true;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0 || !found) {
    *error = std::string("cannot resolve ") + host + ": " + gai_strerror(rc);
    return false;
  }
  std::memcpy(out, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return true;
}

}  // namespace

PeerLink::PeerLink(uv_loop_t* loop, std::string address, std::string hello, int hello_replies)
    : loop_(loop),
      address_(std::move(address)),
      hello_(std::move(hello)),
      hello_replies_(hello_replies),
      timer_(new uv_timer_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

PeerLink::~PeerLink() {
  pending_.clear();  // nobody is told: the owner is going away
  if (socket_) {
    socket_->link = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&socket_->tcp), OnSocketClosed);
  }
  if (timer_) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), OnTimerClosed);
  }
}

void PeerLink::Shutdown(std::string_view why) {
  Close(why);
  if (timer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), OnTimerClosed);
    timer_ = nullptr;
  }
}

void PeerLink::AppendCommand(std::string* out, const std::vector<std::string_view>& args) {
  *out += '*';
  *out += std::to_string(args.size());
  *out += "\r\n";
  for (std::string_view a : args) {
    *out += '$';
    *out += std::to_string(a.size());
    *out += "\r\n";
    out->append(a);
    *out += "\r\n";
  }
}

void PeerLink::Send(std::string_view request, Requester* requester, uint64_t tag,
                    int64_t timeout_ms) {
  const uint64_t deadline = uv_now(loop_) + static_cast<uint64_t>(timeout_ms);
  if (!socket_) {
    std::string error;
    if (!Connect(&error)) {
      requester->OnPeerReply(tag, Status::kUnreachable, {}, error);
      return;
    }
    for (int i = 0; i < hello_replies_; i++) pending_.push_back({nullptr, 0, deadline});
  }
  out_.append(request);
  pending_.push_back({requester, tag, deadline});
  if (timer_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(timer_))) ArmTimer();
  WriteMore();
}

void PeerLink::Close(std::string_view why) { Fail(Status::kClosed, why); }

void PeerLink::Forget(const Requester* requester) {
  for (Pending& p : pending_) {
    if (p.requester == requester) p.requester = nullptr;
  }
}

bool PeerLink::Connect(std::string* error) {
  sockaddr_storage addr{};
  if (!Resolve(address_, &addr, error)) return false;
  auto* socket = new Socket;
  socket->link = this;
  uv_tcp_init(loop_, &socket->tcp);
  socket->tcp.data = socket;
  uv_tcp_nodelay(&socket->tcp, 1);
  socket->connect.data = socket;
  const int rc = uv_tcp_connect(&socket->connect, &socket->tcp,
                                reinterpret_cast<const sockaddr*>(&addr), OnConnect);
  if (rc != 0) {
    *error = uv_strerror(rc);
    socket->link = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&socket->tcp), OnSocketClosed);
    return false;
  }
  socket_ = socket;
  out_ = hello_;
  return true;
}

void PeerLink::OnConnect(uv_connect_t* req, int status) {
  Socket* socket = static_cast<Socket*>(req->data);
  PeerLink* link = socket->link;
  if (!link) return;  // dropped meanwhile; its close callback frees it
  if (status != 0) {
    link->Fail(Status::kUnreachable, uv_strerror(status));
    return;
  }
  socket->connected = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&socket->tcp), OnAlloc, OnRead);
  link->WriteMore();
}

void PeerLink::WriteMore() {
  if (!socket_ || !socket_->connected || socket_->writing || out_.empty()) return;
  socket_->writing_bytes.swap(out_);
  out_.clear();
  uv_buf_t buf = uv_buf_init(socket_->writing_bytes.data(),
                             static_cast<unsigned>(socket_->writing_bytes.size()));
  socket_->write.data = socket_;
  socket_->writing = true;
  const int rc =
      uv_write(&socket_->write, reinterpret_cast<uv_stream_t*>(&socket_->tcp), &buf, 1, OnWrite);
  if (rc != 0) {
    socket_->writing = false;
    Fail(Status::kClosed, uv_strerror(rc));
  }
}

void PeerLink::OnWrite(uv_write_t* req, int status) {
  Socket* socket = static_cast<Socket*>(req->data);
  socket->writing = false;
  PeerLink* link = socket->link;
  if (!link) return;
  if (status != 0) {
    link->Fail(Status::kClosed, uv_strerror(status));
    return;
  }
  link->WriteMore();
}

void PeerLink::OnAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  // One loop thread: the bytes are copied out of this buffer before the next read.
  static char scratch[64 * 1024];
  *buf = uv_buf_init(scratch, sizeof(scratch));
}

void PeerLink::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  Socket* socket = static_cast<Socket*>(s->data);
  PeerLink* link = socket->link;
  if (!link) return;
  if (nread < 0) {
    link->Fail(Status::kClosed, nread == UV_EOF ? "connection closed by the peer"
                                                : uv_strerror(static_cast<int>(nread)));
    return;
  }
  if (nread > 0) link->OnBytes(buf->base, static_cast<size_t>(nread));
}

void PeerLink::OnBytes(const char* data, size_t size) {
  in_.append(data, size);
  std::string error;
  size_t done = 0;
  while (!pending_.empty()) {
    size_t end = done;
    const int r = protocol::ScanOne(in_.data(), in_.size(), &end, &error);
    if (r == 0) break;
    if (r < 0) {
      Fail(Status::kClosed, "malformed reply");
      return;
    }
    const Pending p = pending_.front();
    pending_.pop_front();
    const std::string_view reply(in_.data() + done, end - done);
    done = end;
    if (!p.requester) {
      if (reply.starts_with("-")) {
        // The handshake was refused (a wrong password, say): nothing on this link can work.
        spdlog::warn("cluster: {} refused the link's handshake: {}", address_,
                     reply.substr(1, reply.find('\r') - 1));
        Fail(Status::kUnreachable, "handshake refused");
        return;
      }
      continue;
    }
    // The requester may send on this link again from its callback (pending_ grows), or even
    // reset it (a resumed client's SHUTDOWN): then what was read belongs to nobody.
    const uint64_t resets = resets_;
    p.requester->OnPeerReply(p.tag, Status::kOk, reply, {});
    if (resets_ != resets) return;
  }
  if (!pending_.empty() && done == in_.size()) {
    in_.clear();
  } else if (done > 0) {
    in_.erase(0, done);
  }
  if (pending_.empty()) {
    in_.clear();  // bytes nobody asked for: a confused peer; nothing to hand them to
    if (timer_) uv_timer_stop(timer_);
  } else {
    ArmTimer();
  }
}

void PeerLink::Fail(Status status, std::string_view what) {
  std::deque<Pending> failed;
  failed.swap(pending_);
  out_.clear();
  in_.clear();
  resets_++;
  if (timer_) uv_timer_stop(timer_);
  if (socket_) {
    socket_->link = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&socket_->tcp), OnSocketClosed);
    socket_ = nullptr;
  }
  spdlog::debug("cluster: link to {} failed ({}), {} requests in flight", address_, what,
                failed.size());
  // After the link is reset: a requester may send again (on a fresh connection) from here.
  for (const Pending& p : failed) {
    if (p.requester) p.requester->OnPeerReply(p.tag, status, {}, what);
  }
}

void PeerLink::ArmTimer() {
  if (pending_.empty() || !timer_) return;
  const uint64_t now = uv_now(loop_);
  const uint64_t deadline = pending_.front().deadline;
  uv_timer_start(timer_, OnTimer, deadline > now ? deadline - now : 0, 0);
}

void PeerLink::OnTimer(uv_timer_t* t) {
  PeerLink* link = static_cast<PeerLink*>(t->data);
  if (link->pending_.empty()) return;
  if (link->pending_.front().deadline > uv_now(link->loop_)) {
    link->ArmTimer();
    return;
  }
  link->Fail(Status::kTimeout, "no reply within cluster-node-timeout");
}

void PeerLink::OnSocketClosed(uv_handle_t* h) { delete static_cast<Socket*>(h->data); }

void PeerLink::OnTimerClosed(uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); }

}  // namespace pylon::daemon
