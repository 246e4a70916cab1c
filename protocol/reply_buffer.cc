#include "protocol/reply_buffer.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

namespace pylon::protocol {

namespace {

size_t Room(size_t capacity, size_t end) { return capacity - end; }

// An owned chunk that follows a shared one starts small: a subscriber receiving shared messages
// with short replies between them should not hold a standard chunk per message.
constexpr size_t kChunkAfterShared = 1024;

}  // namespace

ReplyBuffer::Chunk& ReplyBuffer::TailWithRoom(size_t n) {
  if (!chunks_.empty()) {
    Chunk& tail = chunks_.back();
    if (Room(tail.capacity, tail.end) >= n) return tail;
    if (tail.owned() && tail.begin == tail.end) {
      // Everything in the tail was sent: rewind it instead of starting another chunk.
      tail.begin = tail.end = 0;
      if (tail.capacity >= n) return tail;
    }
  }
  if (spare_.data && spare_.capacity >= n) {
    spare_.begin = spare_.end = 0;
    chunks_.push_back(std::move(spare_));
    spare_ = Chunk{};
  } else {
    const bool after_shared = !chunks_.empty() && !chunks_.back().owned();
    Chunk c;
    c.capacity = std::max(n, after_shared ? kChunkAfterShared : kChunkSize);
    c.data.reset(new char[c.capacity]);
    chunks_.push_back(std::move(c));
  }
  return chunks_.back();
}

void ReplyBuffer::AppendShared(SharedBytes::Ref bytes) {
  const size_t n = bytes.size();
  assert(n > 0);
  Chunk c;
  c.capacity = c.end = n;
  c.shared = std::move(bytes);
  chunks_.push_back(std::move(c));
  size_ += n;
  appended_ += n;
}

void ReplyBuffer::Append(std::string_view bytes) {
  size_t n = bytes.size();
  const char* src = bytes.data();
  if (n == 0) return;
  // Fill what is left of the tail, then put the rest in one chunk: a big string costs one
  // allocation of its size and one copy, never a chunk-by-chunk crawl or a reallocation.
  if (!chunks_.empty()) {
    Chunk& tail = chunks_.back();
    const size_t fit = std::min(n, Room(tail.capacity, tail.end));
    if (fit > 0) {
      std::memcpy(tail.data.get() + tail.end, src, fit);
      tail.end += fit;
      src += fit;
      n -= fit;
    }
  }
  if (n > 0) {
    Chunk& tail = TailWithRoom(n);
    std::memcpy(tail.data.get() + tail.end, src, n);
    tail.end += n;
  }
  size_ += bytes.size();
  appended_ += bytes.size();
}

void ReplyBuffer::Append(char c) {
  Chunk& tail = TailWithRoom(1);
  tail.data[tail.end++] = c;
  ++size_;
  ++appended_;
}

char* ReplyBuffer::Reserve(size_t n) {
  Chunk& tail = TailWithRoom(n);
  return tail.data.get() + tail.end;
}

void ReplyBuffer::Commit(size_t n) {
  assert(!chunks_.empty() || n == 0);
  if (n == 0) return;
  Chunk& tail = chunks_.back();
  assert(n <= Room(tail.capacity, tail.end));
  tail.end += n;
  size_ += n;
  appended_ += n;
}

size_t ReplyBuffer::Peek(std::string_view* views, size_t max_views) const {
  size_t filled = 0;
  for (const Chunk& c : chunks_) {
    if (filled == max_views) break;
    if (c.end == c.begin) continue;
    views[filled++] = std::string_view(c.bytes() + c.begin, c.end - c.begin);
  }
  return filled;
}

void ReplyBuffer::Consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  consumed_ += n;
  while (n > 0) {
    Chunk& front = chunks_.front();
    const size_t take = std::min(n, front.end - front.begin);
    front.begin += take;
    n -= take;
    if (front.begin < front.end) break;
    if (chunks_.size() == 1 && front.owned()) {
      // The last chunk stays, rewound, ready for the next reply.
      front.begin = front.end = 0;
      break;
    }
    Recycle(std::move(front));
    chunks_.pop_front();
  }
  // Shared bytes are let go as soon as they are sent, not when the next write comes.
  while (!chunks_.empty() && !chunks_.front().owned() &&
         chunks_.front().begin == chunks_.front().end) {
    chunks_.pop_front();
  }
}

