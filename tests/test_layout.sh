#!/usr/bin/env bash
# Tests mirror the sources (issue #13, point 7): every source file with logic has its own test file, found by
# name, so that the test of X is always where a reader looks for it. Fails naming every source file without
# one, and every allow-list entry that is stale (its file is gone or has a test now).
#
# Where the test of SRC lives (COMPONENT = the path of SRC without its trailing src/ or cli/ folder):
#   core/src/X.cpp            tests/core/test_X.cpp
#   worker/data/src/X.cpp     tests/worker/data/test_X.cpp
#   results/src/X.cpp         tests/results/test_X.cpp          (and so on for model/, worker/, orchestrator/,
#                                                                 bench/)
#   any of these, also        tests/COMPONENT/test_X.sh (a script run by ctest) or tests/COMPONENT/mpi/test_X.cpp
#                             (an MPI test with its own main, run under mpirun)
#   orchestrator/cli/cmd_X.cpp  tests/orchestrator/test_cli_X.sh  (the CLI's contract: exit codes, messages)
# Usage: tests/test_layout.sh [SOURCE_ROOT]  (default: the repository this script is in).
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# Source files that have no test file of their own, each with the reason. Keep this list short: an entry is
# for a file that cannot be tested alone, or whose behaviour a named test already covers end to end.
allowed=(
  # The entry point only wires subcommands: test_cli.sh runs the top level (--version, --help, unknown
  # subcommands, exit codes).
  orchestrator/cli/main.cpp
  # CLI files whose subcommand is exercised inside another subcommand's script, because it needs what that script
  # built first (a trained checkpoint, a sweep's database): test_cli_bench.sh runs `fufi bench orchestrator`,
  # test_cli_byo.sh `fufi export` of trained TorchScript models, test_cli_train.sh and test_cli_integrity.sh
  # `fufi infer` on their checkpoints, test_cli_sweep.sh `fufi query` on its sweep's DB, and test_cli_models.sh
  # the data-shape options (--data-channels, --coarse, --upscale, --no-ext) that `fufi models` and `fufi bench`
  # share.
  orchestrator/cli/cmd_bench_orchestrator.cpp
  orchestrator/cli/cmd_export.cpp
  orchestrator/cli/cmd_infer.cpp
  orchestrator/cli/cmd_query.cpp
  orchestrator/cli/data_shape_options.cpp
  # The two MPI roles of a sweep need an MPI world of several ranks and a coordinator with its DB: mpi_sweep.sh
  # runs them under mpirun (completion, rerun, kill -9 and resume, query while running, failures, fail-fast,
  # rank groups), and tests/orchestrator/mpi/test_mpi_transport.cpp their messages between two real ranks.
  orchestrator/src/sweep_coordinator_loop.cpp
  orchestrator/src/sweep_worker.cpp
  # NCCL's communicator needs a CUDA GPU and a build with NCCL: scripts/gpu-check runs it (tests/worker/test_device.cpp
  # with FUFI_TEST_DEVICE=cuda: OneRankCommunicatorRoundTrip); without NCCL it only says it is not built in.
  worker/src/communicator_nccl.cpp
)

declare -A allow
for f in "${allowed[@]}"; do allow[$f]=1; done

# Sets `candidates` to the test files that mirror SRC (any one of them is enough); no subshell per file.
mirrors() {
  local src=$1 dir name
  dir=${src%/*}
  name=${src##*/}
  name=${name%.cpp}
  if [ "$dir" = orchestrator/cli ]; then
    if [[ $name == cmd_* ]]; then
      candidates=("tests/orchestrator/test_cli_${name#cmd_}.sh")
    else
      candidates=("tests/orchestrator/test_cli_${name}.sh" "tests/orchestrator/test_${name}.cpp")
    fi
    return
  fi
  dir=${dir%/src}
  candidates=("tests/$dir/test_$name.cpp" "tests/$dir/test_$name.sh" "tests/$dir/mpi/test_$name.cpp")
}

missing=0
stale=0
checked=0
while IFS= read -r src; do
  checked=$((checked + 1))
  found=""
  mirrors "$src"
  for t in "${candidates[@]}"; do
    [ -f "$t" ] && { found=$t; break; }
  done
  if [ -n "$found" ]; then
    if [ -n "${allow[$src]:-}" ]; then
      echo "STALE: $src is in the allow-list of tests/test_layout.sh but has its test $found: remove the entry"
      stale=$((stale + 1))
    fi
  elif [ -z "${allow[$src]:-}" ]; then
    echo "MISSING: $src has no test file of its own (expected ${candidates[0]})"
    missing=$((missing + 1))
  fi
done < <(find core model worker orchestrator results bench -name '*.cpp' \
           \( -path '*/src/*' -o -path 'orchestrator/cli/*' \) | sort)

for f in "${allowed[@]}"; do
  [ -f "$f" ] || { echo "STALE: $f is in the allow-list of tests/test_layout.sh but does not exist"; stale=$((stale + 1)); }
done

echo "test_layout: $checked source files, $missing without a test file, $stale stale allow-list entries"
[ "$checked" -gt 0 ] && [ "$missing" -eq 0 ] && [ "$stale" -eq 0 ]
