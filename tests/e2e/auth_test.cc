// requirepass, AUTH, HELLO AUTH and RESET, with Redis 7.0.15's texts.
#include <catch2/catch.hpp>

#include "harness.h"

namespace pylon::e2e {
namespace {

const Reply kNoAuth = Reply::Error("NOAUTH Authentication required.");
const Reply kWrongPass =
    Reply::Error("WRONGPASS invalid username-password pair or user is disabled.");

TEST_CASE("with requirepass, commands need AUTH", "[auth]") {
  PylonServer server({"--requirepass", "s3cret"});
  auto c = server.Connect();
  CHECK(Command(c, {"PING"}) == kNoAuth);
  CHECK(Command(c, {"CLIENT", "ID"}) == kNoAuth);
  CHECK(Command(c, {"MULTI"}) == kNoAuth);
  // Redis checks that the command exists (and its arity) before authentication.
  CHECK(Command(c, {"NOSUCH", "a"}) ==
        Reply::Error("ERR unknown command 'NOSUCH', with args beginning with: 'a' "));
  CHECK(Command(c, {"AUTH", "wrong"}) == kWrongPass);
  CHECK(Command(c, {"PING"}) == kNoAuth);
  CHECK(Command(c, {"AUTH", "s3cret"}) == Reply::Ok());
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("AUTH with a user name: only default exists", "[auth]") {
  PylonServer server({"--requirepass", "s3cret"});
  auto c = server.Connect();
  CHECK(Command(c, {"AUTH", "other-user", "s3cret"}) == kWrongPass);
  CHECK(Command(c, {"AUTH", "default", "wrong"}) == kWrongPass);
  CHECK(Command(c, {"PING"}) == kNoAuth);
  CHECK(Command(c, {"AUTH", "default", "s3cret"}) == Reply::Ok());
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(c, {"AUTH", "a", "b", "c"}) == Reply::Error("ERR syntax error"));
}

TEST_CASE("HELLO 3 AUTH authenticates and switches protocol at once", "[auth][hello]") {
  PylonServer server({"--requirepass", "s3cret"});
  RawClient raw = server.Raw();
  Reply wrong = raw.Call({"HELLO", "3", "AUTH", "default", "nope"});
  CHECK(wrong == kWrongPass);
  Reply hello = raw.Call({"HELLO", "3", "AUTH", "default", "s3cret"});
  REQUIRE(hello.type == Reply::Type::kMap);
  CHECK(*hello.Field("proto") == Reply::Int(3));
  REQUIRE(raw.Send(Encode({"CLIENT", "GETNAME"})));
  CHECK(raw.ReadExactly(3) == "_\r\n");
}

TEST_CASE("HELLO 3 without AUTH is refused before authentication", "[auth][hello]") {
  PylonServer server({"--requirepass", "s3cret"});
  auto c = server.Connect();
  // Redis 7.0.15's text (7.2 added "<proto>" after "HELLO").
  CHECK(Command(c, {"HELLO", "3"}) ==
        Reply::Error("NOAUTH HELLO must be called with the client already authenticated, "
                     "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate "
                     "the client and select the RESP protocol version at the same time"));
  // The connection stays RESP2.
  CHECK(Command(c, {"AUTH", "s3cret"}) == Reply::Ok());
  CHECK(Command(c, {"CLIENT", "GETNAME"}) == Reply::Nil());
  // Once authenticated, a plain HELLO works.
  Reply hello = Command(c, {"HELLO", "2"});
  CHECK(hello.type == Reply::Type::kArray);
  CHECK(*hello.Field("proto") == Reply::Int(2));
}

TEST_CASE("RESET de-authenticates the connection", "[auth]") {
  PylonServer server({"--requirepass", "s3cret"});
  auto c = server.Connect();
  CHECK(Command(c, {"AUTH", "s3cret"}) == Reply::Ok());
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(c, {"RESET"}) == Reply::Status("RESET"));
  CHECK(Command(c, {"PING"}) == kNoAuth);
}

TEST_CASE("QUIT works before authentication", "[auth]") {
  PylonServer server({"--requirepass", "s3cret"});
  RawClient raw = server.Raw();
  REQUIRE(raw.Send(Encode({"QUIT"})));
  CHECK(raw.ReadUntilClosed() == "+OK\r\n");
  CHECK(raw.closed());
}

TEST_CASE("AUTH without a configured password", "[auth]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"AUTH", "x"}) ==
        Reply::Error("ERR AUTH <password> called without any password configured for the "
                     "default user. Are you sure your configuration is correct?"));
  // The default user has no password: any password is accepted for it.
  CHECK(Command(c, {"AUTH", "default", "anything"}) == Reply::Ok());
  CHECK(Command(c, {"AUTH", "someone", "anything"}) == kWrongPass);
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("CONFIG SET requirepass applies to new connections only", "[auth][config]") {
  PylonServer server;
  auto admin = server.Connect();
  CHECK(Command(admin, {"CONFIG", "SET", "requirepass", "later"}) == Reply::Ok());
  // The connection that set it stays usable.
  CHECK(Command(admin, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(admin, {"CONFIG", "GET", "requirepass"}) ==
        Reply::Array({Reply::Bulk("requirepass"), Reply::Bulk("later")}));
  auto fresh = server.Connect();
  CHECK(Command(fresh, {"PING"}) == kNoAuth);
  CHECK(Command(fresh, {"AUTH", "later"}) == Reply::Ok());
  CHECK(Command(fresh, {"PING"}) == Reply::Status("PONG"));
}

}  // namespace
}  // namespace pylon::e2e
