// End-to-end harness: starts a real pylond on a free loopback port and talks to it over sockets,
// through hiredis (Command) or byte for byte (RawClient).
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::e2e {

// One reply, owned and comparable, for RESP2 (through hiredis) and RESP3 (through RawClient).
struct Reply {
  enum class Type {
    kStatus,
    kError,
    kInteger,
    kBulk,
    kNil,
    kArray,
    kMap,  // elements hold key, value, key, value ...
    kSet,
    kDouble,
    kBool,
    kVerbatim,  // str holds the text without the "txt:" prefix
    kBigNumber,
    kPush,
    kNone,  // no reply: the connection failed, timed out or was closed; str says why
  };

  Type type = Type::kNone;
  std::string str;
  int64_t integer = 0;
  std::vector<Reply> elements;

  static Reply Status(std::string s) { return {Type::kStatus, std::move(s), 0, {}}; }
  static Reply Error(std::string s) { return {Type::kError, std::move(s), 0, {}}; }
  static Reply Bulk(std::string s) { return {Type::kBulk, std::move(s), 0, {}}; }
  static Reply Int(int64_t n) { return {Type::kInteger, "", n, {}}; }
  static Reply Nil() { return {Type::kNil, "", 0, {}}; }
  static Reply Array(std::vector<Reply> e) { return {Type::kArray, "", 0, std::move(e)}; }
  static Reply Map(std::vector<Reply> e) { return {Type::kMap, "", 0, std::move(e)}; }
  static Reply Ok() { return Status("OK"); }

  bool is_error() const { return type == Type::kError; }
  bool is_none() const { return type == Type::kNone; }
  // For maps and flat key/value arrays (RESP2 HELLO, CONFIG GET): the value after `key`.
  const Reply* Field(std::string_view key) const;
  // The bulk/status strings of an array or set, in order.
  std::vector<std::string> Strings() const;
  std::string Describe() const;

  bool operator==(const Reply& other) const = default;
};

std::ostream& operator<<(std::ostream& os, const Reply& reply);

// --- hiredis ---------------------------------------------------------------------------------

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Connection = std::unique_ptr<redisContext, ContextDeleter>;

// Connects with a 5 s connect and read timeout (a broken server fails the test, never hangs it).
Connection ConnectTcp(int port);
Connection ConnectUnix(const std::string& path);
// Binary-safe; a connection error comes back as a kNone reply.
Reply Command(redisContext* ctx, const std::vector<std::string>& args);
inline Reply Command(const Connection& c, const std::vector<std::string>& args) {
  return Command(c.get(), args);
}
// Pipelining: queue without waiting, then read the replies one by one.
void Append(const Connection& c, const std::vector<std::string>& args);
Reply GetReply(const Connection& c);
// True once the server has closed this connection (a read returns EOF or a reset).
bool IsClosedByServer(const Connection& c);

// The RESP2 encoding of a command, as a client library writes it.
std::string Encode(const std::vector<std::string>& args);

// --- raw sockets -----------------------------------------------------------------------------

// A plain socket for protocol-level assertions: exact bytes out, exact bytes in. Reads give up
// after 5 s, so a missing reply fails instead of hanging.
class RawClient {
 public:
  explicit RawClient(int port);
  explicit RawClient(const std::string& unix_path);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  RawClient(RawClient&& other) noexcept;

  bool connected() const { return fd_ >= 0; }
  // Sends every byte; false if the peer closed or reset the connection before all were sent.
  bool Send(std::string_view bytes);
  // Up to n bytes: fewer only if the connection closed or the read timed out.
  std::string ReadExactly(size_t n);
  // Through the next "\r\n" (included); whatever arrived if the connection closed first.
  std::string ReadLine();
  // Everything until the server closes; closed() tells whether it did (vs a timeout).
  std::string ReadUntilClosed();
  // Parses one RESP2 or RESP3 reply; kNone if the connection closed or timed out.
  Reply ReadReply();
  // Sends the command RESP-encoded and parses its reply.
  Reply Call(const std::vector<std::string>& args);
  bool closed() const { return eof_; }
  void Close();

 private:
  bool Fill();  // one recv into buf_; false on EOF, reset or timeout
  std::optional<std::string> TakeLine();
  bool ParseReply(Reply* out);

  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

// A directory under /tmp (mkdtemp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// --- the server ------------------------------------------------------------------------------

struct ServerOptions {
  std::string config_file;  // passed first, before every directive, when not empty
  // Extra command-line directives: {"--timeout", "10"}; "$PORT" in an argument is replaced by
  // the server's port (known before it starts), "$DIR" by the
  // server's temporary directory.
  std::vector<std::string> args;
  bool test_clock = true;  // --enable-test-clock yes
  // Ready once the append-only log is loaded (a PING is not answered -LOADING), not merely once
  // the port accepts. Off by default: the probe's PING would show in the server's statistics.
  bool wait_loaded = false;
};

class PylonServer {
 public:
  explicit PylonServer(std::vector<std::string> args = {});
  explicit PylonServer(ServerOptions options);
  ~PylonServer();
  PylonServer(const PylonServer&) = delete;
  PylonServer& operator=(const PylonServer&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }
  bool running() const { return pid_ > 0; }

  Connection Connect() const { return ConnectTcp(port_); }
  RawClient Raw() const { return RawClient(port_); }

  // Sends `sig` and returns the exit status (128 + signal if killed by one). A server that does
  // not exit within 10 s is killed with SIGKILL and the test fails.
  int Stop(int sig = SIGTERM);
  void Signal(int sig);
  // Waits (bounded) for an exit the server started itself (SHUTDOWN); nullopt if it did not.
  std::optional<int> WaitForExit();
  // The server's stdout and stderr so far.
  std::string Output() const;

 private:
  bool Start(const ServerOptions& options);

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Runs pylond with exactly `args` (expecting it to exit, as with a bad configuration) and captures
// its exit status and output. A pylond still running after 10 s is killed and reported as -1.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunPylond(const std::vector<std::string>& args);

// A free TCP port on 127.0.0.1 (bound to port 0, then released).
int FreePort();

// The CLIENT LIST line of the client with this id, as seen from `c`; empty if it is not listed.
std::string ClientListLine(const Connection& c, int64_t id);

// Splits on '\n', dropping one trailing empty piece and any '\r'.
std::vector<std::string> Lines(std::string_view text);
// The value of `field` in "a=1 b=2" (CLIENT LIST) or "a:1\r\nb:2" (INFO); nullopt if absent.
std::optional<std::string> ClientField(std::string_view line, std::string_view field);
std::optional<std::string> InfoField(std::string_view info, std::string_view field);

}  // namespace pylon::e2e

// Failure messages show optional strings (ClientField, InfoField) instead of "{?}".
template <>
struct Catch::StringMaker<std::optional<std::string>> {
  static std::string convert(const std::optional<std::string>& value) {
    return value ? ::Catch::Detail::stringify(*value) : "(absent)";
  }
};