void ReplyBuffer::Recycle(Chunk&& chunk) {
  // Keep one standard chunk for the next burst; oversized chunks (a big bulk) go back to the
  // allocator so one large reply does not pin its memory for the life of the connection.
  if (!spare_.data && chunk.owned() && chunk.capacity == kChunkSize) {
    spare_ = std::move(chunk);
    spare_.begin = spare_.end = 0;
  }
}

void ReplyBuffer::ReleaseMemory() {
  if (size_ != 0) return;
  chunks_.clear();
  spare_ = Chunk{};
}

void ReplyBuffer::Clear() {
  consumed_ += size_;
  size_ = 0;
  while (chunks_.size() > 1) {
    Recycle(std::move(chunks_.front()));
    chunks_.pop_front();
  }
  if (!chunks_.empty()) {
    if (chunks_.front().owned() && chunks_.front().capacity == kChunkSize) {
      chunks_.front().begin = chunks_.front().end = 0;
    } else {
      Recycle(std::move(chunks_.front()));
      chunks_.pop_front();
    }
  }
}

void ReplyBuffer::InsertAt(Mark mark, std::string_view bytes) {
  if (bytes.empty()) return;
  // A mark inside bytes already sent is a caller bug (a reply flushed half-built); insert at the
  // front of what is left, which keeps memory safe.
  assert(mark.offset >= consumed_ && mark.offset <= appended_);
  size_t rel = std::clamp(mark.offset, consumed_, appended_) - consumed_;  // within unsent bytes
  if (rel == size_) {
    Append(bytes);
    return;
  }
  // Find the chunk holding position rel, walking from the back: a deferred header is almost
  // always in one of the last chunks. A position at a chunk boundary goes to the end of the
  // earlier chunk, where there may be room and nothing to move.
  size_t chunk_end = size_;
  auto it = chunks_.end();
  for (;;) {
    --it;
    const size_t len = it->end - it->begin;
    const size_t chunk_start = chunk_end - len;
    if (rel > chunk_start || it == chunks_.begin()) break;
    chunk_end = chunk_start;
  }
  Chunk& c = *it;
  const size_t at = c.begin + (rel - (chunk_end - (c.end - c.begin)));
  const size_t tail = c.end - at;
  const size_t n = bytes.size();
  if (!c.owned()) {
    // Shared bytes are whole messages, so a mark is at one's start or end: the bytes go into a
    // chunk of their own before or after it.
    assert(at == c.begin || at == c.end);
    Chunk fresh;
    fresh.capacity = std::max(n, kChunkAfterShared);
    fresh.data.reset(new char[fresh.capacity]);
    std::memcpy(fresh.data.get(), bytes.data(), n);
    fresh.end = n;
    chunks_.insert(at == c.end ? it + 1 : it, std::move(fresh));
  } else if (Room(c.capacity, c.end) >= n) {
    std::memmove(c.data.get() + at + n, c.data.get() + at, tail);
    std::memcpy(c.data.get() + at, bytes.data(), n);
    c.end += n;
  } else if (c.begin >= n && tail == c.end - c.begin) {
    // Inserting at the very front of a chunk with consumed room before it.
    c.begin -= n;
    std::memcpy(c.data.get() + c.begin, bytes.data(), n);
  } else {
    // No room: split the chunk at the mark. The bytes and what followed the mark move to a new
    // chunk right after it (at most one chunk's worth is copied).
    Chunk next;
    next.capacity = std::max(kChunkSize, n + tail);
    if (spare_.data && spare_.capacity >= n + tail) {
      next = std::move(spare_);
      spare_ = Chunk{};
    } else {
      next.data.reset(new char[next.capacity]);
    }
    std::memcpy(next.data.get(), bytes.data(), n);
    std::memcpy(next.data.get() + n, c.data.get() + at, tail);
    next.begin = 0;
    next.end = n + tail;
    c.end = at;
    chunks_.insert(it + 1, std::move(next));
  }
  size_ += n;
  appended_ += n;
}

size_t ReplyBuffer::memory() const {
  size_t total = spare_.capacity;
  for (const Chunk& c : chunks_) total += c.capacity;
  return total;
}

}  // namespace pylon::protocol
