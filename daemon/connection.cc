#include "daemon/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "daemon/dispatcher.h"
#include "daemon/server.h"

namespace pylon::daemon {
namespace {

constexpr size_t kReadChunk = 16 * 1024;  // what one read asks for, as Redis's PROTO_IOBUF_LEN
constexpr size_t kMaxWriteViews = 64;

std::string FormatAddress(const sockaddr_storage& ss, bool* loopback) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
    port = ntohs(in->sin_port);
    if (loopback) *loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    return std::string(ip) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
    port = ntohs(in6->sin6_port);
    if (loopback) {
      *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
                  (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
    }
    return std::string(ip) + ":" + std::to_string(port);
  }
  return "?:0";
}

}  // namespace

Connection::Connection(Server* server, uint64_t id, Transport transport)
    : server_(server), id_(id), transport_(transport) {
  if (transport == Transport::kTcp) {
    uv_tcp_init(server->loop(), &handle_.tcp);
  } else if (transport == Transport::kUnix) {
    uv_pipe_init(server->loop(), &handle_.pipe, 0);
  } else {
    std::memset(&handle_, 0, sizeof(handle_));
  }
  handle_.handle.data = this;
  write_req_.data = this;
  created_ms = last_interaction_ms = server->clock().NowMs();
}

int Connection::fd() const {
  if (transport_ == Transport::kScript) return -1;
  uv_os_fd_t fd = -1;
  uv_fileno(&handle_.handle, &fd);
  return fd;
}

bool Connection::Start() {
  if (transport_ == Transport::kTcp) {
    sockaddr_storage peer{}, local{};
    int len = sizeof(peer);
    if (uv_tcp_getpeername(&handle_.tcp, reinterpret_cast<sockaddr*>(&peer), &len) != 0) {
      return false;
    }
    len = sizeof(local);
    uv_tcp_getsockname(&handle_.tcp, reinterpret_cast<sockaddr*>(&local), &len);
    addr_ = FormatAddress(peer, &loopback_);
    laddr_ = FormatAddress(local, nullptr);
    uv_tcp_nodelay(&handle_.tcp, 1);
    if (server_->config().tcp_keepalive > 0) {
      uv_tcp_keepalive(&handle_.tcp, 1, server_->config().tcp_keepalive);
    }
  } else {
    // As Redis: a unix socket client shows the socket path with port 0.
    addr_ = laddr_ = server_->config().unixsocket + ":0";
    loopback_ = true;
  }
  authenticated = !server_->auth_required();
  reading_ = uv_read_start(stream(), OnAlloc, OnRead) == 0;
  return reading_;
}

void Connection::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  if (c->in_cap_ - c->in_end_ < kReadChunk) {
    size_t pending = c->in_end_ - c->in_start_;
    if (c->in_start_ > 0 && c->in_cap_ - pending >= kReadChunk) {
      // Room appears by moving the unparsed tail to the front.
      std::memmove(c->in_.get(), c->in_.get() + c->in_start_, pending);
    } else {
      size_t cap = std::max(c->in_cap_ * 2, pending + kReadChunk);
      auto grown = std::make_unique<char[]>(cap);
      if (pending) std::memcpy(grown.get(), c->in_.get() + c->in_start_, pending);
      c->in_ = std::move(grown);
      c->in_cap_ = cap;
    }
    c->in_start_ = 0;
    c->in_end_ = pending;
  }
  *buf = uv_buf_init(c->in_.get() + c->in_end_, static_cast<unsigned>(c->in_cap_ - c->in_end_));
}

void Connection::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<Connection*>(s->data);
  if (nread < 0) {
    // EOF or a reset: replies owed to a client that is gone are dropped, as Redis does.
    c->Close();
    return;
  }
  if (nread == 0) return;  // EAGAIN
  c->in_end_ += static_cast<size_t>(nread);
  c->server_->stats().net_input_bytes += static_cast<uint64_t>(nread);
  c->last_interaction_ms = c->server_->clock().NowMs();
  c->ProcessInput();
}

