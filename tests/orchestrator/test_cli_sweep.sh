# CLI tests of `fufi sweep` (cmd_sweep.cpp) without mpirun
# (the process runs the jobs itself), malformed sweep files, and `fufi query`. MPI runs: mpi_sweep.sh.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh" "$@"

# --- sweep: plan, run, rerun
# shellcheck source=tests/orchestrator/sweep_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/sweep_fixture.sh"
S="$WORK/sweep"
mkdir -p "$S"
write_sweep "$S/tiny.toml" cli 2 1 <<'EOF'
[axes]
model = ["uniform", "srcnn"]
task = "P1"
[models.srcnn]
channels = 8
EOF
expect 0 "4 jobs (2 configurations): 0 done, 0 failed, 4 to run" "$FUFI" sweep "$S/tiny.toml" --db "$S/db/fufi.db" --plan
if [ ! -e "$S/db/fufi.db" ]; then passed=$((passed + 1)); else echo "FAIL: --plan created the DB"; failed=$((failed + 1)); fi
expect 0 '"status": "new"' "$FUFI" sweep "$S/tiny.toml" --db "$S/db/fufi.db" --plan --format json
expect 0 "4 jobs: 4 done (4 this run), 0 failed" "$FUFI" sweep "$S/tiny.toml" --db "$S/db/fufi.db" --quiet
expect 0 "4 jobs: 4 done (0 this run)" "$FUFI" sweep "$S/tiny.toml" --db "$S/db/fufi.db" --quiet
expect 0 "4 done, 0 failed, 0 to run" "$FUFI" sweep "$S/tiny.toml" --db "$S/db/fufi.db" --plan
for d in "$S/db/runs" "$S/db/data"; do
  if [ -d "$d" ]; then passed=$((passed + 1)); else echo "FAIL: missing $d"; failed=$((failed + 1)); fi
done
expect 2 "--db" "$FUFI" sweep "$S/tiny.toml"
expect 2 "$S/absent.toml: cannot read" "$FUFI" sweep "$S/absent.toml" --db "$S/x.db"
expect 2 "--set: unknown key 'epoch'" "$FUFI" sweep "$S/tiny.toml" --db "$S/x.db" --plan --set epoch=3
expect 2 "--data-root: sweep 'cli' uses synthetic data" "$FUFI" sweep "$S/tiny.toml" --db "$S/x.db" --plan --data-root /tmp

# --- malformed sweep files: one per kind of error, each exit 2 naming file:line
bad() {  # bad NAME NEEDLE TEXT
  printf '%s' "$3" >"$S/$1.toml"
  expect 2 "$S/$1.toml$2" "$FUFI" sweep "$S/$1.toml" --db "$S/bad.db" --plan
}
D=$'[data]\nsynthetic = "small"\n'
bad syntax ":4:" "${D}[axes]"$'\nmodel = ["srcnn"\n'
bad topkey ":1: unknown key 'sedes' in the sweep file (did you mean 'seeds'?)" $'sedes = 3\n'"${D}"$'[axes]\nmodel = "srcnn"\n'
bad datakey ":3: unknown key 'upscal' in [data] (did you mean 'upscale'?)" "${D}"$'upscal = 4\n[axes]\nmodel = "srcnn"\n'
bad model ":4: unknown model 'srcn' (did you mean 'srcnn'?)" "${D}"$'[axes]\nmodel = ["srcn"]\n'
bad loss ":4: unknown loss 'smoth_l1' (did you mean 'smooth_l1'?)" "${D}"$'[training]\nloss = "smoth_l1"\n[axes]\nmodel = "srcnn"\n'
bad axiskey ":5: unknown key 'chanels' in [axes] (did you mean 'channels'?)" "${D}"$'[axes]\nmodel = "srcnn"\nchanels = [8]\n'
bad type ":4: key 'channels': expected an integer, got a string (8)" "${D}"$'[models.srcnn]\nchannels = "8"\n[axes]\nmodel = "srcnn"\n'
bad modelkey ":4: unknown key 'film' for model 'srcnn'" "${D}"$'[training]\nfilm = false\n[axes]\nmodel = "srcnn"\n'
bad value ":4: key 'batch_size': must be positive" "${D}"$'[training]\nbatch_size = 0\n[axes]\nmodel = "srcnn"\n'
bad task ":5: unknown task 'P7'" "${D}"$'[axes]\nmodel = "srcnn"\ntask = ["P1", "P7"]\n'
bad variant ":8: unknown variant 'wo_flim' (did you mean 'wo_film'?)" "${D}"$'[axes]\nmodel = "plgf"\n[variants]\nwo_film = { film = false }\n[[exclude]]\nvariant = "wo_flim"\n'
bad seeds ":1: seeds must be a count" $'seeds = "five"\n'"${D}"$'[axes]\nmodel = "srcnn"\n'
# A top-level key written below a table belongs to that table in TOML: the message says so.
bad toplevel ":3: unknown key 'seeds' in [data] (did you mean 'seed'?)" "${D}"$'seeds = 3\n[axes]\nmodel = "srcnn"\n'

# A data root that does not exist: exit 2 naming the sweep's file:line of data.root, and no DB or lock left.
printf 'name = "noroot"\n[data]\nroot = "%s"\n[axes]\nmodel = "uniform"\ntask = "P1"\n' "$S/no_such_root" >"$S/noroot.toml"
expect 2 "$S/noroot.toml:3: data.root: $S/no_such_root: data directory does not exist" \
  "$FUFI" sweep "$S/noroot.toml" --db "$S/noroot/fufi.db" --quiet
