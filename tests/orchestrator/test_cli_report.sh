# CLI tests of `fufi report` (cmd_report.cpp). Usage: as lib.sh says.
#  1. Every paper sweep file, run with the hidden fixture runner (hashed metrics, no training) into one DB:
#     the report writes every table and figure file (figures only when gnuplot is installed).
#  2. A real tiny sweep (two models, two seeds, one epoch): Table 1 and Figure 4 have measured numbers.
#  3. Errors: exit 2 naming the argument or file.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh" "$@"
R="$WORK/report"
SWEEPS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/sweeps"
mkdir -p "$R/root/P1" "$R/root/P2" "$R/root/P3" "$R/root/P4"  # a data root with the tasks; never read by fixture jobs

check_file() {  # check_file PATH: exists and is not empty
  if [ -s "$1" ]; then passed=$((passed + 1)); else echo "FAIL: missing or empty $1"; failed=$((failed + 1)); fi
}

for s in table1 table2_ablation fig4_efficiency fig5_dualfocal_plugin fig6_width_depth fig7_dualfocal_all_tasks; do
  expect 0 "0 failed" "$FUFI" sweep "$SWEEPS/$s.toml" --db "$R/paper.db" --runner fixture --data-root "$R/root" \
    --set device=cpu --quiet
done
expect 0 "0 failed" "$FUFI" sweep "$SWEEPS/fidelity.toml" --db "$R/paper.db" --runner fixture --quiet  # synthetic data
expect 0 "report: " "$FUFI" report --db "$R/paper.db" --out "$R/paper"
for item in table1 table2 fig4 fig5 fig6 fig7 fidelity claims; do
  for ext in md tex csv; do check_file "$R/paper/$item.$ext"; done
done
check_file "$R/paper/verdict.txt"
for item in fig4 fig5 fig6 fig7; do
  check_file "$R/paper/$item.dat"
  check_file "$R/paper/$item.gp"
  if command -v gnuplot >/dev/null 2>&1; then
    check_file "$R/paper/$item.png"
    check_file "$R/paper/$item.svg"
  fi
done
check_file "$R/paper/index.md"
check_file "$R/paper/index.html"
command -v gnuplot >/dev/null 2>&1 || echo "skip: gnuplot absent, report figures not drawn"
# Fixture numbers are labelled as such; all 13 models and the 3 naive references x 4 tasks are in Table 1 (3 tables
# of 13 rows and a header, 2 Delta rows, 3 naive rows in the measured table) and no cell is missing.
expect 0 "fixture metrics (not measured)" cat "$R/paper/table1.md"
expect 0 "Sweep \`table1\`: 320 of 320 jobs done" cat "$R/paper/table1.md"
expect 0 "| historical by_hour (naive) |" cat "$R/paper/table1.md"
if [ "$(grep -c '^| plgf |' "$R/paper/table1.md")" -eq 3 ] && [ "$(grep -c '^| ' "$R/paper/table1.md")" -eq 47 ] && ! grep -q 'Jobs not done' "$R/paper/table1.md"; then
  passed=$((passed + 1))
else
  echo "FAIL: table1.md lacks rows or has missing cells"; failed=$((failed + 1))
fi
# The verdict is one sentence on Table 1's sweep; the claims read every paper sweep; the fidelity switches are named
# from the jobs' configurations.
expect 0 "On sweep table1 (fixture metrics, not measured), task P1 (5 seeds): " cat "$R/paper/verdict.txt"
expect 0 "fixture metrics (not measured): on them the rule gives" cat "$R/paper/claims.md"
expect 0 "| 7 | each ablation hurts | Table 2 |" cat "$R/paper/claims.md"
expect 0 "| plgf | P1 | focal_sample | loss_focal: (default) → sample |" cat "$R/paper/fidelity.md"
expect 0 "| wo_context_gate | P1 | mse |" "$FUFI" query "$R/paper.db" --sql \
  "SELECT variant, task, 'mse' AS m FROM v_jobs WHERE sweep = 'table2_ablation' AND variant = 'wo_context_gate' LIMIT 1" --format md
