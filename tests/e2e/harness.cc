#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace pylon::e2e {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kReadyBound = std::chrono::seconds(10);
constexpr auto kExitBound = std::chrono::seconds(10);
constexpr int kIoTimeoutSeconds = 5;

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string MakeTempDir() {
  char tmpl[] = "/tmp/pylon-e2e-XXXXXX";
  char* dir = mkdtemp(tmpl);
  REQUIRE(dir != nullptr);
  return dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// waitpid with a bound; nullopt if the process is still running at the end of it.
std::optional<int> WaitPid(pid_t pid, Clock::duration bound) {
  auto deadline = Clock::now() + bound;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeStatus(status);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling for an exit
  }
}

// Forks and execs pylond with stdout and stderr sent to the given files.
pid_t Spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path, const std::string& cwd) {
  std::vector<char*> argv;
  std::string path = PYLOND_PATH;
  argv.push_back(path.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err =
        err_path == out_path ? out : open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out < 0 || err < 0 || chdir(cwd.c_str()) != 0) _exit(126);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

void SetIoTimeouts(int fd) {
  timeval tv{kIoTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Whether the port accepts; with `loaded`, also whether a PING is answered with anything but
// -LOADING (the server has its dataset).
bool CanConnect(int port, bool loaded = false) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (ok && loaded) {
    SetIoTimeouts(fd);
    char reply[16] = {};
    ok = write(fd, "PING\r\n", 6) == 6 && read(fd, reply, sizeof reply - 1) > 0 &&
         std::string_view(reply).substr(0, 8) != "-LOADING";
  }
  close(fd);
  return ok;
}

Reply FromHiredis(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      return Reply::Status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(r->str, r->len));
    case REDIS_REPLY_STRING:
      return Reply::Bulk(std::string(r->str, r->len));
    case REDIS_REPLY_INTEGER:
      return Reply::Int(r->integer);
    case REDIS_REPLY_NIL:
      return Reply::Nil();
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      for (size_t i = 0; i < r->elements; i++) out.elements.push_back(FromHiredis(r->element[i]));
      return out;
    default:
      out.str = "unexpected hiredis reply type " + std::to_string(r->type);
      return out;
  }
}

Reply NoReply(std::string why) {
  Reply r;
  r.type = Reply::Type::kNone;
  r.str = std::move(why);
  return r;
}

}  // namespace

// --- Reply -----------------------------------------------------------------------------------

const Reply* Reply::Field(std::string_view key) const {
  if (type != Type::kMap && type != Type::kArray) return nullptr;
  for (size_t i = 0; i + 1 < elements.size(); i += 2) {
    if (elements[i].str == key) return &elements[i + 1];
  }
  return nullptr;
}

std::vector<std::string> Reply::Strings() const {
  std::vector<std::string> out;
  for (const auto& e : elements) out.push_back(e.str);
  return out;
}