check "a sweep with a missing data root left no DB or lock" \
  test ! -e "$S/noroot/fufi.db" -a ! -e "$S/noroot/fufi.db.lock" -a ! -e "$S/noroot/fufi.db-wal"

# Bad data under a root: every task is loaded and checked once before the DB exists. A NaN fails the sweep (exit 2)
# naming data.root's line, the file and the cell, and leaves no DB; ext in raw units warns, and --strict refuses.
with_synthetic_data
cp -r "$WORK/syn" "$S/nanroot"
python3 - "$S/nanroot/P1/valid/Y.npy" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
start = 10 + (b[8] | b[9] << 8)
b[start + 4 * 5:start + 4 * 6] = struct.pack("<f", float("nan"))  # sample 0, channel 0, row 0, col 5
open(sys.argv[1], "wb").write(b)
PY
printf 'name = "nanroot"\n[data]\nroot = "%s"\n[axes]\nmodel = "uniform"\ntask = "P1"\n' "$S/nanroot" >"$S/nanroot.toml"
expect 2 "$S/nanroot.toml:3: data.root: $S/nanroot/P1/valid/Y.npy" \
  "$FUFI" sweep "$S/nanroot.toml" --db "$S/nanroot_db/fufi.db" --quiet
check "a sweep with a NaN in its data left no DB" test ! -e "$S/nanroot_db/fufi.db"
cp -r "$WORK/syn" "$S/rawroot"
python3 - "$S/rawroot/P1/train/ext.npy" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
start = 10 + (b[8] | b[9] << 8)
for i in range(start, len(b), 28):  # column 0 (temperature) in degrees Celsius
    b[i:i + 4] = struct.pack("<f", 23.0)
open(sys.argv[1], "wb").write(b)
PY
printf 'name = "rawroot"\n[data]\nroot = "%s"\n[axes]\nmodel = "uniform"\ntask = "P1"\n' "$S/rawroot" >"$S/rawroot.toml"
expect 2 "column 0 (temperature) ranges 23..23" \
  "$FUFI" sweep "$S/rawroot.toml" --db "$S/rawroot_strict/fufi.db" --quiet --strict
check "a --strict sweep refused before creating its DB" test ! -e "$S/rawroot_strict/fufi.db"
expect 0 "fufi: warning: $S/rawroot/P1/train/ext.npy: column 0 (temperature) ranges 23..23" \
  "$FUFI" sweep "$S/rawroot.toml" --db "$S/rawroot_db/fufi.db" --quiet

# --- query
Q="$S/db/fufi.db"
expect 0 "cli" "$FUFI" query "$Q"
expect 0 "srcnn" "$FUFI" query "$Q" jobs --where model=srcnn --where seed=2
expect 0 "| uniform |" "$FUFI" query "$Q" summary --format md
"$FUFI" query "$Q" summary --format json >"$S/summary.json" 2>&1
if python3 -c "import json,sys; rows=json.load(open(sys.argv[1])); assert len(rows)==2 and all(r['n']==2 for r in rows), rows" "$S/summary.json"; then
  passed=$((passed + 1))
else
  echo "FAIL: query summary --format json"; head -5 "$S/summary.json"; failed=$((failed + 1))
fi
n=$("$FUFI" query "$Q" jobs --where "model=srcnn' OR '1'='1" --format csv | wc -l)
if [ "$n" -eq 1 ]; then passed=$((passed + 1)); else echo "FAIL: --where value was not bound ($n lines)"; failed=$((failed + 1)); fi
expect 0 "n" "$FUFI" query "$Q" --sql "SELECT count(*) AS n FROM jobs WHERE status = 'done'"
expect 2 "only statements that read" "$FUFI" query "$Q" --sql "DELETE FROM jobs"
expect 2 "only statements that read" "$FUFI" query "$Q" --sql "PRAGMA user_version = 7"
expect 0 "4" "$FUFI" query "$Q" --sql "SELECT count(*) FROM jobs"
expect 2 "unknown view 'sumary' (did you mean 'summary'?)" "$FUFI" query "$Q" sumary
expect 2 "did you mean 'model'" "$FUFI" query "$Q" jobs --where modle=srcnn
expect 2 "$S/none.db: no such database file" "$FUFI" query "$S/none.db"
expect 2 "format" "$FUFI" query "$Q" --format xml

# --- every sweep file in sweeps/ plans (the paper's expect TaxiBJ, which --plan does not need)
# byo_example's TorchScript file is written by scripts/example-torchscript-model.py (Python, not in CI): until it
# exists the plan names it (exit 2).
for f in "$(dirname "${BASH_SOURCE[0]}")"/../../sweeps/*.toml; do
  if [ "$(basename "$f")" = byo_example.toml ] && [ ! -f "$(dirname "$f")/../byo/urbanfm_tiny.pt" ]; then
    expect 2 "urbanfm_tiny.pt: the TorchScript file does not exist" "$FUFI" sweep "$f" --db "$S/plans.db" --plan
  else
    expect 0 "to run" "$FUFI" sweep "$f" --db "$S/plans.db" --plan
  fi
done

finish
