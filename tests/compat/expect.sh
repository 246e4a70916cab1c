# Assertions for the shell tests of tests/compat: counts in $passed and $failed, a FAIL line with
# the expected and actual values for each failure, and the summary line ctest shows. Sourced.
#
# shellcheck shell=bash

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL %s\n' "$1"
  shift
  printf '  %s\n' "$@"
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
  if [[ "$3" == "$2" ]]; then pass; else fail "$1" "expected: $(printf %q "$2")" \
    "actual:   $(printf %q "$3")"; fi
}

# expect_match DESCRIPTION REGEX ACTUAL
expect_match() {
  if [[ "$3" =~ $2 ]]; then pass; else fail "$1" "expected to match: $(printf %q "$2")" \
    "actual: $(printf %q "$3")"; fi
}

# expect_summary NAME: prints "NAME: P passed, F failed"; the status is 0 when none failed.
expect_summary() {
  echo "$1: $passed passed, $failed failed"
  ((failed == 0))
}