std::string Reply::Describe() const {
  auto list = [this](std::string_view open, std::string_view close) {
    std::string s(open);
    for (size_t i = 0; i < elements.size(); i++) {
      if (i) s += (type == Type::kMap && i % 2 == 1) ? " => " : ", ";
      s += elements[i].Describe();
    }
    return s + std::string(close);
  };
  switch (type) {
    case Type::kStatus:
      return "+" + Escape(str);
    case Type::kError:
      return "-" + Escape(str);
    case Type::kInteger:
      return ":" + std::to_string(integer);
    case Type::kBulk:
      return "\"" + Escape(str) + "\"";
    case Type::kNil:
      return "(nil)";
    case Type::kArray:
      return list("[", "]");
    case Type::kMap:
      return list("%{", "}");
    case Type::kSet:
      return list("~{", "}");
    case Type::kPush:
      return list(">[", "]");
    case Type::kDouble:
      return "," + str;
    case Type::kBool:
      return integer ? "#t" : "#f";
    case Type::kVerbatim:
      return "=\"" + Escape(str) + "\"";
    case Type::kBigNumber:
      return "(" + str;
    case Type::kNone:
      return "<no reply: " + str + ">";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, const Reply& reply) { return os << reply.Describe(); }

// --- hiredis ---------------------------------------------------------------------------------

Connection ConnectTcp(int port) {
  Connection c(redisConnectWithTimeout("127.0.0.1", port, timeval{kIoTimeoutSeconds, 0}));
  REQUIRE(c != nullptr);
  INFO("connect to 127.0.0.1:" << port << ": " << c->errstr);
  REQUIRE(c->err == 0);
  REQUIRE(redisSetTimeout(c.get(), timeval{kIoTimeoutSeconds, 0}) == REDIS_OK);
  return c;
}

Connection ConnectUnix(const std::string& path) {
  Connection c(redisConnectUnixWithTimeout(path.c_str(), timeval{kIoTimeoutSeconds, 0}));
  REQUIRE(c != nullptr);
  INFO("connect to " << path << ": " << c->errstr);
  REQUIRE(c->err == 0);
  REQUIRE(redisSetTimeout(c.get(), timeval{kIoTimeoutSeconds, 0}) == REDIS_OK);
  return c;
}

Reply Command(redisContext* ctx, const std::vector<std::string>& args) {
  if (ctx->err) return NoReply(ctx->errstr);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (r == nullptr) return NoReply(ctx->errstr);
  Reply out = FromHiredis(r);
  freeReplyObject(r);
  return out;
}

void Append(const Connection& c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  REQUIRE(redisAppendCommandArgv(c.get(), static_cast<int>(args.size()), argv.data(),
                                 lens.data()) == REDIS_OK);
}

Reply GetReply(const Connection& c) {
  if (c->err) return NoReply(c->errstr);
  void* r = nullptr;
  if (redisGetReply(c.get(), &r) != REDIS_OK || r == nullptr) return NoReply(c->errstr);
  Reply out = FromHiredis(static_cast<redisReply*>(r));
  freeReplyObject(r);
  return out;
}

bool IsClosedByServer(const Connection& c) {
  // Bytes still owed (none expected) are drained; the answer is whether EOF or a reset follows.
  char buf[4096];
  for (;;) {
    pollfd p{c->fd, POLLIN, 0};
    int n = poll(&p, 1, kIoTimeoutSeconds * 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    ssize_t got = recv(c->fd, buf, sizeof buf, 0);
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET || errno == EPIPE;
  }
}

std::string Encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// --- RawClient -------------------------------------------------------------------------------

RawClient::RawClient(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  INFO("raw connect to 127.0.0.1:" << port << ": " << std::strerror(errno));
  REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  SetIoTimeouts(fd_);
}

RawClient::RawClient(const std::string& unix_path) {
  fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(unix_path.size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, unix_path.c_str(), unix_path.size() + 1);
  REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  SetIoTimeouts(fd_);
}

RawClient::RawClient(RawClient&& other) noexcept
    : fd_(other.fd_), buf_(std::move(other.buf_)), eof_(other.eof_) {
  other.fd_ = -1;
}

RawClient::~RawClient() { Close(); }

void RawClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool RawClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawClient::Fill() {
  if (eof_ || fd_ < 0) return false;
  char chunk[65536];
  for (;;) {
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == ECONNRESET || errno == EPIPE) eof_ = true;
    return false;  // EAGAIN: the receive timeout
  }
}

std::string RawClient::ReadExactly(size_t n) {
  while (buf_.size() < n && Fill()) {
  }
  std::string out = buf_.substr(0, n);
  buf_.erase(0, out.size());
  return out;
}

std::optional<std::string> RawClient::TakeLine() {
  size_t searched = 0;
  for (;;) {
    size_t pos = buf_.find("\r\n", searched > 0 ? searched - 1 : 0);
    if (pos != std::string::npos) {
      std::string line = buf_.substr(0, pos + 2);
      buf_.erase(0, pos + 2);
      return line;
    }
    searched = buf_.size();
    if (!Fill()) return std::nullopt;
  }
}

std::string RawClient::ReadLine() {
  if (auto line = TakeLine()) return *line;
  std::string rest = std::move(buf_);
  buf_.clear();
  return rest;
}

std::string RawClient::ReadUntilClosed() {
  while (Fill()) {
  }
  std::string out = std::move(buf_);
  buf_.clear();
  return out;
}

Reply RawClient::ReadReply() {
  Reply r;
  if (!ParseReply(&r)) {
    return NoReply(eof_ ? "connection closed" : "timed out or malformed reply");
  }
  return r;
}

Reply RawClient::Call(const std::vector<std::string>& args) {
  if (!Send(Encode(args))) return NoReply("send failed");
  return ReadReply();
}

bool RawClient::ParseReply(Reply* out) {
  auto line = TakeLine();
  if (!line || line->size() < 3) return false;
  char marker = (*line)[0];
  std::string body = line->substr(1, line->size() - 3);
  auto number = [&body](int64_t* n) {
    char* end = nullptr;
    errno = 0;
    *n = std::strtoll(body.c_str(), &end, 10);
    return errno == 0 && end && *end == '\0' && !body.empty();
  };
  auto blob = [this, &number](std::string* s) {
    int64_t len;
    if (!number(&len) || len < 0) return false;
    size_t want = static_cast<size_t>(len) + 2;
    while (buf_.size() < want) {
      if (!Fill()) return false;
    }
    if (buf_.compare(static_cast<size_t>(len), 2, "\r\n") != 0) return false;
    *s = buf_.substr(0, static_cast<size_t>(len));
    buf_.erase(0, want);
    return true;
  };
  auto aggregate = [this, &number](Reply* target, Reply::Type type, int64_t per_entry) {
    int64_t n;
    if (!number(&n)) return false;
    if (n < 0) {
      *target = Reply::Nil();
      return true;
    }
    target->type = type;
    for (int64_t i = 0; i < n * per_entry; i++) {
      Reply e;
      if (!ParseReply(&e)) return false;
      target->elements.push_back(std::move(e));
    }
    return true;
  };
  switch (marker) {
    case '+':
      *out = Reply::Status(body);
      return true;
    case '-':
      *out = Reply::Error(body);
      return true;
    case ':': {
      int64_t n;
      if (!number(&n)) return false;
      *out = Reply::Int(n);
      return true;
    }
    case '_':
      *out = Reply::Nil();
      return body.empty();
    case ',':
      out->type = Reply::Type::kDouble;
      out->str = body;
      return true;
    case '(':
      out->type = Reply::Type::kBigNumber;
      out->str = body;
      return true;
    case '#':
      out->type = Reply::Type::kBool;
      out->integer = body == "t";
      return body == "t" || body == "f";
    case '$': {
      if (body == "-1") {
        *out = Reply::Nil();
        return true;
      }
      out->type = Reply::Type::kBulk;
      return blob(&out->str);
    }
    case '!':
      out->type = Reply::Type::kError;
      return blob(&out->str);
    case '=': {
      out->type = Reply::Type::kVerbatim;
      if (!blob(&out->str) || out->str.size() < 4 || out->str[3] != ':') return false;
      out->str.erase(0, 4);
      return true;
    }
    case '*':
      return aggregate(out, Reply::Type::kArray, 1);
    case '~':
      return aggregate(out, Reply::Type::kSet, 1);
    case '>':
      return aggregate(out, Reply::Type::kPush, 1);
    case '%':
      return aggregate(out, Reply::Type::kMap, 2);
    case '|': {
      // Attributes describe the reply that follows; the tests look at the reply itself.
      Reply attributes;
      return aggregate(&attributes, Reply::Type::kMap, 2) && ParseReply(out);
    }
    default:
      return false;
  }
}

// --- TempDir -------------------------------------------------------------------------------------

TempDir::TempDir() : path_(MakeTempDir()) {}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

// --- PylonServer -----------------------------------------------------------------------------

namespace {

ServerOptions WithArgs(std::vector<std::string> args) {
  ServerOptions options;
  options.args = std::move(args);
  return options;
}

}  // namespace

PylonServer::PylonServer(std::vector<std::string> args) : PylonServer(WithArgs(std::move(args))) {}

PylonServer::PylonServer(ServerOptions options) {
  dir_ = MakeTempDir();
  // A port found free can be taken before pylond binds it: then pylond exits and we try another.
  for (int attempt = 0; attempt < 5; attempt++) {
    if (Start(options)) return;
  }
  std::string output = Output();
  std::filesystem::remove_all(dir_);
  FAIL("pylond did not start; its output:\n" << output);
}

bool PylonServer::Start(const ServerOptions& options) {
  port_ = FreePort();
  std::vector<std::string> args;
  if (!options.config_file.empty()) args.push_back(options.config_file);
  std::vector<std::string> directives = {"--bind",
                                         "127.0.0.1",
                                         "--port",
                                         std::to_string(port_),
                                         "--logfile",
                                         Path("pylond.log"),
                                         "--enable-test-clock",
                                         options.test_clock ? "yes" : "no"};
  args.insert(args.end(), directives.begin(), directives.end());
  for (std::string arg : options.args) {
    for (size_t pos; (pos = arg.find("$DIR")) != std::string::npos;) arg.replace(pos, 4, dir_);
    const std::string port = std::to_string(port_);
    for (size_t pos; (pos = arg.find("$PORT")) != std::string::npos;) arg.replace(pos, 5, port);
    args.push_back(std::move(arg));
  }
  std::string out = Path("output.txt");
  pid_ = Spawn(args, out, out, dir_);
  // Readiness: bounded retry-connect until pylond accepts (or dies).
  auto deadline = Clock::now() + kReadyBound;
  while (Clock::now() < deadline) {
    if (auto status = WaitPid(pid_, std::chrono::milliseconds(0))) {
      pid_ = -1;
      return false;
    }
    if (CanConnect(port_, options.wait_loaded)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  WaitPid(pid_, kExitBound);
  pid_ = -1;
  return false;
}

PylonServer::~PylonServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (!WaitPid(pid_, kExitBound)) {
      kill(pid_, SIGKILL);
      WaitPid(pid_, kExitBound);
    }
    pid_ = -1;
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

int PylonServer::Stop(int sig) {
  REQUIRE(pid_ > 0);
  REQUIRE(kill(pid_, sig) == 0);
  std::optional<int> status = WaitPid(pid_, kExitBound);
  if (!status) {
    kill(pid_, SIGKILL);
    WaitPid(pid_, kExitBound);
    pid_ = -1;
    FAIL("pylond did not exit within 10 s of signal " << sig << "; killed it");
  }
  pid_ = -1;
  return *status;
}

void PylonServer::Signal(int sig) {
  REQUIRE(pid_ > 0);
  REQUIRE(kill(pid_, sig) == 0);
}

std::optional<int> PylonServer::WaitForExit() {
  REQUIRE(pid_ > 0);
  std::optional<int> status = WaitPid(pid_, kExitBound);
  if (status) pid_ = -1;
  return status;
}

std::string PylonServer::Output() const { return ReadFile(Path("output.txt")); }

RunResult RunPylond(const std::vector<std::string>& args) {
  std::string dir = MakeTempDir();
  std::string out_path = dir + "/stdout.txt";
  std::string err_path = dir + "/stderr.txt";
  pid_t pid = Spawn(args, out_path, err_path, dir);
  RunResult result;
  if (auto status = WaitPid(pid, kExitBound)) {
    result.exit_code = *status;
  } else {
    kill(pid, SIGKILL);
    WaitPid(pid, kExitBound);
  }
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  std::filesystem::remove_all(dir);
  return result;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string ClientListLine(const Connection& c, int64_t id) {
  Reply list = Command(c, {"CLIENT", "LIST"});
  for (const auto& line : Lines(list.str)) {
    if (ClientField(line, "id") == std::to_string(id)) return line;
  }
  return "";
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.emplace_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::optional<std::string> ClientField(std::string_view line, std::string_view field) {
  std::string key = std::string(field) + "=";
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    std::string_view item = line.substr(pos, end - pos);
    if (item.substr(0, key.size()) == key) return std::string(item.substr(key.size()));
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> InfoField(std::string_view info, std::string_view field) {
  std::string key = std::string(field) + ":";
  for (const auto& line : Lines(info)) {
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  }
  return std::nullopt;
}

}  // namespace pylon::e2e
