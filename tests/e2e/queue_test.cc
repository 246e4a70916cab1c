// Queues over real sockets: the Q.* replies in RESP2 and RESP3, blocking pops (order, timeouts,
// a client that leaves while blocked, CLIENT UNBLOCK), leases that end on the server's own
// time (a worker that dies holding messages), dead letters and their channel, and bad input.
// Time moves only by TESTCLOCK; the queue's state machine is unit-tested in
// tests/unit/queue_test.cc.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

Reply Msg(const std::string& id, const std::string& payload, int64_t deliveries) {
  return Reply::Array({Reply::Bulk(id), Reply::Bulk(payload), Reply::Int(deliveries)});
}

Reply Advance(const Connection& c, int64_t ms) {
  return Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)});
}

int64_t Blocked(const Connection& c) {
  Reply info = Command(c, {"INFO", "clients"});
  REQUIRE(info.type == Reply::Type::kBulk);
  return std::stoll(InfoField(info.str, "blocked_clients").value_or("-1"));
}

// Until the server has seen `n` clients blocked: a raw client's command is on its way, and on a
// loaded machine the server may take a while to accept and read it. Bounded (5 s), then fails.
void WaitBlocked(const Connection& c, int64_t n, int line) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Blocked(c) != n && std::chrono::steady_clock::now() < give_up) Command(c, {"PING"});
  INFO("WaitBlocked called at line " << line);
  REQUIRE(Blocked(c) == n);
}
#define WAIT_BLOCKED(c, n) WaitBlocked(c, n, __LINE__)