# Same DB, same bytes (figures aside); the DB is not modified by a report. (The index lists the figure
# files, so runs with and without figures differ there only.)
before=$(sha256sum "$R/paper.db" | cut -d' ' -f1)
expect 0 "" "$FUFI" report --db "$R/paper.db" --out "$R/paper2" --no-figures
expect 0 "" "$FUFI" report --db "$R/paper.db" --out "$R/paper3" --no-figures
after=$(sha256sum "$R/paper.db" | cut -d' ' -f1)
same=1
for f in "$R"/paper/*.md "$R"/paper/*.tex "$R"/paper/*.csv "$R"/paper/*.dat "$R"/paper/*.gp; do
  case "$f" in */index.md) continue ;; esac
  cmp -s "$f" "$R/paper2/$(basename "$f")" || { echo "differs: $f"; same=0; }
done
for f in "$R"/paper2/*; do cmp -s "$f" "$R/paper3/$(basename "$f")" || { echo "differs: $f"; same=0; }; done
if [ "$same" -eq 1 ] && [ "$before" = "$after" ]; then passed=$((passed + 1)); else echo "FAIL: report not deterministic or DB changed"; failed=$((failed + 1)); fi
# Without gnuplot: a warning, exit 0, and the .dat/.gp files.
expect 0 "gnuplot not found" env FUFI_GNUPLOT=/nonexistent/gnuplot "$FUFI" report --db "$R/paper.db" --out "$R/nognuplot" --only fig6
check_file "$R/nognuplot/fig6.gp"

# --- a real tiny run: measured numbers in Table 1 and Figure 4
cat >"$R/tiny.toml" <<'TOML'
name = "tiny"
seeds = 2
[data]
synthetic = "small"
coarse_size = 8
upscale = 4
samples_per_task = 40
[training]
epochs = 1
batch_size = 8
[axes]
model = ["srcnn", "plgf"]
task = "P1"
[models.srcnn]
channels = 8
[models.plgf]
channels = 8
growth = 4
depth = 2
fpn_scales = 2
TOML
expect 0 "4 done" "$FUFI" sweep "$R/tiny.toml" --db "$R/tiny.db" --quiet
expect 0 "report: " "$FUFI" report --db "$R/tiny.db" --out "$R/tiny" --sweep table1=tiny --sweep fig4=tiny --only table1,fig4 --std
expect 0 "Device: cpu. Sweep \`tiny\`: 4 of 4 jobs done." cat "$R/tiny/table1.md"
expect 0 "On sweep tiny, task P1 (2 seeds): " cat "$R/tiny/verdict.txt"
expect 0 "— not TaxiBJ" cat "$R/tiny/table1.md"
# PLGF's row holds numbers (mean ± std over the two seeds), not dashes.
if grep -E '^\| plgf \| [*_]*[0-9.]+ ± [0-9.e+-]+' "$R/tiny/table1.md" >/dev/null && ! grep -q fixture "$R/tiny/table1.md"; then
  passed=$((passed + 1))
else
  echo "FAIL: tiny table1.md has no measured PLGF row"; grep plgf "$R/tiny/table1.md"; failed=$((failed + 1))
fi
check_file "$R/tiny/fig4.dat"
# Items whose sweep is absent say how to run it.
expect 0 "report: " "$FUFI" report --db "$R/tiny.db" --out "$R/tiny" --only table2
expect 0 "" grep -F "run it: \`fufi sweep sweeps/table2_ablation.toml --db $R/tiny.db\`" "$R/tiny/table2.md"

# --- errors
expect 2 "--only: unknown name 'tabel1' (did you mean 'table1'?)" "$FUFI" report --db "$R/tiny.db" --out "$R/x" --only tabel1
expect 2 "--format: unknown name 'html'" "$FUFI" report --db "$R/tiny.db" --out "$R/x" --format md,html
expect 2 "--sweep: expected ITEM=SWEEP" "$FUFI" report --db "$R/tiny.db" --out "$R/x" --sweep table1
expect 2 "--sweep: unknown item 'tabel1'" "$FUFI" report --db "$R/tiny.db" --out "$R/x" --sweep tabel1=tiny
expect 2 "--sweep: item 'claims' has no sweep of its own" "$FUFI" report --db "$R/tiny.db" --out "$R/x" --sweep claims=tiny
expect 2 "$R/none.db" "$FUFI" report --db "$R/none.db" --out "$R/x"
expect 2 "--out" "$FUFI" report --db "$R/tiny.db"
expect 2 "--runner: unknown runner 'fixtures'" "$FUFI" sweep "$R/tiny.toml" --db "$R/x.db" --runner fixtures

finish
