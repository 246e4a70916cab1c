// MULTI / EXEC / DISCARD / WATCH, with Redis 7.0.15's replies.
#include <catch2/catch.hpp>

#include "harness.h"

namespace pylon::e2e {
namespace {

const Reply kQueued = Reply::Status("QUEUED");

TEST_CASE("MULTI queues commands and EXEC runs them in order", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"PING"}) == kQueued);
  CHECK(Command(c, {"ECHO", "hi"}) == kQueued);
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Status("PONG"), Reply::Bulk("hi")}));
  // Out of the transaction again.
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"EXEC"}) == Reply::Array({}));
}

TEST_CASE("nested MULTI is an error that leaves the transaction usable", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"MULTI"}) == Reply::Error("ERR MULTI calls can not be nested"));
  CHECK(Command(c, {"PING"}) == kQueued);
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Status("PONG")}));
}

TEST_CASE("EXEC and DISCARD without MULTI", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"EXEC"}) == Reply::Error("ERR EXEC without MULTI"));
  CHECK(Command(c, {"DISCARD"}) == Reply::Error("ERR DISCARD without MULTI"));
}

TEST_CASE("an unknown command inside MULTI aborts the transaction", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"NOSUCH"}) ==
        Reply::Error("ERR unknown command 'NOSUCH', with args beginning with: "));
  CHECK(Command(c, {"PING"}) == kQueued);
  CHECK(Command(c, {"EXEC"}) ==
        Reply::Error("EXECABORT Transaction discarded because of previous errors."));
  // The transaction is gone.
  CHECK(Command(c, {"EXEC"}) == Reply::Error("ERR EXEC without MULTI"));
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("wrong arity inside MULTI aborts the transaction", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"ECHO"}) == Reply::Error("ERR wrong number of arguments for 'echo' command"));
  CHECK(Command(c, {"EXEC"}) ==
        Reply::Error("EXECABORT Transaction discarded because of previous errors."));
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("WATCH inside MULTI is refused", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"WATCH", "x"}) == Reply::Error("ERR WATCH inside MULTI is not allowed"));
  CHECK(Command(c, {"PING"}) == kQueued);
  // Refusing WATCH does not poison the transaction.
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Status("PONG")}));
}

TEST_CASE("WATCH with no modification lets EXEC run", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  auto other = server.Connect();
  CHECK(Command(c, {"WATCH", "x", "y"}) == Reply::Ok());
  CHECK(Command(other, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"ECHO", "done"}) == kQueued);
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Bulk("done")}));
  CHECK(Command(c, {"UNWATCH"}) == Reply::Ok());
}

TEST_CASE("DISCARD drops the queued commands", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"CLIENT", "SETNAME", "queued"}) == kQueued);
  CHECK(Command(c, {"DISCARD"}) == Reply::Ok());
  CHECK(Command(c, {"EXEC"}) == Reply::Error("ERR EXEC without MULTI"));
  // The queued SETNAME never ran.
  CHECK(Command(c, {"CLIENT", "GETNAME"}) == Reply::Nil());
}

TEST_CASE("CLIENT LIST shows a client in MULTI with flags=x and its queue length", "[tx]") {
  PylonServer server;
  auto c = server.Connect();
  auto observer = server.Connect();
  Reply id = Command(c, {"CLIENT", "ID"});
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"PING"}) == kQueued);
  CHECK(Command(c, {"PING"}) == kQueued);
  std::string line = ClientListLine(observer, id.integer);
  CHECK(ClientField(line, "flags") == "x");
  CHECK(ClientField(line, "multi") == "2");
  CHECK(Command(c, {"EXEC"}).elements.size() == 2);
  line = ClientListLine(observer, id.integer);
  CHECK(ClientField(line, "flags") == "N");
  CHECK(ClientField(line, "multi") == "-1");
}

TEST_CASE("EXEC in RESP3 carries RESP3 replies", "[tx][resp3]") {
  PylonServer server;
  RawClient raw = server.Raw();
  REQUIRE(raw.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  REQUIRE(raw.Send(Encode({"MULTI"}) + Encode({"PING"}) + Encode({"CLIENT", "GETNAME"}) +
                   Encode({"EXEC"})));
  const std::string expected = "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+PONG\r\n_\r\n";
  CHECK(raw.ReadExactly(expected.size()) == expected);
}

}  // namespace
}  // namespace pylon::e2e