TEST_CASE("q: push, pop, ack: ids, priority then FIFO, deliveries, and the replies' shapes",
          "[queue]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"Q.PUSH", "jobs", "a"}) == Reply::Bulk("1"));
  CHECK(Command(c, {"Q.PUSH", "jobs", "b"}) == Reply::Bulk("2"));
  CHECK(Command(c, {"Q.PUSH", "jobs", "urgent", "PRIORITY", "9"}) == Reply::Bulk("3"));
  CHECK(Command(c, {"Q.PUSH", "jobs", "mine", "ID", "order-7"}) == Reply::Bulk("order-7"));
  // The same id again adds nothing and answers the id.
  CHECK(Command(c, {"Q.PUSH", "jobs", "other", "ID", "order-7"}) == Reply::Bulk("order-7"));
  CHECK(Command(c, {"Q.LEN", "jobs"}) == Reply::Int(4));
  CHECK(Command(c, {"TYPE", "jobs"}) == Reply::Status("queue"));
  CHECK(Command(c, {"Q.PEEK", "jobs", "COUNT", "2"}) ==
        Reply::Array({Msg("3", "urgent", 0), Msg("1", "a", 0)}));
  CHECK(Command(c, {"Q.POP", "jobs", "COUNT", "3"}) ==
        Reply::Array({Msg("3", "urgent", 1), Msg("1", "a", 1), Msg("2", "b", 1)}));
  CHECK(Command(c, {"Q.LEN", "jobs"}) == Reply::Int(1));
  CHECK(Command(c, {"Q.ACK", "jobs", "3", "1", "nope", "3"}) == Reply::Int(2));
  CHECK(Command(c, {"Q.ACK", "jobs", "3"}) == Reply::Int(0));  // acking twice counts nothing
  CHECK(Command(c, {"Q.POP", "jobs"}) == Reply::Array({Msg("order-7", "mine", 1)}));
  CHECK(Command(c, {"Q.POP", "jobs"}) == Reply::Nil());  // nothing ready: a null array
  CHECK(Command(c, {"Q.POP", "absent"}) == Reply::Nil());
  CHECK(Command(c, {"EXISTS", "absent"}) == Reply::Int(0));  // reading creates nothing

  Reply info = Command(c, {"Q.INFO", "jobs"});
  CHECK(*info.Field("ready") == Reply::Int(0));
  CHECK(*info.Field("inflight") == Reply::Int(2));
  CHECK(*info.Field("pushed") == Reply::Int(4));
  CHECK(*info.Field("deduplicated") == Reply::Int(1));
  CHECK(*info.Field("acked") == Reply::Int(2));
  CHECK(*info.Field("lease_ms") == Reply::Int(30000));
  CHECK(Command(c, {"Q.INFO", "absent"}) == Reply::Nil());

  // RESP3: Q.INFO and Q.CONFIG are maps, an empty pop is the null.
  RawClient r3 = server.Raw();
  REQUIRE(r3.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  CHECK(r3.Call({"Q.INFO", "jobs"}).type == Reply::Type::kMap);
  CHECK(r3.Call({"Q.CONFIG", "jobs"}).type == Reply::Type::kMap);
  CHECK(r3.Call({"Q.POP", "jobs"}) == Reply::Nil());

  // INFO # Queues adds up every queue.
  Reply all = Command(c, {"INFO", "queues"});
  CHECK(InfoField(all.str, "queues") == "1");
  CHECK(InfoField(all.str, "queue_messages_inflight") == "2");
  CHECK(InfoField(all.str, "queue_acked") == "2");
  CHECK(Command(c, {"DEL", "jobs"}) == Reply::Int(1));
  all = Command(c, {"INFO", "queues"});
  CHECK(InfoField(all.str, "queues") == "0");
  CHECK(InfoField(all.str, "queue_messages_inflight") == "0");
}

TEST_CASE("q: blocked pops are served in the order they blocked", "[queue][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  std::vector<RawClient> workers;
  for (int i = 0; i < 3; i++) {
    workers.push_back(server.Raw());
    REQUIRE(workers.back().Send(Encode({"Q.POP", "jobs", "BLOCK", "0"})));
    WAIT_BLOCKED(c, i + 1);
  }
  CHECK(Command(c, {"Q.PUSH", "jobs", "first"}) == Reply::Bulk("1"));
  CHECK(workers[0].ReadReply() == Reply::Array({Msg("1", "first", 1)}));
  // One push per turn: the next in line gets it, the one behind keeps waiting.
  CHECK(Command(c, {"Q.PUSH", "jobs", "second"}) == Reply::Bulk("2"));
  CHECK(workers[1].ReadReply() == Reply::Array({Msg("2", "second", 1)}));
  CHECK(Blocked(c) == 1);
  // A pipeline of two pushes: the last worker gets the first, the second stays ready.
  Append(c, {"Q.PUSH", "jobs", "third"});
  Append(c, {"Q.PUSH", "jobs", "fourth"});
  GetReply(c);
  GetReply(c);
  CHECK(workers[2].ReadReply() == Reply::Array({Msg("3", "third", 1)}));
  CHECK(Command(c, {"Q.LEN", "jobs"}) == Reply::Int(1));
  // A served client's pipelined commands run once it is served.
  REQUIRE(workers[0].Send(Encode({"Q.POP", "jobs", "BLOCK", "0"}) + Encode({"PING"})));
  CHECK(workers[0].ReadReply() == Reply::Array({Msg("4", "fourth", 1)}));
  CHECK(workers[0].ReadReply() == Reply::Status("PONG"));
  Reply info = Command(c, {"INFO", "queues"});
  CHECK(InfoField(info.str, "queue_blocked_pops_served") == "3");
}

TEST_CASE("q: a woken client's later input runs from the loop, after the waker's pipeline",
          "[queue][blocking]") {
  // As Redis (processUnblockedClients in beforeSleep): the command that waited runs as soon as
  // the push is done, but the rest of the woken client's input waits for the loop, so it never
  // runs in the middle of the waking client's pipeline.
  PylonServer server;
  auto c = server.Connect();
  RawClient w = server.Raw();
  REQUIRE(w.Send(Encode({"Q.POP", "jobs", "BLOCK", "0"}) + Encode({"SET", "x", "woken"})));
  WAIT_BLOCKED(c, 1);
  Append(c, {"Q.PUSH", "jobs", "m"});
  Append(c, {"GET", "x"});
  CHECK(GetReply(c) == Reply::Bulk("1"));
  CHECK(GetReply(c) == Reply::Nil());  // nested, the woken client's SET would have run first
  CHECK(w.ReadReply() == Reply::Array({Msg("1", "m", 1)}));
  CHECK(w.ReadReply() == Reply::Ok());
  CHECK(Command(c, {"GET", "x"}) == Reply::Bulk("woken"));
}

TEST_CASE("q: a blocked pop times out with a null on the server's clock", "[queue][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient w = server.Raw();
  REQUIRE(w.Send(Encode({"Q.POP", "jobs", "BLOCK", "500"}) + Encode({"PING"})));
  WAIT_BLOCKED(c, 1);
  Advance(c, 499);
  CHECK(Blocked(c) == 1);
  Advance(c, 1);
  CHECK(w.ReadReply() == Reply::Nil());
  CHECK(w.ReadReply() == Reply::Status("PONG"));
  CHECK(Blocked(c) == 0);
  // Inside MULTI a pop never blocks: it answers at once.
  CHECK(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"Q.POP", "jobs", "BLOCK", "0"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Nil()}));
}

