// What a family keeps for one server besides its keys: its INFO counters, the queues' timer
// schedule, the cache's tag index. The server owns one FamilyStates; each family's registration
// makes its state there (registry.states.Make<CacheFamilyState>()), handlers reach it through
// their context (ctx.family_state<T>()), and a value that books into it (a gauge counted in its
// constructor and destructor) is given a pointer to it when it is made, by a command or by a
// restore. So two servers in one process (the tests) share no counter and no schedule.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace pylon::daemon {

class FamilyStates {
 public:
  FamilyStates() = default;
  FamilyStates(const FamilyStates&) = delete;
  FamilyStates& operator=(const FamilyStates&) = delete;

  // Makes this server's T. A second Make<T> aborts start-up: two families (or one registered
  // twice) must never share a state without knowing it.
  template <typename T>
  T& Make() {
    const size_t slot = SlotOf<T>();
    if (slot >= states_.size()) states_.resize(slot + 1);
    if (states_[slot]) Duplicate(__PRETTY_FUNCTION__);
    auto held = std::make_unique<Held<T>>();
    T& state = held->state;
    states_[slot] = std::move(held);
    return state;
  }

  // This server's T, made at registration. O(1) and allocation-free: handlers ask per command.
  template <typename T>
  T& Get() const {
    const size_t slot = SlotOf<T>();
    if (slot >= states_.size() || !states_[slot]) Missing(__PRETTY_FUNCTION__);
    return static_cast<Held<T>&>(*states_[slot]).state;
  }

 private:
  struct Holder {
    virtual ~Holder() = default;
  };
  template <typename T>
  struct Held final : Holder {
    T state{};
  };

  // Each state type's index in every server's table, numbered process-wide on first use: the
  // number names a type, the states behind it are each server's own.
  template <typename T>
  static size_t SlotOf() {
    static const size_t slot = next_slot_.fetch_add(1, std::memory_order_relaxed);
    return slot;
  }
  // Log which state (`where` names the type) and abort: both are programming errors.
  [[noreturn]] static void Duplicate(const char* where);
  [[noreturn]] static void Missing(const char* where);

  inline static std::atomic<size_t> next_slot_{0};
  std::vector<std::unique_ptr<Holder>> states_;
};

}  // namespace pylon::daemon
