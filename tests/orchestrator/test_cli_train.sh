# CLI tests of `fufi train` (cmd_train.cpp) and `fufi infer` (cmd_infer.cpp). Usage: as lib.sh says.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh" "$@"
with_synthetic_data
DATA="$WORK/syn/P1"
TINY=(--set channels=8 --set residual_blocks=1 --set epochs=3 --set batch_size=4 --set threads=1 --set loss=mse)

expect 0 "test mse" "$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 "${TINY[@]}" --seed 4 --out "$WORK/run_a" --quiet
python3 - "$WORK/run_a/metrics.json" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: metrics.json of run_a"; failed=$((failed + 1)); }
import json, sys
m = json.load(open(sys.argv[1]))
assert m["status"] == "done" and m["epochs_run"] == 3 and m["parameters"] > 0, m
assert all(k in m["test"] for k in ("mse", "mae", "mape", "rmse")), m
PY

# One epoch numbering (0-based) everywhere: the progress lines, the console's best epoch, metrics.json, epochs.jsonl.
"$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 "${TINY[@]}" --seed 4 --out "$WORK/run_epochs" \
  >"$WORK/run_epochs.log" 2>&1
python3 - "$WORK/run_epochs" "$WORK/run_epochs.log" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: epoch numbering"; failed=$((failed + 1)); }
import json, re, sys
m = json.load(open(sys.argv[1] + "/metrics.json"))
log = open(sys.argv[2]).read()
best = int(re.search(r"best epoch (\d+)", log).group(1))
assert best == m["best_epoch"], (best, m["best_epoch"], log)
assert [int(e) for e in re.findall(r"^epoch +(\d+) of 0\.\.2 ", log, re.M)] == [0, 1, 2], log
assert [json.loads(l)["epoch"] for l in open(sys.argv[1] + "/epochs.jsonl")] == [0, 1, 2]
starred = [int(e) for e in re.findall(r"^epoch +(\d+) .*\*$", log, re.M)]
assert starred[-1] == m["best_epoch"], (starred, m["best_epoch"])
PY

# Model errors name the user's model; ext in raw units warns, --strict refuses (exit 2).
"$FUFI" data synth --out "$WORK/x3" --tasks P1 --samples 20 --seed 3 --coarse 4 --upscale 3 >/dev/null 2>&1
expect 2 "urbanfm: upscale factor 3 is not a power of two" "$FUFI" train --model urbanfm --data "$WORK/x3" --task P1 \
  --out "$WORK/run_x3" --quiet
cp -r "$WORK/syn/P1" "$WORK/rawext"
python3 - "$WORK/rawext/test/ext.npy" <<'PY'
import struct, sys
# Column 0 (temperature) of every row in degrees Celsius: the float32 payload after the NPY header.
b = bytearray(open(sys.argv[1], "rb").read())
start = 10 + (b[8] | b[9] << 8)
for i in range(start, len(b), 28):
    b[i:i + 4] = struct.pack("<f", 23.0)
open(sys.argv[1], "wb").write(b)
PY
expect 0 "column 0 (temperature) ranges 23..23" "$FUFI" train --model urbanfm --data "$WORK/rawext" "${TINY[@]}" \
  --out "$WORK/run_rawext" --quiet
expect 2 "column 0 (temperature) ranges 23..23" "$FUFI" train --model urbanfm --data "$WORK/rawext" "${TINY[@]}" \
  --out "$WORK/run_rawext_strict" --quiet --strict
expect 2 "column 0 (temperature)" "$FUFI" data stats "$WORK/rawext" --strict

# infer -> eval reproduces the test metrics of the best checkpoint.
expect 0 "largest block-sum error" "$FUFI" infer --checkpoint "$WORK/run_a/best.ckpt" --coarse "$DATA/test/X.npy" \
  --ext "$DATA/test/ext.npy" --out "$WORK/run_a/pred.npy"
"$FUFI" eval --pred "$WORK/run_a/pred.npy" --target "$DATA/test/Y.npy" --format json >"$WORK/run_a/eval.json"
python3 - "$WORK/run_a/metrics.json" "$WORK/run_a/eval.json" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: infer/eval differs from the test metrics"; failed=$((failed + 1)); }
import json, sys
m, e = json.load(open(sys.argv[1]))["test"], json.load(open(sys.argv[2]))
for k in ("mse", "mae", "mape"):
    assert abs(m[k] - e[k]) <= 1e-5 * max(1.0, abs(m[k])), (k, m[k], e[k])
PY
expect 2 "--ext" "$FUFI" infer --checkpoint "$WORK/run_a/best.ckpt" --coarse "$DATA/test/X.npy" --out "$WORK/x.npy"
# The forward's memory format: given, or (auto) measured only for inputs of at least 8 batches.
expect 0 "channels_last set" "$FUFI" infer --checkpoint "$WORK/run_a/best.ckpt" --coarse "$DATA/test/X.npy" \
  --ext "$DATA/test/ext.npy" --out "$WORK/pred_nhwc.npy" --channels-last true
expect 0 "contiguous default" "$FUFI" infer --checkpoint "$WORK/run_a/best.ckpt" --coarse "$DATA/test/X.npy" \
  --ext "$DATA/test/ext.npy" --out "$WORK/pred_auto.npy"