void Connection::ProcessInput() {
  Server& server = *server_;
  protocol::ParseLimits limits;
  limits.max_bulk_len = server.config().proto_max_bulk_len;
  while (!closing_ && !close_after_reply_ && !blocked && !forward_trace && in_start_ < in_end_) {
    limits.authenticated = authenticated || !server.auth_required();
    std::string_view pending(in_.get() + in_start_, in_end_ - in_start_);
    protocol::ParseStatus status = parser_.Parse(pending, limits);
    if (status == protocol::ParseStatus::kNeedMore) break;
    if (status == protocol::ParseStatus::kError) {
      std::string text = "ERR ";
      text += parser_.error();
      writer_.Error(text);
      CountErrorReply(server, text);
      spdlog::debug("protocol error from client id={} addr={}: {}", id_, addr_, parser_.error());
      CloseAfterReply();
      break;
    }
    if (status == protocol::ParseStatus::kCommand) {
      server.dispatcher().Execute(*this, parser_.argv());
      in_start_ += parser_.consumed();
      // The command may have woken clients blocked on a key: they are served before this
      // client's next command, as Redis does.
      // (Not while a script runs: they are served after it, which is atomic.)
      if (server.blocking().has_ready_keys() && !server.scripts().running()) {
        server.blocking().ServeReady();
      }
      // A client that pipelines without reading must not grow our memory past its limit.
      if (server.output_limits().CloseIfOver(this, server.clock().NowMs())) return;
      continue;
    }
    in_start_ += parser_.consumed();
  }
  if (in_start_ == in_end_) in_start_ = in_end_ = 0;
  if (!closing_ &&
      query_buffer_size() > static_cast<size_t>(server.config().client_query_buffer_limit)) {
    spdlog::warn("closing client id={} addr={}: query buffer over client-query-buffer-limit", id_,
                 addr_);
    server.stats().client_qbuf_limit_disconnections++;
    Close();
    return;
  }
  if (!out_.empty()) server.ScheduleFlush(this);
}

void Connection::ReadWhileBusy() {
  if (closing_ || !reading_ || transport_ == Transport::kScript) return;
  uv_buf_t buf;
  OnAlloc(handle(), kReadChunk, &buf);
  const ssize_t n = ::read(fd(), buf.base, buf.len);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    Close();
    return;
  }
  if (n > 0) {
    in_end_ += static_cast<size_t>(n);
    server_->stats().net_input_bytes += static_cast<uint64_t>(n);
    ProcessInput();
  }
  // Replies of this turn that were waiting for the end of the turn (the script started in the
  // same turn) go now too.
  if (!out_.empty()) Flush();
}

void Connection::ReleaseIdleBuffers() {
  if (write_in_flight_) return;
  if (in_start_ == in_end_ && in_cap_ > 0) {
    in_.reset();
    in_cap_ = in_start_ = in_end_ = 0;
  }
  out_.ReleaseMemory();
}

void Connection::StopReading() {
  if (reading_) {
    uv_read_stop(stream());
    reading_ = false;
  }
}

void Connection::CloseAfterReply() {
  if (closing_) return;
  close_after_reply_ = true;
  StopReading();
  server_->ScheduleFlush(this);
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  StopReading();
  server_->Unregister(this);
  uv_close(handle(), OnClose);
}

void Connection::OnClose(uv_handle_t* h) { delete static_cast<Connection*>(h->data); }

void Connection::Flush() {
  flush_scheduled_ = false;
  if (closing_ || write_in_flight_) return;
  while (!out_.empty()) {
    std::string_view views[kMaxWriteViews];
    size_t n = out_.Peek(views, kMaxWriteViews);
    uv_buf_t bufs[kMaxWriteViews];
    for (size_t i = 0; i < n; i++) {
      bufs[i] =
          uv_buf_init(const_cast<char*>(views[i].data()), static_cast<unsigned>(views[i].size()));
    }
    int written = uv_try_write(stream(), bufs, static_cast<unsigned>(n));
    if (written == UV_EAGAIN) written = 0;
    if (written < 0) {
      Close();
      return;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += views[i].size();
    AfterWrite(static_cast<size_t>(written));
    if (static_cast<size_t>(written) < total) {
      // The socket is full: hand the rest to libuv and wait for its callback. The chunks stay
      // put until then because nothing consumes them meanwhile.
      write_bufs_.clear();
      n = out_.Peek(views, kMaxWriteViews);
      write_bytes_ = 0;
      for (size_t i = 0; i < n; i++) {
        write_bufs_.push_back(uv_buf_init(const_cast<char*>(views[i].data()),
                                          static_cast<unsigned>(views[i].size())));
        write_bytes_ += views[i].size();
      }
      if (uv_write(&write_req_, stream(), write_bufs_.data(), static_cast<unsigned>(n), OnWrite) !=
          0) {
        Close();
        return;
      }
      write_in_flight_ = true;
      return;
    }
  }
  if (close_after_reply_) Close();
}

void Connection::AfterWrite(size_t written) {
  out_.Consume(written);
  server_->stats().net_output_bytes += written;
  if (out_.empty()) obuf_soft_since_ms = 0;
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  c->write_in_flight_ = false;
  if (c->closing_) return;
  if (status < 0) {
    c->Close();
    return;
  }
  c->AfterWrite(c->write_bytes_);
  c->Flush();
}

}  // namespace pylon::daemon
