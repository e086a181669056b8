#!/usr/bin/env bash
# Sweeps under mpirun (oversubscribed, tiny models on tiny synthetic data): a sweep completes and its DB
# matches the plan; a rerun executes nothing; kill -9 of mpirun mid-sweep, then a rerun, completes with
# each job done exactly once (interrupted jobs continue from their checkpoints); `fufi query` works while
# the sweep runs; a failing job is recorded and retried while the rest finish; fail-fast cancels running
# jobs; data-parallel groups (--ranks-per-job 2); a malformed sweep file exits 2 with file:line.
# Usage: mpi_sweep.sh FUFI WORK_DIR MPIRUN [MPIRUN ARGS...]
set -u
FUFI=$1
WORK=$2
shift 2
MPIRUN=("$@")
# shellcheck source=tests/orchestrator/sweep_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/sweep_fixture.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
# check DESCRIPTION EXPECTED SQL DB: the single value SQL returns must equal EXPECTED.
check() {
  local got
  got=$("$FUFI" query "$4" --sql "$3" --format csv 2>&1 | tail -n +2)
  if [ "$got" = "$2" ]; then ok; else bad "$1: expected '$2', got '$got' ($3)"; fi
}

write_sweep tiny.toml tiny 2 2 <<'EOF'
[axes]
model = ["srcnn", "uniform", "urbanfm"]
task = "P1"
[models.srcnn]
channels = 8
[models.urbanfm]
channels = 8
residual_blocks = 1
EOF

# --- 1. a sweep completes and the DB matches the plan
"$FUFI" sweep tiny.toml --db db1/fufi.db --plan --format csv >plan.csv 2>/dev/null || bad "--plan failed"
"${MPIRUN[@]}" -np 3 "$FUFI" sweep tiny.toml --db db1/fufi.db >run1.log 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "6 jobs: 6 done (6 this run), 0 failed" run1.log; then ok; else bad "first run rc=$rc"; cat run1.log; fi
tail -n +2 plan.csv | cut -d, -f2 | sort >plan_ids.txt
"$FUFI" query db1/fufi.db --sql "SELECT substr(job_id, 1, 12) AS id FROM jobs WHERE status = 'done' ORDER BY 1" --format csv |
  tail -n +2 >db_ids.txt
if [ -s plan_ids.txt ] && cmp -s plan_ids.txt db_ids.txt; then ok; else bad "DB job ids differ from the plan"; diff plan_ids.txt db_ids.txt; fi
check "both worker groups trained" "2" "SELECT count(DISTINCT rank_group) FROM provenance" db1/fufi.db
check "every job has test results" "6" "SELECT count(*) FROM results WHERE split = 'test' AND mse > 0" db1/fufi.db

# --- 2. a rerun executes nothing
"${MPIRUN[@]}" -np 3 "$FUFI" sweep tiny.toml --db db1/fufi.db >run2.log 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "6 done (0 this run)" run2.log; then ok; else bad "rerun rc=$rc"; cat run2.log; fi
check "no new attempts" "6" "SELECT count(*) FROM attempts" db1/fufi.db

# --- 3. kill -9 of mpirun mid-sweep, query while it runs, rerun
# Long enough that jobs are still training when the ranks notice mpirun is gone (about 2 s later).
write_sweep killed.toml killed 2 150 <<'EOF'
patience = 0
[axes]
model = ["srcnn", "uniform"]
task = "P1"
[models.srcnn]
channels = 8
EOF
setsid "${MPIRUN[@]}" -np 3 "$FUFI" sweep killed.toml --db db2/fufi.db >run3.log 2>&1 &
mpirun_pid=$!
queried=0
for _ in $(seq 1 600); do
  sleep 0.1
  [ -f db2/fufi.db ] || continue
  # Wait until a running job has checkpointed a few epochs, reading the DB the sweep is writing.
  n=$("$FUFI" query db2/fufi.db --sql "SELECT count(*) FROM epochs e JOIN jobs j ON j.job_id = e.job_id WHERE j.status = 'running'" --format csv 2>/dev/null | tail -n +2)
  if [ -n "$n" ] && [ "$n" -ge 6 ]; then
    "$FUFI" query db2/fufi.db jobs --where status=running >during.txt 2>&1 && grep -q running during.txt && queried=1
    break
  fi
done
if [ $queried -eq 1 ]; then ok; else bad "fufi query during the sweep"; cat run3.log; fi
kill -9 "$mpirun_pid"
wait "$mpirun_pid" 2>/dev/null
# The ranks notice that mpirun is gone and exit on their own (Open MPI: lost connection to the daemon).
for waited in $(seq 1 100); do
  [ -z "$(ps -o pid= -g "$mpirun_pid" 2>/dev/null)" ] && break
  sleep 0.1
done
echo "ranks gone $((waited / 10)).$((waited % 10)) s after kill -9 of mpirun"
# Any still alive are ours to clean up: they are in mpirun's process group.
leftover=$(ps -o pid= -g "$mpirun_pid" 2>/dev/null | tr -d ' ')
if [ -n "$leftover" ]; then
  echo "note: ranks outlived mpirun by 10 s: $leftover"
  kill -9 $leftover 2>/dev/null
  sleep 1
