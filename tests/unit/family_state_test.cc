// The families' state belongs to a server, not to the process: two servers in one process keep
// their own INFO counters, queue schedule and cache tag index. The servers here never listen;
// commands reach them through their dispatcher, on a connection that is never started.
#include "daemon/family_state.h"

#include <uv.h>

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.h"
#include "daemon/connection.h"
#include "daemon/server.h"
#include "modules/queue/queue_value.h"

namespace pylon::daemon {
namespace {

TEST_CASE("family states: one per type and per container", "[family_state]") {
  struct Counter {
    int n = 0;
  };
  struct Other {
    int n = 0;
  };
  FamilyStates a, b;
  a.Make<Counter>().n = 1;
  b.Make<Counter>().n = 2;
  a.Make<Other>().n = 3;
  CHECK(a.Get<Counter>().n == 1);
  CHECK(b.Get<Counter>().n == 2);
  CHECK(a.Get<Other>().n == 3);
  CHECK(&a.Get<Counter>() == &a.Get<Counter>());  // the same state every time
}

// A server in this process, driven command by command.
class InProcessServer {
 public:
  InProcessServer() : server_(Config{}) {
    conn_ = std::make_unique<Connection>(&server_, 1, Connection::Transport::kTcp);
  }
  ~InProcessServer() {
    // The connection was never accepted, so it is closed here rather than by the server; then
    // the server closes its own handles, and the loop runs once to finish the closes.
    uv_close(conn_->handle(), nullptr);
    server_.Shutdown("the test is over");
    uv_run(server_.loop(), UV_RUN_DEFAULT);
    CHECK(uv_loop_close(server_.loop()) == 0);
  }
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  // The reply's bytes, as the client would read them.
  std::string Call(std::vector<std::string_view> args) {
    server_.dispatcher().Execute(*conn_, args);
    std::string reply;
    protocol::ReplyBuffer& out = conn_->output();
    std::string_view views[16];
    while (!out.empty()) {
      const size_t n = out.Peek(views, 16);
      for (size_t i = 0; i < n; i++) {
        reply.append(views[i]);
        out.Consume(views[i].size());
      }
    }
    return reply;
  }

  // An INFO field, from the sections named.
  std::optional<std::string> Info(std::string_view section, std::string_view field) {
    const std::string info = Call({"INFO", section});
    const std::string key = "\n" + std::string(field) + ":";
    const size_t at = info.find(key);
    if (at == std::string::npos) return std::nullopt;
    const size_t begin = at + key.size();
    return info.substr(begin, info.find('\r', begin) - begin);
  }

  Server& server() { return server_; }

 private:
  Server server_;
  std::unique_ptr<Connection> conn_;
};

TEST_CASE("family states: two servers in one process count apart", "[family_state]") {
  InProcessServer a, b;
  // What each family's INFO shows on b, before anything runs on a.
  const std::vector<std::pair<std::string_view, std::string_view>> fields = {
      {"cache", "cache_hits"},
      {"bloom", "bf_filters"},
      {"bloom", "bf_items_added"},
      {"queues", "queues"},
      {"queues", "queue_pushed"},
      {"ring", "ring_rings"},
      {"breakers", "breakers"},
      {"breakers", "cb_allowed"},
      {"semaphores", "semaphores"},
      {"semaphores", "sem_acquired"},
      {"ratelimit", "ratelimit_allowed"},
      {"retry", "retry_next"},
      {"idempotency", "idem_new"},
      {"experiments", "experiments"},
      {"experiments", "exp_assigned"},
  };
  for (const auto& [section, field] : fields) {
    INFO(field);
    CHECK(b.Info(section, field) == "0");
  }

  CHECK(a.Call({"CACHE.SET", "c", "v", "TAGS", "1", "t"}) == "+OK\r\n");
  CHECK(a.Call({"CACHE.GET", "c"}) == "$1\r\nv\r\n");
  CHECK(a.Call({"BF.ADD", "f", "item"}) == ":1\r\n");
  a.Call({"Q.PUSH", "q", "job", "DELAY", "1000"});
  CHECK(a.Call({"RING.ADD", "r", "node"}) == ":1\r\n");
  a.Call({"CB.ALLOW", "b"});
  a.Call({"SEM.ACQUIRE", "s", "LIMIT", "1"});
  a.Call({"RL.ALLOW", "l", "LIMIT", "10", "PERIOD", "1000"});
  a.Call({"RETRY.NEXT", "n"});
  a.Call({"IDEM.BEGIN", "i", "FINGERPRINT", "fp"});
  CHECK(a.Call({"EXP.DEFINE", "e", "VARIANTS", "x", "1"}) == "+OK\r\n");
  CHECK(a.Call({"EXP.ASSIGN", "e", "user"}) == "$1\r\nx\r\n");

  for (const auto& [section, field] : fields) {
    INFO(field);
    CHECK(a.Info(section, field) == "1");
    CHECK(b.Info(section, field) == "0");
  }
  // The tag index and the queues' schedule are each server's too.
  CHECK(b.Call({"CACHE.INVALIDATE", "t"}) == ":0\r\n");
  CHECK(a.server().family_states().Get<queue::QueueFamilyState>().NextDue());
  CHECK_FALSE(b.server().family_states().Get<queue::QueueFamilyState>().NextDue());
  // CONFIG RESETSTAT on one leaves the other's counters.
  CHECK(b.Call({"CONFIG", "RESETSTAT"}) == "+OK\r\n");
  CHECK(a.Info("cache", "cache_hits") == "1");
  CHECK(a.Call({"CACHE.INVALIDATE", "t"}) == ":1\r\n");
}

}  // namespace
}  // namespace pylon::daemon
