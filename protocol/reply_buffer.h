// The bytes waiting to be written to one connection: a queue of fixed-size chunks, so appending
// never moves what is already there and a connection that writes little never reallocates. A
// chunk may also be a reference to shared bytes (a published message that every subscriber
// sends): queued without a copy, released once written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>

#include "protocol/shared_bytes.h"

namespace pylon::protocol {

class ReplyBuffer {
 public:
  static constexpr size_t kChunkSize = 16 * 1024;

  ReplyBuffer() = default;
  ReplyBuffer(const ReplyBuffer&) = delete;
  ReplyBuffer& operator=(const ReplyBuffer&) = delete;

  // Any size: a string larger than what is left in the tail chunk fills it and puts the rest
  // in one new chunk (of the rest's size if bigger than kChunkSize).
  void Append(std::string_view bytes);
  void Append(char c);
  // Queues shared bytes by reference (they must not be empty).
  void AppendShared(SharedBytes::Ref bytes);
  // Reserves n contiguous writable bytes at the tail (n <= kChunkSize); the caller writes at
  // most n and then calls Commit(written).
  char* Reserve(size_t n);
  void Commit(size_t n);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Fills up to max_views views of the unsent bytes, in order; returns how many it filled.
  size_t Peek(std::string_view* views, size_t max_views) const;
  // Drops n bytes from the front (after they were written to the socket).
  void Consume(size_t n);
  void Clear();
  // When empty, gives every chunk (the spare too) back to the allocator: an idle connection then
  // holds no reply memory. No-op when bytes are pending.
  void ReleaseMemory();

  // A deferred length: MarkEnd() remembers the current end; InsertAt(mark, bytes) later inserts
  // bytes there (e.g. an array header whose count was unknown when its elements were written),
  // before anything else that is at that position. An insertion shifts everything after it, so
  // it invalidates marks at or after its position that are still pending: resolve nested marks
  // innermost first (an inner mark is never before its outer one, so outer marks stay valid).
  // A mark must not be resolved after the bytes following it were consumed, nor across Clear().
  // Cost: a memmove of at most one chunk's tail, or one new chunk when there is no room.
  struct Mark {
    size_t offset;  // absolute: bytes ever appended before the mark
  };
  Mark MarkEnd() const { return Mark{appended_}; }
  void InsertAt(Mark mark, std::string_view bytes);

  // Bytes of memory held (chunks' capacity, and the size of shared bytes referenced), for
  // CLIENT LIST omem.
  size_t memory() const;

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;  // owned bytes; null in a shared chunk
    SharedBytes::Ref shared;       // a shared chunk's bytes (read-only: never appended to)
    size_t capacity = 0;           // owned: bytes allocated; shared: the bytes' size
    size_t begin = 0;              // first unsent byte
    size_t end = 0;                // one past the last written byte
    const char* bytes() const { return shared ? shared.data() : data.get(); }
    bool owned() const { return !shared; }
  };
  // The tail chunk if it has n free bytes, else a new tail (the spare one when it fits).
  Chunk& TailWithRoom(size_t n);
  // Keeps a drained chunk as the spare if it has the standard size and there is none yet.
  void Recycle(Chunk&& chunk);

  std::deque<Chunk> chunks_;
  size_t size_ = 0;      // unsent bytes
  size_t appended_ = 0;  // bytes ever appended (for marks)
  size_t consumed_ = 0;  // bytes ever consumed
  Chunk spare_;          // one emptied chunk kept to avoid malloc/free churn
};

}  // namespace pylon::protocol
