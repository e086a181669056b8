#!/usr/bin/env bash
# CLI tests of `fufi data` (cmd_data.cpp): synth (files, same bytes for the same seed, bad options) and stats
# (text and JSON, errors naming the file), on real BikeNYC data when ../shared/data has it. Usage: as lib.sh says.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh"

expect 0 "synth" "$FUFI" data --help

# --- data synth
expect 0 "wrote synthetic" "$FUFI" data synth --out "$WORK/syn" --tasks P1,P2 --samples 20 --seed 3
for f in P1/train/X.npy P1/train/Y.npy P1/train/ext.npy P2/test/Y.npy fufi_synth.json; do
  if [ -f "$WORK/syn/$f" ]; then passed=$((passed + 1)); else echo "FAIL: missing $WORK/syn/$f"; failed=$((failed + 1)); fi
done
expect 0 "" "$FUFI" data synth --out "$WORK/syn_again" --tasks P1,P2 --samples 20 --seed 3 --threads 1
if cmp -s "$WORK/syn/P1/train/Y.npy" "$WORK/syn_again/P1/train/Y.npy" && cmp -s "$WORK/syn/P2/test/ext.npy" "$WORK/syn_again/P2/test/ext.npy"; then
  passed=$((passed + 1))
else
  echo "FAIL: same seed gave different bytes"; failed=$((failed + 1))
fi
expect 2 "preset 'smal'" "$FUFI" data synth --out "$WORK/x" --preset smal
expect 2 "task 'P9'" "$FUFI" data synth --out "$WORK/x" --tasks P1,P9
expect 2 "--out" "$FUFI" data synth
expect 2 "upscale" "$FUFI" data synth --out "$WORK/x" --upscale 1
expect 2 "--seed" "$FUFI" data synth --out "$WORK/x" --seed notanumber

# --- data stats
expect 0 "spatial constraint: max abs violation 0" "$FUFI" data stats "$WORK/syn"
expect 0 "" "$FUFI" data stats "$WORK/syn" --task P2
expect 0 "per-hour gain" "$FUFI" data stats "$WORK/syn" --task P2
"$FUFI" data stats "$WORK/syn/P1" --format json >"$WORK/stats.json" 2>&1
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); c=d[0]['context']; assert d[0]['upscale']==4 and d[0]['splits'][0]['fine']['zero_fraction']>0 and c['split']=='test' and c['by_hour_applicable'] and 0<c['static_over_uniform']<1 and c['mae_by_hour']>0" "$WORK/stats.json"; then
  passed=$((passed + 1))
else
  echo "FAIL: stats --format json is not the expected JSON"; head -5 "$WORK/stats.json"; failed=$((failed + 1))
fi
expect 2 "$WORK/absent" "$FUFI" data stats "$WORK/absent"
expect 2 "format" "$FUFI" data stats "$WORK/syn" --format xml
expect 2 "task 'P7'" "$FUFI" data stats "$WORK/syn" --task P7
# A corrupt file inside a dataset is named in the error.
mkdir -p "$WORK/bad/train" "$WORK/bad/valid" "$WORK/bad/test"
for s in train valid test; do cp "$WORK/syn/P1/$s/"*.npy "$WORK/bad/$s/"; done
head -c 300 "$WORK/syn/P1/valid/Y.npy" >"$WORK/bad/valid/Y.npy"
expect 2 "$WORK/bad/valid/Y.npy: truncated payload" "$FUFI" data stats "$WORK/bad"
printf 'not an npy file' >"$WORK/bad/valid/Y.npy"
expect 2 "bad magic" "$FUFI" data stats "$WORK/bad"

# --- real BikeNYC data (skipped when ../shared/data is absent)
if [ -n "$SHARED" ] && [ -f "$SHARED/BikeNYC_FUFI_P6/train/X.npy" ]; then
  expect 0 "C=2 coarse 40x16 upscale x2 ext absent" "$FUFI" data stats "$SHARED/BikeNYC_FUFI_P6"
  expect 0 "per-hour gain n/a (no ext" "$FUFI" data stats "$SHARED/BikeNYC_FUFI_P6"
else
  echo "skip: BikeNYC data absent"
fi

finish
