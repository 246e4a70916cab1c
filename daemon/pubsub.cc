#include "daemon/pubsub.h"

#include <algorithm>
#include <cstring>

#include "daemon/connection.h"
#include "daemon/server.h"
#include "protocol/text.h"

namespace pylon::daemon {
namespace {

int Index(SubscriptionKind kind) { return static_cast<int>(kind); }

// "$<n>\r\n<bytes>\r\n"
void AppendBulk(std::string* out, std::string_view bytes) {
  out->push_back('$');
  out->append(std::to_string(bytes.size()));
  out->append("\r\n");
  out->append(bytes);
  out->append("\r\n");
}

}  // namespace

bool PubSub::Subscribe(Connection* conn, SubscriptionKind kind, std::string_view name) {
  if (!conn->subscriptions) conn->subscriptions = std::make_unique<ClientSubscriptions>();
  ClientSubscriptions& subs = *conn->subscriptions;
  NameMap<ClientSubscriptions::Entry>& mine = subs.of[Index(kind)];
  if (mine.find(name) != mine.end()) return false;
  auto [it, inserted] = subscribers_[Index(kind)].try_emplace(std::string(name));
  it->second.push_back(conn);
  mine.emplace(std::string(name),
               ClientSubscriptions::Entry{subs.next_seq++, it->second.size() - 1});
  return true;
}

bool PubSub::Unsubscribe(Connection* conn, SubscriptionKind kind, std::string_view name) {
  if (!conn->subscriptions) return false;
  NameMap<ClientSubscriptions::Entry>& mine = conn->subscriptions->of[Index(kind)];
  auto own = mine.find(name);
  if (own == mine.end()) return false;
  auto& all = subscribers_[Index(kind)];
  auto it = all.find(name);
  std::vector<Connection*>& list = it->second;
  // Swap with the last subscriber, whose recorded slot moves: O(1) whatever the list's length.
  const size_t slot = own->second.slot;
  Connection* last = list.back();
  list[slot] = last;
  list.pop_back();
  if (last != conn) last->subscriptions->of[Index(kind)].find(name)->second.slot = slot;
  mine.erase(own);
  if (list.empty()) all.erase(it);
  if (conn->subscriptions->total() == 0) conn->subscriptions.reset();
  return true;
}

std::vector<std::string> PubSub::SubscriptionsOf(const Connection& conn,
                                                 SubscriptionKind kind) const {
  std::vector<std::string> names;
  if (!conn.subscriptions) return names;
  const auto& mine = conn.subscriptions->of[Index(kind)];
  std::vector<std::pair<uint64_t, const std::string*>> ordered;
  ordered.reserve(mine.size());
  for (const auto& [name, entry] : mine) ordered.emplace_back(entry.seq, &name);
  std::sort(ordered.begin(), ordered.end());
  names.reserve(ordered.size());
  for (const auto& [seq, name] : ordered) names.push_back(*name);
  return names;
}

void PubSub::UnsubscribeAll(Connection* conn) {
  for (SubscriptionKind kind :
       {SubscriptionKind::kChannel, SubscriptionKind::kPattern, SubscriptionKind::kShard}) {
    for (const std::string& name : SubscriptionsOf(*conn, kind)) Unsubscribe(conn, kind, name);
  }
  doomed_.erase(std::remove(doomed_.begin(), doomed_.end(), conn), doomed_.end());
}

size_t PubSub::Count(const Connection& conn, SubscriptionKind kind) {
  return conn.subscriptions ? conn.subscriptions->of[Index(kind)].size() : 0;
}

void PubSub::WriteFrame(Connection& conn, std::string_view word, const std::string_view* name,
                        SubscriptionKind kind) {
  protocol::ReplyWriter& r = conn.reply();
  r.PushHeader(3);
  r.Bulk(word);
  if (name) {
    r.Bulk(*name);
  } else {
    r.Null();
  }
  r.Integer(static_cast<int64_t>(kind == SubscriptionKind::kShard
                                     ? Count(conn, SubscriptionKind::kShard)
                                     : Count(conn, SubscriptionKind::kChannel) +
                                           Count(conn, SubscriptionKind::kPattern)));
}

void PubSub::DropShardChannel(const std::string& name) {
  auto it = subscribers_[Index(SubscriptionKind::kShard)].find(name);
  if (it == subscribers_[Index(SubscriptionKind::kShard)].end()) return;
  const std::vector<Connection*> subscribers = it->second;
  const std::string_view view = name;
  for (Connection* conn : subscribers) {
    Unsubscribe(conn, SubscriptionKind::kShard, name);
    WriteFrame(*conn, "sunsubscribe", &view, SubscriptionKind::kShard);
    if (!conn->subscriptions) conn->pubsub_mode = false;
    server_.ScheduleFlush(conn);
  }
}

size_t PubSub::Subscribers(SubscriptionKind kind, std::string_view name) const {
  const auto& all = subscribers_[Index(kind)];
  auto it = all.find(name);
  return it == all.end() ? 0 : it->second.size();
}

int64_t PubSub::Publish(SubscriptionKind kind, std::string_view channel, std::string_view message) {
  int64_t receivers = 0;
  const auto& direct = subscribers_[Index(kind)];
  if (auto it = direct.find(channel); it != direct.end()) {
    Frame frames[2];
    const std::string_view type = kind == SubscriptionKind::kShard ? "smessage" : "message";
    for (Connection* c : it->second) Deliver(c, type, nullptr, channel, message, frames);
    receivers += static_cast<int64_t>(it->second.size());
  }
  if (kind == SubscriptionKind::kChannel) {
    for (const auto& [pattern, list] : subscribers_[Index(SubscriptionKind::kPattern)]) {
      if (!protocol::GlobMatch(pattern, channel)) continue;
      Frame frames[2];
      const std::string_view matched = pattern;
      for (Connection* c : list) Deliver(c, "pmessage", &matched, channel, message, frames);
      receivers += static_cast<int64_t>(list.size());
    }
  }
  CloseDoomed();
  return receivers;
}

void PubSub::Deliver(Connection* conn, std::string_view type, const std::string_view* pattern,
                     std::string_view channel, std::string_view message, Frame (&frames)[2]) {
  const int resp3 = conn->resp() == 3 ? 1 : 0;
  Frame& f = frames[resp3];
  if (!f.built) {
    // [type, (pattern,) channel, message]: a push under RESP3, an array under RESP2.
    f.built = true;
    f.bytes.push_back(resp3 ? '>' : '*');
    f.bytes.append(pattern ? "4\r\n" : "3\r\n");
    AppendBulk(&f.bytes, type);
    if (pattern) AppendBulk(&f.bytes, *pattern);
    AppendBulk(&f.bytes, channel);
    AppendBulk(&f.bytes, message);
  }
  const bool behind = conn->write_blocked() || conn->output().size() >= kShareBehindBytes;
  if (behind && f.bytes.size() >= kShareFromBytes) {
    if (!f.shared) f.shared = protocol::SharedBytes::Copy(f.bytes);
    conn->output().AppendShared(f.shared);
  } else {
    conn->output().Append(f.bytes);
  }
  server_.ScheduleFlush(conn);
  if (server_.output_limits().Over(conn, server_.clock().NowMs()) &&
      std::find(doomed_.begin(), doomed_.end(), conn) == doomed_.end()) {
    doomed_.push_back(conn);
  }
}

void PubSub::CloseDoomed() {
  // Closing unsubscribes, which edits the lists the fan-out walked: hence after it.
  while (!doomed_.empty()) {
    Connection* c = doomed_.back();
    doomed_.pop_back();
    server_.output_limits().Close(c);
  }
}

}  // namespace pylon::daemon
