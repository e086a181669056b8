#!/usr/bin/env bash
# CLI tests of `fufi eval` (cmd_eval.cpp): metrics of a prediction file against a target file, as text and JSON,
# and errors naming the missing file, the shape mismatch or the missing option. Usage: as lib.sh says.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh"

with_synthetic_data

# --- eval
Y="$WORK/syn/P1/test/Y.npy"
expect 0 '"mse": 0' "$FUFI" eval --pred "$Y" --target "$Y" --format json
expect 0 "MAPE" "$FUFI" eval --pred "$Y" --target "$Y"
expect 2 "$WORK/nope.npy" "$FUFI" eval --pred "$WORK/nope.npy" --target "$Y"
expect 2 "does not match" "$FUFI" eval --pred "$WORK/syn/P1/test/X.npy" --target "$Y"
expect 2 "--target" "$FUFI" eval --pred "$Y"

finish
