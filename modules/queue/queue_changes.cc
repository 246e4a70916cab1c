// A queue's changes as operations (Queue::set_change_recorder), and their replay. An operation is
//   [op: u8][its numbers: zigzag varints][its id and payload, if it has them: varint length +
//   bytes]
// with the numbers and strings each op has fixed by kShapes. Every input that was not a
// function of the queue's state is in the operation: the time it ran at, a NACK's drawn
// backoff, a POP's lease. So the same operations on the same state give the same state.
#include <array>

#include "modules/queue/queue.h"
#include "modules/queue/varint.h"

namespace pylon::queue {

namespace {

struct Shape {
  uint8_t numbers;
  uint8_t strings;  // 0, 1 (the id) or 2 (the id and the payload)
};
constexpr std::array<Shape, 9> kShapes = {
    {{1, 0}, {3, 2}, {3, 0}, {0, 1}, {2, 1}, {2, 1}, {1, 0}, {1, 0}, {5, 0}}};

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

void Queue::Record(Op op, std::initializer_list<int64_t> numbers, std::string_view id,
                   std::string_view payload) {
  if (!ops_) return;
  ops_->push_back(static_cast<char>(op));
  for (int64_t n : numbers) AppendVarint(ops_, ZigZag(n));
  const uint8_t strings = kShapes[static_cast<size_t>(op)].strings;
  const std::string_view texts[2] = {id, payload};
  for (uint8_t i = 0; i < strings; i++) {
    AppendVarint(ops_, texts[i].size());
    ops_->append(texts[i]);
  }
}

void Queue::set_config(const QueueConfig& c) {
  Record(Op::kConfig,
         {c.lease_ms, c.max_deliver, c.backoff_base_ms, c.backoff_cap_ms, c.retention_ms});
  config_ = c;
}

bool Queue::ApplyChanges(std::string_view in) {
  std::string* const recording = ops_;
  ops_ = nullptr;  // a replay records nothing
  bool ok = true;
  while (ok && !in.empty()) {
    const auto op = static_cast<Op>(in[0]);
    in.remove_prefix(1);
    if (op >= Op::kCount) {
      ok = false;
      break;
    }
    const Shape shape = kShapes[static_cast<size_t>(op)];
    int64_t n[5] = {};
    std::string_view text[2];
    for (uint8_t i = 0; ok && i < shape.numbers; i++) {
      uint64_t v;
      ok = GetVarint(&in, &v);
      n[i] = UnZigZag(v);
    }
    for (uint8_t i = 0; ok && i < shape.strings; i++) {
      uint64_t length;
      ok = GetVarint(&in, &length) && length <= in.size();
      if (ok) {
        text[i] = in.substr(0, length);
        in.remove_prefix(length);
      }
    }
    if (!ok) break;
    // The bounds the commands put on what they record (a time of the clock, a duration of at
    // most kMaxTimeMs): a damaged log must not reach arithmetic the commands never do.
    auto time = [](int64_t ms) { return ms >= 0 && ms <= kMaxStoredTimeMs; };
    auto duration = [](int64_t ms) { return ms >= 0 && ms <= kMaxTimeMs; };
    if (op != Op::kAck && op != Op::kRedrive && op != Op::kPurge && op != Op::kConfig &&
        !time(n[0])) {
      ok = false;
      break;
    }
    switch (op) {
      case Op::kAdvance:
        Advance(n[0]);
        break;
      case Op::kPush:
        ok = duration(n[1]);
        if (ok) Push(n[0], text[1], n[1], n[2], text[0]);
        break;
      case Op::kPop:
        ok = n[1] > 0 && duration(n[2]) && Pop(n[0], static_cast<size_t>(n[1]), n[2]).size() > 0;
        break;
      case Op::kAck:
        ok = Ack(text[0]);
        break;
      case Op::kNack:
        ok = duration(n[1]) &&
             Nack(n[0], text[0], n[1], nullptr, nullptr) != NackResult::kNotInFlight;
        break;
      case Op::kExtend:
        ok = duration(n[1]) && Extend(n[0], text[0], n[1]);
        break;
      case Op::kRedrive:
        ok = n[0] > 0 && Redrive(static_cast<size_t>(n[0])) == static_cast<size_t>(n[0]);
        break;
      case Op::kPurge:
        Purge(n[0] != 0);
        break;
      case Op::kConfig: {
        const QueueConfig c{n[0], n[1], n[2], n[3], n[4]};
        ok = !ValidateConfig(c);
        if (ok) set_config(c);
        break;
      }
      case Op::kCount:
        break;
    }
  }
  ops_ = recording;
  return ok;
}

}  // namespace pylon::queue