fi
check "jobs left running by the dead sweep" "1" "SELECT count(*) > 0 FROM jobs WHERE status = 'running'" db2/fufi.db
# The rerun uses another number of ranks, so the engine's default thread count differs (2 threads for
# one worker instead of 1 each for two on this 2-core machine): resumed jobs must keep the count their
# checkpoints were written with, or the engine would refuse the checkpoints.
"${MPIRUN[@]}" -np 2 "$FUFI" sweep killed.toml --db db2/fufi.db >run4.log 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "re-queued from a sweep that died" run4.log && grep -q "4 jobs: 4 done" run4.log; then ok; else bad "resume rc=$rc"; cat run4.log; fi
check "each job done exactly once" "4|4" "SELECT count(DISTINCT job_id) || '|' || count(*) FROM attempts WHERE status = 'done'" db2/fufi.db
check "interrupted attempts recorded" "1" "SELECT count(*) > 0 FROM attempts WHERE status = 'interrupted'" db2/fufi.db
# An interrupted job continued from its checkpoint: its second attempt's first epoch is not epoch 0.
check "resumed from checkpoints" "1" "SELECT min(first) > 0 FROM (SELECT min(e.epoch) AS first FROM epochs e JOIN attempts a ON a.job_id = e.job_id AND a.attempt = 1 AND a.status = 'interrupted' WHERE e.attempt = 2 GROUP BY e.job_id)" db2/fufi.db
echo "kill/resume: $("$FUFI" query db2/fufi.db --sql "SELECT group_concat(model || ' seed ' || seed || ': attempt 2 recorded epochs from ' || coalesce(resumed, 'none (training had finished)'), '; ') FROM (SELECT j.model, j.seed, (SELECT min(epoch) FROM epochs e WHERE e.job_id = j.job_id AND e.attempt = 2) AS resumed FROM jobs j JOIN attempts a ON a.job_id = j.job_id AND a.status = 'interrupted')" --format csv | tail -n +2)"
check "every epoch recorded once" "0" "SELECT count(*) FROM (SELECT j.job_id FROM jobs j JOIN epochs e ON e.job_id = j.job_id WHERE j.model != 'uniform' GROUP BY j.job_id HAVING count(*) != 150)" db2/fufi.db

# --- 4. a failing job is recorded while the rest finish; a divergence is not retried (a retry reruns the same
# seed, and training is deterministic: test_coordinator.cpp covers retries of retryable classes)
write_sweep fail.toml fail 1 2 <<'EOF'
[axes]
model = ["srcnn", "urbanfm"]
task = "P1"
lr = [0.001, 1e30]   # 1e30 diverges: the injected failure
[models.srcnn]
channels = 8
[models.urbanfm]
channels = 8
residual_blocks = 1
[[exclude]]
model = "urbanfm"
lr = 1e30
EOF
"${MPIRUN[@]}" -np 3 "$FUFI" sweep fail.toml --db db3/fufi.db >run5.log 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "3 jobs: 2 done (2 this run), 1 failed" run5.log && ! grep -q "will retry" run5.log; then ok; else bad "failing job rc=$rc"; cat run5.log; fi
check "failure recorded with class and attempts" "failed|1|diverged" "SELECT status || '|' || failures || '|' || error_class FROM jobs WHERE status != 'done'" db3/fufi.db
check "failures view lists the one attempt" "1" "SELECT count(*) FROM v_failures WHERE status = 'failed'" db3/fufi.db

# --- 5. fail-fast cancels the jobs still running; they stay pending for the next run
"${MPIRUN[@]}" -np 3 "$FUFI" sweep fail.toml --db db4/fufi.db --fail-fast --set epochs=300 >run6.log 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "stopped early" run6.log; then ok; else bad "fail-fast rc=$rc"; cat run6.log; fi
check "the run is recorded as stopped" "stopped" "SELECT status FROM sweep_runs" db4/fufi.db
check "nothing left running" "0" "SELECT count(*) FROM jobs WHERE status = 'running'" db4/fufi.db

# --- 6. data-parallel groups: 2 ranks per job
"${MPIRUN[@]}" -np 3 "$FUFI" sweep tiny.toml --db db5/fufi.db --ranks-per-job 2 --set epochs=1 >run7.log 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok; else bad "--ranks-per-job 2 rc=$rc"; cat run7.log; fi
check "jobs trained on 2 ranks" "6|2" "SELECT count(*) || '|' || min(ranks) FROM provenance" db5/fufi.db

# --- 7. a malformed sweep file under mpirun: exit 2 with file:line, workers stop cleanly
printf '[data]\nsynthetic = "small"\n[axes]\nmodel = ["srcnn", "urbnfm"]\n' >bad.toml
out=$(timeout 120 "${MPIRUN[@]}" -np 3 "$FUFI" sweep bad.toml --db db6/fufi.db 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "bad.toml:4: unknown model 'urbnfm' (did you mean 'urbanfm'?)" <<<"$out"; then ok; else bad "malformed rc=$rc"; echo "$out"; fi

echo "mpi sweep tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
