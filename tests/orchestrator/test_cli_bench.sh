# CLI tests of `fufi bench orchestrator` (cmd_bench_orchestrator.cpp). Usage: as lib.sh says.
# Timings are printed by the benchmark, never asserted; what is checked is that every job went through the
# whole path into the DB, once, and that bad arguments exit 2.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh" "$@"
with_synthetic_data

# --- bench orchestrator, single process (the coordinator runs the no-op jobs itself)
"$FUFI" bench orchestrator --jobs 50 --db "$WORK/bench_orch.db" --format json >"$WORK/bench_orch.json" 2>&1
if python3 - "$WORK/bench_orch.json" <<'EOF'; then
import json, sys
r = json.load(open(sys.argv[1]))
assert r["jobs"] == 50 and r["ranks"] == 1 and r["worker_groups"] == 1, r
assert r["run_s"] > 0 and r["rerun_s"] > 0 and r["jobs_per_s"] > 0 and r["db_bytes"] > 0, r
EOF
  passed=$((passed + 1))
else
  echo "FAIL: fufi bench orchestrator --format json"; head -5 "$WORK/bench_orch.json"; failed=$((failed + 1))
fi
expect 0 "50,done" "$FUFI" query "$WORK/bench_orch.db" --sql "SELECT count(*) || ',' || min(status) FROM jobs WHERE status = 'done'" --format csv
# Provenance names the BLAS and malloc the worker really ran with: the same malloc `fufi --version` reports,
# and a BLAS that is a file path (Debian's LibTorch resolves sgemm_ through libblas.so.3) or `none`.
fufi_malloc=$("$FUFI" --version | sed -n 's/.*malloc \([^)]*\)).*/\1/p')
expect 0 "50" "$FUFI" query "$WORK/bench_orch.db" --sql "SELECT count(*) FROM provenance WHERE malloc = '$fufi_malloc' AND malloc <> '' AND (blas LIKE '/%' OR blas = 'none')" --format csv
expect 0 "jobs_per_s" "$FUFI" bench orchestrator --jobs 5
expect 2 "needs a new database" "$FUFI" bench orchestrator --jobs 5 --db "$WORK/bench_orch.db"
expect 2 "--jobs" "$FUFI" bench orchestrator --jobs 0
expect 2 "--format" "$FUFI" bench orchestrator --jobs 5 --format xml
# --profile and --grad-mode: bad values are usage errors naming the option.
expect 2 "--profile: must be >= 0" "$FUFI" bench train --model srcnn --set channels=8 --profile -1
expect 2 "--grad-mode: unknown mode 'fast'" "$FUFI" bench infer --model srcnn --set channels=8 --grad-mode fast

# --- bench train --dp and the overlap keys: bad values name the option or key (exit 2)
expect 2 "--dp: unknown mode 'bogus'" "$FUFI" bench train --model srcnn --dp bogus --steps 1
expect 2 "key 'grad_bucket_mb'" "$FUFI" train --model uniform --data "$WORK/syn" --task P1 --set grad_bucket_mb=0 --out "$WORK/bad_bucket"

# --- the same under mpirun: rank 0 coordinates, two worker ranks take the jobs
if command -v mpirun >/dev/null 2>&1; then
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 3 --oversubscribe --bind-to none \
    "$FUFI" bench orchestrator --jobs 200 --db "$WORK/bench_orch_mpi.db" --format json >"$WORK/bench_orch_mpi.json" 2>&1
  if python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['jobs']==200 and r['ranks']==3 and r['worker_groups']==2, r" "$WORK/bench_orch_mpi.json"; then
    passed=$((passed + 1))
  else
    echo "FAIL: mpirun fufi bench orchestrator"; head -5 "$WORK/bench_orch_mpi.json"; failed=$((failed + 1))
  fi
  expect 0 "200" "$FUFI" query "$WORK/bench_orch_mpi.db" --sql "SELECT count(*) FROM jobs WHERE status = 'done' AND attempts = 1" --format csv
else
  echo "skip: mpirun absent"
fi

finish