rm -f "$WORK/autotune_infer.json"
expect 0 "measured" env FUFI_AUTOTUNE_CACHE="$WORK/autotune_infer.json" "$FUFI" infer --checkpoint \
  "$WORK/run_a/best.ckpt" --coarse "$DATA/train/X.npy" --ext "$DATA/train/ext.npy" --out "$WORK/pred_auto1.npy" --batch 1
expect 0 "cached" env FUFI_AUTOTUNE_CACHE="$WORK/autotune_infer.json" "$FUFI" infer --checkpoint \
  "$WORK/run_a/best.ckpt" --coarse "$DATA/train/X.npy" --ext "$DATA/train/ext.npy" --out "$WORK/pred_auto2.npy" --batch 1
expect 2 "--channels-last: unknown value 'yes'" "$FUFI" infer --checkpoint "$WORK/run_a/best.ckpt" \
  --coarse "$DATA/test/X.npy" --ext "$DATA/test/ext.npy" --out "$WORK/x.npy" --channels-last yes
expect 2 "does not fit" "$FUFI" infer --checkpoint "$WORK/run_a/best.ckpt" --coarse "$DATA/test/Y.npy" --ext "$DATA/test/ext.npy" --out "$WORK/x.npy"
expect 2 "not a readable checkpoint" "$FUFI" infer --checkpoint "$DATA/test/X.npy" --coarse "$DATA/test/X.npy" --out "$WORK/x.npy"

# Same seed, same numbers.
expect 0 "" "$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 "${TINY[@]}" --seed 4 --out "$WORK/run_b" --quiet
python3 - "$WORK/run_a/metrics.json" "$WORK/run_b/metrics.json" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: same seed gave different metrics"; failed=$((failed + 1)); }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["test"] == b["test"] and a["best_epoch"] == b["best_epoch"], (a, b)
PY

# kill -9 in the middle of a run, rerun the same command: the same result as the uninterrupted run.
LONG=(--set channels=8 --set residual_blocks=1 --set epochs=12 --set batch_size=2 --set threads=1 --set loss=mse)
"$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 "${LONG[@]}" --seed 9 --out "$WORK/run_whole" --quiet >/dev/null 2>&1
"$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 "${LONG[@]}" --seed 9 --out "$WORK/run_killed" --quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  [ -f "$WORK/run_killed/epochs.jsonl" ] && [ "$(wc -l <"$WORK/run_killed/epochs.jsonl")" -ge 4 ] && break
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -f "$WORK/run_killed/metrics.json" ]; then echo "note: the run finished before the kill"; fi
expect 0 "" "$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 "${LONG[@]}" --seed 9 --out "$WORK/run_killed" --quiet
python3 - "$WORK/run_whole" "$WORK/run_killed" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: kill -9 + rerun differs from the uninterrupted run"; failed=$((failed + 1)); }
import json, sys
a, b = (json.load(open(d + "/metrics.json")) for d in sys.argv[1:3])
assert a["test"] == b["test"] and a["best_epoch"] == b["best_epoch"], (a["test"], b["test"])
lines = [json.loads(l) for l in open(sys.argv[2] + "/epochs.jsonl")]
assert [l["epoch"] for l in lines] == list(range(12)), [l["epoch"] for l in lines]
PY

# Data-parallel under mpirun: 2 ranks train one job.
if command -v mpirun >/dev/null 2>&1; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  expect 0 "test mse" mpirun --oversubscribe --bind-to none -np 2 "$FUFI" train --model urbanfm --data "$WORK/syn" \
    --task P1 "${TINY[@]}" --seed 4 --out "$WORK/run_mpi" --quiet
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert m['ranks']==2 and m['status']=='done', m" \
    "$WORK/run_mpi/metrics.json" && passed=$((passed + 1)) || { echo "FAIL: mpirun metrics.json"; failed=$((failed + 1)); }
fi

# Failures: classified, exit codes, the cause in metrics.json.
expect 1 "diverged" "$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 "${TINY[@]}" --set lr=1e30 --out "$WORK/run_div" --quiet
python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert m['status']=='failed' and m['error_class']=='diverged', m" \
  "$WORK/run_div/metrics.json" && passed=$((passed + 1)) || { echo "FAIL: divergence not in metrics.json"; failed=$((failed + 1)); }
expect 2 "did you mean 'urbanfm'" "$FUFI" train --model urbnfm --data "$WORK/syn" --task P1 --out "$WORK/run_x"
expect 2 "did you mean 'epochs'" "$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 --set epoch=3 --out "$WORK/run_x"
expect 2 "'lr': expected a finite number" "$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 --set lr=fast --out "$WORK/run_x"
expect 2 "$WORK/nodata" "$FUFI" train --model urbanfm --data "$WORK/nodata" --out "$WORK/run_x"
expect 2 "no task 'P8'" "$FUFI" train --model urbanfm --data "$WORK/syn" --task P8 --out "$WORK/run_x"
expect 2 "key=value" "$FUFI" train --model urbanfm --data "$WORK/syn" --task P1 --set epochs --out "$WORK/run_x"

finish
