// The families' state belongs to a server, not to the process (daemon/family_state.h).
#include "daemon/family_state.h"

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace pylon::daemon