TEST_CASE("q: a client that leaves while blocked is forgotten; the next one gets the message",
          "[queue][blocking]") {
  PylonServer server;
  auto c = server.Connect();
  {
    RawClient gone = server.Raw();
    REQUIRE(gone.Send(Encode({"Q.POP", "jobs", "BLOCK", "0"})));
    WAIT_BLOCKED(c, 1);
  }                    // closed
  WAIT_BLOCKED(c, 0);  // the server has seen it go (before, its count would satisfy the next wait)
  RawClient w = server.Raw();
  REQUIRE(w.Send(Encode({"Q.POP", "jobs", "BLOCK", "0"})));
  WAIT_BLOCKED(c, 1);
  CHECK(Command(c, {"Q.PUSH", "jobs", "x"}) == Reply::Bulk("1"));
  CHECK(w.ReadReply() == Reply::Array({Msg("1", "x", 1)}));
  CHECK(Command(c, {"Q.LEN", "jobs"}) == Reply::Int(0));
  Reply info = Command(c, {"Q.INFO", "jobs"});
  CHECK(*info.Field("inflight") == Reply::Int(1));  // delivered once, to the one still there

  // CLIENT UNBLOCK ends a wait with a null, or an error.
  RawClient u = server.Raw();
  const Reply id = u.Call({"CLIENT", "ID"});
  REQUIRE(u.Send(Encode({"Q.POP", "other", "BLOCK", "0"})));
  WAIT_BLOCKED(c, 1);
  CHECK(ClientListLine(c, id.integer).find("flags=b") != std::string::npos);
  CHECK(Command(c, {"CLIENT", "UNBLOCK", std::to_string(id.integer), "ERROR"}) == Reply::Int(1));
  CHECK(u.ReadReply() == Reply::Error("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
  CHECK(Command(c, {"CLIENT", "UNBLOCK", std::to_string(id.integer)}) == Reply::Int(0));
  CHECK(Command(c, {"CLIENT", "UNBLOCK", "1", "LATER"}) ==
        Reply::Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
  // As Redis 7.0: the reason is checked before the id, and extra arguments are a subcommand
  // syntax error.
  CHECK(Command(c, {"CLIENT", "UNBLOCK", "abc", "LATER"}) ==
        Reply::Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
  CHECK(Command(c, {"CLIENT", "UNBLOCK", "abc"}) ==
        Reply::Error("ERR value is not an integer or out of range"));
  CHECK(Command(c, {"client", "Unblock", "1", "2", "3"}) ==
        Reply::Error("ERR unknown subcommand or wrong number of arguments for 'Unblock'. Try "
                     "CLIENT HELP."));
}

TEST_CASE("q: a worker that dies holding leases: its messages come back when the leases end",
          "[queue][leases]") {
  PylonServer server;
  auto c = server.Connect();
  for (const char* p : {"a", "b", "c"}) Command(c, {"Q.PUSH", "jobs", p});
  {
    auto worker = server.Connect();
    CHECK(Command(worker, {"Q.POP", "jobs", "COUNT", "2", "LEASE", "1000"}) ==
          Reply::Array({Msg("1", "a", 1), Msg("2", "b", 1)}));
  }  // the worker dies without acking
  // Another worker waits on the queue with the third message leased by itself, so only the
  // ended leases can serve it: the server's timed work must do so with no command on the queue.
  RawClient w = server.Raw();
  CHECK(w.Call({"Q.POP", "jobs", "LEASE", "60000"}) == Reply::Array({Msg("3", "c", 1)}));
  REQUIRE(w.Send(Encode({"Q.POP", "jobs", "COUNT", "5", "BLOCK", "0"})));
  WAIT_BLOCKED(c, 1);
  Advance(c, 999);
  CHECK(Blocked(c) == 1);
  Advance(c, 1);
  CHECK(w.ReadReply() == Reply::Array({Msg("1", "a", 2), Msg("2", "b", 2)}));  // deliveries kept
  // A heartbeat keeps a lease; an ended one cannot be extended.
  CHECK(Command(c, {"Q.EXTEND", "jobs", "1", "5000"}).type == Reply::Type::kInteger);
  Advance(c, 60000);
  CHECK(Command(c, {"Q.LEN", "jobs"}) == Reply::Int(3));  // every lease ended
  CHECK(Command(c, {"Q.EXTEND", "jobs", "1", "5000"}).is_error());
  // A renamed queue keeps its timed work under the new name.
  CHECK(Command(c, {"Q.POP", "jobs", "LEASE", "100"}).type == Reply::Type::kArray);
  CHECK(Command(c, {"RENAME", "jobs", "work"}) == Reply::Ok());
  RawClient w2 = server.Raw();
  CHECK(w2.Call({"Q.POP", "work", "COUNT", "3", "BLOCK", "0"}).elements.size() == 2);  // at once
  REQUIRE(w2.Send(Encode({"Q.POP", "work", "BLOCK", "0"})));
  WAIT_BLOCKED(c, 1);
  Advance(c, 100);
  CHECK(w2.ReadReply().elements.size() == 1);  // the leased one, when its lease ended
}

TEST_CASE("q: failures past MAXDELIVER go to the dead letters, announced on their channel",
          "[queue][dead]") {
  PylonServer server;
  auto c = server.Connect();
  RawClient sub = server.Raw();
  REQUIRE(sub.Call({"PSUBSCRIBE", "__queue__:deadletter:*"}).type == Reply::Type::kArray);
  CHECK(Command(c, {"Q.CONFIG", "jobs", "MAXDELIVER", "2", "BACKOFF", "0", "0"}) == Reply::Ok());
  Command(c, {"Q.PUSH", "jobs", "bad", "ID", "m1"});
  Command(c, {"Q.PUSH", "jobs", "slow", "ID", "m2"});
  // m1 fails by NACK twice; m2 by two ended leases.
  for (int round = 1; round <= 2; round++) {
    CHECK(Command(c, {"Q.POP", "jobs", "COUNT", "2", "LEASE", "100"}).elements.size() == 2);
    CHECK(Command(c, {"Q.NACK", "jobs", "m1"}) == Reply::Int(1));
    Advance(c, 100);
  }
  CHECK(Command(c, {"Q.LEN", "jobs"}) == Reply::Int(0));
  CHECK(sub.ReadReply() ==
        Reply::Array({Reply::Bulk("pmessage"), Reply::Bulk("__queue__:deadletter:*"),
                      Reply::Bulk("__queue__:deadletter:jobs"), Reply::Bulk("m1")}));
  CHECK(sub.ReadReply().elements.at(3) == Reply::Bulk("m2"));
  Reply dead = Command(c, {"Q.DEAD", "jobs"});
  REQUIRE(dead.elements.size() == 2);
  CHECK(dead.elements[0].elements.at(0) == Reply::Bulk("m1"));
  CHECK(dead.elements[0].elements.at(2) == Reply::Int(2));
  CHECK(dead.elements[0].elements.at(3) == Reply::Bulk("nack"));
  CHECK(dead.elements[1].elements.at(3) == Reply::Bulk("lease expired"));
  CHECK(dead.elements[1].elements.at(4).type == Reply::Type::kInteger);  // when, unix ms
  CHECK(Command(c, {"Q.NACK", "jobs", "m1"}) == Reply::Int(0));          // dead is not in flight
  CHECK(Command(c, {"Q.REDRIVE", "jobs", "COUNT", "1"}) == Reply::Int(1));
  CHECK(Command(c, {"Q.POP", "jobs"}) == Reply::Array({Msg("m1", "bad", 1)}));  // reset
  CHECK(Command(c, {"Q.PURGE", "jobs", "DEAD"}) == Reply::Int(1));
  CHECK(Command(c, {"Q.PURGE", "jobs"}) == Reply::Int(1));  // m1, in flight
  Reply info = Command(c, {"Q.INFO", "jobs"});
  CHECK(*info.Field("dead_lettered") == Reply::Int(2));
  CHECK(*info.Field("redriven") == Reply::Int(1));
  CHECK(*info.Field("purged") == Reply::Int(2));
}

TEST_CASE("q: delays, NACK delays and the server-wide defaults", "[queue]") {
  PylonServer server({"--queue-lease-ms", "250"});
  auto c = server.Connect();
  CHECK(Command(c, {"Q.PUSH", "jobs", "later", "DELAY", "1000"}) == Reply::Bulk("1"));
  CHECK(Command(c, {"Q.POP", "jobs"}) == Reply::Nil());
  Advance(c, 1000);
  CHECK(Command(c, {"Q.POP", "jobs"}) == Reply::Array({Msg("1", "later", 1)}));
  CHECK(Command(c, {"Q.NACK", "jobs", "1", "DELAY", "300"}) == Reply::Int(1));
  Advance(c, 299);
  CHECK(Command(c, {"Q.POP", "jobs"}) == Reply::Nil());
  Advance(c, 1);
  CHECK(Command(c, {"Q.POP", "jobs"}) == Reply::Array({Msg("1", "later", 2)}));
  Advance(c, 250);  // the server's default lease
  CHECK(Command(c, {"Q.LEN", "jobs"}) == Reply::Int(1));
  CHECK(*Command(c, {"Q.CONFIG", "jobs"}).Field("lease_ms") == Reply::Int(250));
  CHECK(Command(c, {"CONFIG", "SET", "queue-lease-ms", "5000"}) == Reply::Ok());
  CHECK(*Command(c, {"Q.CONFIG", "new"}).Field("lease_ms") == Reply::Int(5000));
  CHECK(*Command(c, {"Q.CONFIG", "jobs"}).Field("lease_ms") == Reply::Int(250));  // kept
}

TEST_CASE("q: bad input gets a clear error and changes nothing", "[queue][errors]") {
  PylonServer server;
  auto c = server.Connect();
  Command(c, {"SET", "str", "v"});
  const std::string wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"Q.PUSH", "str", "x"},
                                             {"Q.POP", "str"},
                                             {"Q.ACK", "str", "1"},
                                             {"Q.LEN", "str"},
                                             {"Q.INFO", "str"},
                                             {"Q.PEEK", "str"},
                                             {"Q.DEAD", "str"},
                                             {"Q.CONFIG", "str"},
                                             {"Q.PURGE", "str"}}) {
    CHECK(Command(c, cmd) == Reply::Error(wrongtype));
  }
  Command(c, {"Q.PUSH", "q", "x"});
  CHECK(Command(c, {"GET", "q"}) == Reply::Error(wrongtype));
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"Q.PUSH", "q", "x", "DELAY"}, "ERR syntax error"},
      {{"Q.PUSH", "q", "x", "SOON", "1"}, "ERR syntax error"},
      {{"Q.PUSH", "q", "x", "DELAY", "-1"}, "ERR DELAY must be from 0 to 4398046511104 ms"},
      {{"Q.PUSH", "q", "x", "DELAY", "abc"}, "ERR value is not an integer or out of range"},
      {{"Q.PUSH", "q", "x", "PRIORITY", "1.5"}, "ERR value is not an integer or out of range"},
      {{"Q.PUSH", "q", "x", "ID", ""}, "ERR ID must not be empty"},
      {{"Q.POP", "q", "COUNT", "0"}, "ERR COUNT must be positive"},
      {{"Q.POP", "q", "LEASE", "0"}, "ERR LEASE must be from 1 to 4398046511104 ms"},
      {{"Q.POP", "q", "BLOCK", "-5"}, "ERR BLOCK must be from 0 to 4398046511104 ms"},
      {{"Q.POP", "q", "BLOCK"}, "ERR syntax error"},
      {{"Q.NACK", "q", "1", "DELAY"}, "ERR syntax error"},
      {{"Q.NACK", "q", "1", "LATER", "5"}, "ERR syntax error"},
      {{"Q.EXTEND", "q", "1", "-1"}, "ERR the lease must be from 1 to 4398046511104 ms"},
      {{"Q.EXTEND", "q", "1", "100"},
       "ERR the message is not in flight (acked, nacked, its lease ended, or unknown)"},
      {{"Q.CONFIG", "q", "BACKOFF", "10"}, "ERR syntax error"},
      {{"Q.CONFIG", "q", "BACKOFF", "10", "5"}, "ERR BACKOFF wants 0 <= base <= cap <= 2^42 ms"},
      {{"Q.CONFIG", "q", "MAXDELIVER", "-1"},
       "ERR MAXDELIVER must be from 0 (never) to 4294967295"},
      {{"Q.CONFIG", "q", "LEASE", "5", "TTL", "5"}, "ERR syntax error"},
      {{"Q.PEEK", "q", "COUNT", "-1"}, "ERR COUNT must be positive"},
      {{"Q.PEEK", "q", "5"}, "ERR syntax error"},
      {{"Q.PURGE", "q", "ALL"}, "ERR syntax error"},
      {{"Q.PURGE", "q", "DEAD", "DEAD"}, "ERR syntax error"},
      {{"Q.PUSH", "q"}, "ERR wrong number of arguments for 'q.push' command"},
      {{"Q.ACK", "q"}, "ERR wrong number of arguments for 'q.ack' command"},
  };
  for (const auto& [cmd, error] : cases) {
    INFO(cmd[0] << " " << (cmd.size() > 2 ? cmd[2] : ""));
    CHECK(Command(c, cmd) == Reply::Error(error));
  }
  // A refused Q.CONFIG changed nothing; the queue still holds its one message.
  CHECK(*Command(c, {"Q.CONFIG", "q"}).Field("lease_ms") == Reply::Int(30000));
  CHECK(Command(c, {"Q.LEN", "q"}) == Reply::Int(1));
  CHECK(Command(c, {"CONFIG", "SET", "queue-lease-ms", "0"}).is_error());
}

}  // namespace
}  // namespace pylon::e2e
