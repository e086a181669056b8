# CLI tests of issue #20: a full disk, a special file, a shared run directory and values that must fail fast
# never corrupt a result or a system file. The full disk is a file-size limit (ulimit -f: writes past it
# fail with EFBIG, "File too large", as they would with ENOSPC), so no root or tmpfs is needed.
# Usage: as lib.sh says.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh" "$@"
with_synthetic_data
DATA="$WORK/syn/P1"
TINY=(--set channels=8 --set residual_blocks=1 --set epochs=3 --set batch_size=4 --set threads=1 --set loss=mse)

# no_torn_files DIR: no temporary file and no 0-byte file under a real name is left in DIR (recursively).
no_torn_files() {
  local found
  found=$(find "$1" \( -name '*.tmp.*' -o \( -type f -size 0 ! -name .lock \) \) -print 2>/dev/null)
  [ -z "$found" ] || { echo "left behind: $found"; return 1; }
}

# --- 1. a full disk: a classified io failure naming the file and the OS error, exit 1; nothing torn
expect 1 "File too large" bash -c 'ulimit -f 4; exec "$@"' _ "$FUFI" train --model urbanfm --data "$DATA" "${TINY[@]}" \
  --out "$WORK/full" --quiet
expect 0 "" grep -q '"error_class": "io"' "$WORK/full/metrics.json"
expect 0 "" grep -q "$WORK/full/" "$WORK/full/metrics.json"
check "train on a full disk left no torn file" no_torn_files "$WORK/full"
# The rerun with space trains: nothing the failed run left misleads it.
expect 0 "test mse" "$FUFI" train --model urbanfm --data "$DATA" "${TINY[@]}" --out "$WORK/full" --quiet
expect 1 "File too large" bash -c 'ulimit -f 8; exec "$@"' _ "$FUFI" infer --checkpoint "$WORK/full/best.ckpt" \
  --coarse "$DATA/test/X.npy" --ext "$DATA/test/ext.npy" --out "$WORK/full/pred.npy"
check "infer on a full disk left no file" test ! -e "$WORK/full/pred.npy"
check "infer on a full disk left no torn file" no_torn_files "$WORK/full"
expect 1 "File too large" bash -c 'ulimit -f 8; exec "$@"' _ "$FUFI" data synth --out "$WORK/full_syn" --tasks P1 --samples 20
check "data synth on a full disk left no torn file" no_torn_files "$WORK/full_syn"

# An unreadable checkpoint (0 bytes, as a full disk left them before) is never resumed from.
mkdir -p "$WORK/zero" && : >"$WORK/zero/last.ckpt"
expect 0 "not resuming from it" "$FUFI" train --model urbanfm --data "$DATA" "${TINY[@]}" --out "$WORK/zero" --quiet

# --- 2. an output that is not a regular file is refused (exit 2), never replaced; a symlink is written through
CKPT=(--checkpoint "$WORK/full/best.ckpt" --coarse "$DATA/test/X.npy" --ext "$DATA/test/ext.npy")
mkfifo "$WORK/fifo.npy"
expect 2 "$WORK/fifo.npy: exists and is a FIFO" "$FUFI" infer "${CKPT[@]}" --out "$WORK/fifo.npy"
check "the FIFO is still a FIFO" test -p "$WORK/fifo.npy"
expect 2 "/dev/null: exists and is a character device" "$FUFI" infer "${CKPT[@]}" --out /dev/null
check "/dev/null is still a character device" test -c /dev/null
mkdir -p "$WORK/adir.npy"
expect 2 "exists and is a directory" "$FUFI" infer "${CKPT[@]}" --out "$WORK/adir.npy"
mkdir -p "$WORK/real"
ln -s "$WORK/real/pred.npy" "$WORK/link.npy"
: >"$WORK/real/pred.npy"
expect 0 "largest block-sum error" "$FUFI" infer "${CKPT[@]}" --out "$WORK/link.npy"
check "the symlink is still a symlink" test -L "$WORK/link.npy"
check "its target holds the array" test -s "$WORK/real/pred.npy"
ln -s /dev/null "$WORK/null_link.npy"
expect 2 "a character device; refusing" "$FUFI" infer "${CKPT[@]}" --out "$WORK/null_link.npy"
check "the symlink to /dev/null is still one" test -L "$WORK/null_link.npy"

# --- 3. one writer per run directory: a second writer gets exit 2 naming the holder's pid and host
LONG=(--set channels=8 --set residual_blocks=1 --set epochs=400 --set batch_size=2 --set threads=1 --set loss=mse)
"$FUFI" train --model urbanfm --data "$DATA" "${LONG[@]}" --out "$WORK/shared" --quiet >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 600); do [ -s "$WORK/shared/epochs.jsonl" ] && break; sleep 0.05; done
expect 2 "another fufi process is writing this run directory (pid $holder on $(hostname)" \
  "$FUFI" train --model urbanfm --data "$DATA" "${LONG[@]}" --out "$WORK/shared" --quiet
expect 2 "pid $holder" "$FUFI" train --model urbanfm --data "$DATA" "${LONG[@]}" --out "$WORK/shared" --fresh --quiet
check "the refused writer (even with --fresh) left the holder's checkpoint" test -s "$WORK/shared/last.ckpt"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "the refused writer wrote no metrics.json" test ! -e "$WORK/shared/metrics.json"

