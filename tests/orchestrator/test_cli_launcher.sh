#!/usr/bin/env bash
# CLI tests of `fufi` itself, the launcher (orchestrator/cli/launcher.cpp): `fufi query` and `fufi report` run in it,
# without LibTorch; every other subcommand, --help and --version become the full CLI, fufi-torch, found beside
# the real file (symbolic links resolved). Usage: as lib.sh says.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh"
full="$(dirname "$(readlink -f "$FUFI")")/fufi-torch"

# --- the launcher links no LibTorch (its start-up is what `fufi query` costs)
if command -v ldd >/dev/null 2>&1; then
  check "fufi itself links no LibTorch" bash -c "! ldd '$FUFI' | grep -q libtorch"
  check "fufi-torch links LibTorch" bash -c "ldd '$full' | grep -q libtorch"
fi

# --- a DB (50 no-op jobs), read through the launcher and through fufi-torch: the same bytes
"$FUFI" bench orchestrator --jobs 50 --db "$WORK/jobs.db" >/dev/null 2>&1 || { echo "FAIL: bench orchestrator for the DB"; failed=$((failed + 1)); }
for what in sweeps summary jobs; do
  check "fufi query $what: the launcher and fufi-torch agree" \
    cmp -s <("$FUFI" query "$WORK/jobs.db" "$what" --format csv 2>&1) <("$full" query "$WORK/jobs.db" "$what" --format csv 2>&1)
done
expect 0 "bench-orchestrator" "$FUFI" query "$WORK/jobs.db"

# --- query and report need nothing but the launcher: a copy alone answers them, with the usual exit codes
mkdir -p "$WORK/lone"
cp "$FUFI" "$WORK/lone/fufi"
expect 0 "bench-orchestrator" "$WORK/lone/fufi" query "$WORK/jobs.db"
expect 2 "no such database file" "$WORK/lone/fufi" query "$WORK/absent.db"
expect 2 "--where" "$WORK/lone/fufi" query "$WORK/jobs.db" summary --where nokey=1
expect 0 "Usage: fufi query" "$WORK/lone/fufi" query --help
expect 0 "report: " "$WORK/lone/fufi" report --db "$WORK/jobs.db" --out "$WORK/report" --no-figures
expect 2 "--only" "$WORK/lone/fufi" report --db "$WORK/jobs.db" --out "$WORK/report2" --only nosuchitem
# ... anything else says which file it needs
expect 1 "$WORK/lone/fufi-torch" "$WORK/lone/fufi" train --help
expect 1 "$WORK/lone/fufi-torch" "$WORK/lone/fufi" --version

# --- through a symbolic link, fufi-torch is found beside the real file
ln -sf "$(readlink -f "$FUFI")" "$WORK/fufi-link"
expect 0 "torch " "$WORK/fufi-link" --version
expect 0 "bench-orchestrator" "$WORK/fufi-link" query "$WORK/jobs.db"

finish
