# CLI tests of "torchscript:" models (`fufi train`, `fufi models`, `fufi infer`, `fufi sweep`) and `fufi export`
# (cmd_export.cpp). The TorchScript files come from the torchscript_fixtures tool (C++, no Python), named by
# $FUFI_TORCHSCRIPT_FIXTURES (set by CTest). Usage: as lib.sh says.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh" "$@"
with_synthetic_data

if [ -z "${FUFI_TORCHSCRIPT_FIXTURES:-}" ] || [ ! -x "$FUFI_TORCHSCRIPT_FIXTURES" ]; then
  echo "skip: torchscript CLI tests (FUFI_TORCHSCRIPT_FIXTURES does not name the torchscript_fixtures tool)"
else
  B="$WORK/byo"
  BYO_DATA="$WORK/syn/P1"
  "$FUFI_TORCHSCRIPT_FIXTURES" "$B/models" || { echo "FAIL: torchscript_fixtures"; failed=$((failed + 1)); }
  BYO_SETS=(--set epochs=2 --set batch_size=4 --set threads=1 --set loss=mse)

  # A relative path is taken from the working directory; the run records it absolute.
  BYO_FUFI=$(realpath "$FUFI")  # the subshell below changes directory
  (cd "$B" && "$BYO_FUFI" train --model torchscript:models/density.pt --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" \
    --out "$B/run" --quiet) >"$B/train.log" 2>&1
  if grep -qF "torchscript:models/density.pt: test mse" "$B/train.log"; then passed=$((passed + 1)); else
    echo "FAIL: fufi train --model torchscript:..."; cat "$B/train.log"; failed=$((failed + 1)); fi
  python3 - "$B/run/metrics.json" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: metrics.json of the torchscript run"; failed=$((failed + 1)); }
import json, sys
m = json.load(open(sys.argv[1]))
assert m["status"] == "done" and m["parameters"] == 1280, m
PY
  expect 0 "1280" "$FUFI" models "torchscript:$B/models/density.pt"
  expect 0 "largest block-sum error" "$FUFI" infer --checkpoint "$B/run/best.ckpt" --coarse "$BYO_DATA/test/X.npy" \
    --ext "$BYO_DATA/test/ext.npy" --out "$B/pred.npy"

  # export -> a state_dict: 5 tensors under the module's own names.
  expect 0 "5 tensors, 1280 parameters -> $B/weights.pt" "$FUFI" export --checkpoint "$B/run/best.ckpt" --out "$B/weights.pt"
  expect 2 "$BYO_DATA/test/X.npy" "$FUFI" export --checkpoint "$BYO_DATA/test/X.npy" --out "$B/w.pt"
  expect 2 "$B/no_dir/w.pt" "$FUFI" export --checkpoint "$B/run/best.ckpt" --out "$B/no_dir/w.pt"
  expect 2 "--out" "$FUFI" export --checkpoint "$B/run/best.ckpt"
  # Python's torch.load reads it when PyTorch is installed (Debian: apt-get install python3-torch); else skip.
  if /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
    /usr/bin/python3 - "$B/weights.pt" <<'PY' && passed=$((passed + 1)) || { echo "FAIL: torch.load of the exported state_dict"; failed=$((failed + 1)); }
import sys, torch
try:
    sd = torch.load(sys.argv[1], weights_only=True)
except TypeError:  # a PyTorch without weights_only
    sd = torch.load(sys.argv[1])
assert isinstance(sd, dict) and sorted(sd) == ["b1", "head.bias", "head.weight", "w1", "we"], sorted(sd)
assert tuple(sd["head.weight"].shape) == (16, 8, 3, 3) and not sd["w1"].requires_grad
PY
  else
    echo "skip: torch.load check of fufi export (no python3-torch)"
  fi

  # Bad modules: exit 2, the file named.
  M="$B/models"
  expect 2 "$M/notes.pt: not a TorchScript file" "$FUFI" train --model "torchscript:$M/notes.pt" --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" --out "$B/bad"
  expect 2 "$M/newer.pt: saved by a newer PyTorch" "$FUFI" train --model "torchscript:$M/newer.pt" --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" --out "$B/bad"
  expect 2 "format version is 99" "$FUFI" train --model "torchscript:$M/newer.pt" --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" --out "$B/bad"
  expect 2 "$M/negative.pt: fufi_output is \"density\", but forward returned negative values" "$FUFI" train \
    --model "torchscript:$M/negative.pt" --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" --out "$B/bad"
  expect 2 "$M/wrong_signature.pt: wrong forward signature" "$FUFI" train --model "torchscript:$M/wrong_signature.pt" \
    --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" --out "$B/bad"
  expect 2 "$M/wrong_shape.pt: forward returned a 2x1x16x16" "$FUFI" train --model "torchscript:$M/wrong_shape.pt" \
    --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" --out "$B/bad"
  expect 2 "$M/frozen.pt: the module has no trainable parameters" "$FUFI" train --model "torchscript:$M/frozen.pt" \
    --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" --out "$B/bad"
  expect 2 "$M/absent.pt: the TorchScript file does not exist" "$FUFI" train --model "torchscript:$M/absent.pt" \
    --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" --out "$B/bad"
  expect 0 "test mse" "$FUFI" train --model "torchscript:$M/fine_noext.pt" --data "$WORK/syn" --task P1 "${BYO_SETS[@]}" \
    --set use_ext=false --out "$B/run_fine" --quiet

  # A sweep beside the module: the path is the sweep file's; a changed file gives a new job.
  # shellcheck source=tests/orchestrator/sweep_fixture.sh
  source "$(dirname "${BASH_SOURCE[0]}")/sweep_fixture.sh"
  write_sweep "$B/byo.toml" byo 1 1 <<'EOF'
[axes]
model = ["torchscript:models/density.pt", "uniform"]
task = "P1"
EOF
  expect 0 "2 jobs: 2 done (2 this run), 0 failed" "$FUFI" sweep "$B/byo.toml" --db "$B/db/fufi.db" --quiet
  expect 0 "torchscript:$M/density.pt" "$FUFI" query "$B/db/fufi.db" jobs
  expect 0 "2 done, 0 failed, 0 to run" "$FUFI" sweep "$B/byo.toml" --db "$B/db/fufi.db" --plan
  cp "$M/fine_noext.pt" "$M/density.pt"
  expect 0 "1 done, 0 failed, 1 to run" "$FUFI" sweep "$B/byo.toml" --db "$B/db/fufi.db" --plan
  rm "$M/density.pt"
  expect 2 "$B/byo.toml:" "$FUFI" sweep "$B/byo.toml" --db "$B/db/fufi.db" --plan
fi

finish