# --- 6. values that must fail fast
expect 2 "--seed" "$FUFI" train --model urbanfm --data "$DATA" "${TINY[@]}" --seed -1 --out "$WORK/neg"
expect 2 "key 'threads': must be in [0," "$FUFI" train --model urbanfm --data "$DATA" --set threads=100000 --out "$WORK/thr"
expect 2 "--samples" "$FUFI" data synth --out "$WORK/s0" --samples 0
expect 2 "--coarse" "$FUFI" data synth --out "$WORK/s0" --coarse 0
expect 2 "--seed" "$FUFI" data synth --out "$WORK/s0" --seed -1
check "refused synth wrote nothing" test ! -e "$WORK/s0"

# shellcheck source=tests/orchestrator/sweep_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/sweep_fixture.sh"
S="$WORK/sweep"
mkdir -p "$S"
write_sweep "$S/n2.toml" integrity 1 1 <<'TOML'
[axes]
model = "cufar"
task = "P1"
TOML
expect 2 "--set: key 'depth': expected an integer, got 'abc'" "$FUFI" sweep "$S/n2.toml" --db "$S/x.db" --plan --set depth=abc
for v in true yes 1; do
  "$FUFI" sweep "$S/n2.toml" --db "$S/x.db" --plan --format json --set safe_n2=$v 2>/dev/null | grep -o '"job": "[0-9a-f]*"' >"$S/ids_$v"
done
check "safe_n2=true, yes and 1 make one job id" cmp -s "$S/ids_true" "$S/ids_yes"
check "safe_n2=true and 1 make one job id" cmp -s "$S/ids_true" "$S/ids_1"
check "the plan printed a job id" test -s "$S/ids_true"

# --- 5. sweep identity: a name bound to its file; jobs a file no longer has listed; relative data roots
write_sweep "$S/a.toml" bound 1 1 <<'TOML'
[axes]
model = ["uniform", "historical"]
task = "P1"
TOML
mkdir -p "$S/other"
write_sweep "$S/other/a.toml" bound 2 1 <<'TOML'
[axes]
model = "uniform"
task = "P1"
TOML
expect 0 "2 jobs: 2 done" "$FUFI" sweep "$S/a.toml" --db "$S/bound.db" --runner noop --quiet
expect 2 "the sweep name 'bound' is taken" "$FUFI" sweep "$S/other/a.toml" --db "$S/bound.db" --runner noop --quiet
expect 0 "" "$FUFI" sweep "$S/other/a.toml" --db "$S/bound.db" --runner noop --quiet --replace-sweep
expect 2 "--replace-sweep" "$FUFI" sweep "$S/a.toml" --db "$S/bound.db" --plan  # the plan refuses what the run would
check "run directories are recorded relative to the DB" test "$("$FUFI" query "$S/bound.db" --format csv \
  --sql "SELECT count(*) AS n FROM jobs WHERE run_dir NOT LIKE 'runs/%'" | tail -1)" = 0
mkdir -p "$S/rel/sweeps" "$S/elsewhere"
ln -s "$WORK/syn" "$S/rel/data"
write_sweep "$S/rel/sweeps/r.toml" rel 1 1 </dev/null
python3 - "$S/rel/sweeps/r.toml" <<'PY'
import re, sys
p = sys.argv[1]
t = open(p).read()
t = re.sub(r"\[data\][^\[]*", '[data]\nroot = "../data"\n', t, count=1)
open(p, "w").write(t + '[axes]\nmodel = "uniform"\ntask = "P1"\n')
PY
(cd "$S/elsewhere" && "$FUFI" sweep ../rel/sweeps/r.toml --db "$S/rel.db" --plan >"$S/plan_a.txt" 2>&1)
(cd "$S/rel/sweeps" && "$FUFI" sweep r.toml --db "$S/rel.db" --plan >"$S/plan_b.txt" 2>&1)
check "a relative data.root does not depend on the working directory" \
  bash -c "grep -qF '$S/rel/data; max_attempts' '$S/plan_a.txt' && grep -qF '$S/rel/data; max_attempts' '$S/plan_b.txt'"

# --- 7. the small ones
expect 2 "--sql: empty statement" "$FUFI" query "$S/x.db" --sql ""
LONGDIR="$S/$(printf 'd%.0s' $(seq 1 200))/$(printf 'e%.0s' $(seq 1 200))/$(printf 'f%.0s' $(seq 1 120))"
expect 2 "SQLite opens at most" "$FUFI" sweep "$S/n2.toml" --db "$LONGDIR/fufi.db" --quiet
check "a DB path too long for SQLite leaves no lock file" test ! -e "$LONGDIR/fufi.db.lock"
python3 - "$WORK" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: writing the huge-value arrays"; failed=$((failed + 1)); }
import struct, sys
def npy(path, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % len(values)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack("<%df" % len(values), *values))
npy(sys.argv[1] + "/huge_pred.npy", [2.0 ** 120, 0.0, 1.0, 2.0])
npy(sys.argv[1] + "/huge_target.npy", [0.0, 0.0, 1.0, 2.0])
PY
expect 0 "MSE   4.417118e+71" "$FUFI" eval --pred "$WORK/huge_pred.npy" --target "$WORK/huge_target.npy" --format table

finish
