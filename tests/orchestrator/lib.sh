# shellcheck shell=bash
# Sourced first by every CLI test script (each is its own ctest: cli, cli_train, ...). Usage of a script:
#   test_cli_X.sh FUFI_BINARY WORK_DIR [SHARED_DATA_DIR]
# WORK_DIR is emptied. Exit codes and messages are part of the CLI's contract: 0 ok, 1 runtime failure,
# 2 bad usage or input, and a message that names the file, key or argument.
set -u
FUFI=$1
WORK=$2
SHARED=${3:-}
rm -rf "$WORK"
mkdir -p "$WORK"
passed=0
failed=0

# expect RC NEEDLE CMD...: runs CMD, checks its exit code and that NEEDLE (if not empty) is in its output.
expect() {
  local rc=$1 needle=$2
  shift 2
  local out
  out=$("$@" 2>&1)
  local got=$?
  if [ "$got" -ne "$rc" ]; then
    echo "FAIL: '$*' exited $got, expected $rc"; echo "$out" | head -20; failed=$((failed + 1)); return
  fi
  if [ -n "$needle" ] && ! grep -qF -- "$needle" <<<"$out"; then
    echo "FAIL: '$*' output lacks '$needle'"; echo "$out" | head -20; failed=$((failed + 1)); return
  fi
  passed=$((passed + 1))
}

# check WHAT CMD...: CMD must succeed; WHAT names the check when it does not.
check() {
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; failed=$((failed + 1)); fi
}

# $WORK/syn: tasks P1 and P2 of small synthetic data (20 samples, seed 3), generated once per script.
with_synthetic_data() {
  [ -d "$WORK/syn/P1" ] || "$FUFI" data synth --out "$WORK/syn" --tasks P1,P2 --samples 20 --seed 3 >/dev/null 2>&1 ||
    { echo "FAIL: fufi data synth for the test data"; failed=$((failed + 1)); }
}

# The script's summary line and exit status.
finish() {
  echo "$(basename "$0" .sh): $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
