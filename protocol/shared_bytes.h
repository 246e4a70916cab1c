// Immutable bytes that several connections send: a published message, encoded once, queued in
// every subscriber's ReplyBuffer by reference instead of by copy. One allocation (count, size
// and bytes together); the count is not atomic: the server has one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace pylon::protocol {

class SharedBytes {
 public:
  // A counted reference; the bytes go when the last reference does.
  class Ref {
   public:
    Ref() = default;
    Ref(const Ref& other) : p_(other.p_) {
      if (p_) p_->refs_++;
    }
    Ref(Ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    Ref& operator=(Ref other) noexcept {
      std::swap(p_, other.p_);
      return *this;
    }
    ~Ref() {
      if (p_ && --p_->refs_ == 0) std::free(p_);
    }

    explicit operator bool() const { return p_ != nullptr; }
    std::string_view view() const { return p_ ? std::string_view(p_->data(), p_->size_) : ""; }
    const char* data() const { return p_->data(); }
    size_t size() const { return p_ ? p_->size_ : 0; }
    uint32_t use_count() const { return p_ ? p_->refs_ : 0; }

   private:
    friend class SharedBytes;
    explicit Ref(SharedBytes* p) : p_(p) {}
    SharedBytes* p_ = nullptr;
  };

  // Allocates `size` bytes and calls fill(char*) once to write them; they are read-only after.
  template <typename Fill>
  static Ref Build(size_t size, Fill&& fill) {
    void* memory = std::malloc(sizeof(SharedBytes) + size);
    if (!memory) std::abort();
    auto* p = new (memory) SharedBytes(size);
    fill(p->data());
    return Ref(p);
  }
  static Ref Copy(std::string_view bytes) {
    return Build(bytes.size(), [&](char* out) { std::memcpy(out, bytes.data(), bytes.size()); });
  }

 private:
  explicit SharedBytes(size_t size) : size_(size) {}
  char* data() { return reinterpret_cast<char*>(this + 1); }

  uint32_t refs_ = 1;
  size_t size_;
};

}  // namespace pylon::protocol
