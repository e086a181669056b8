# shellcheck shell=bash
# Sourced by mpi_sweep.sh and test_cli_sweep.sh. The tiny synthetic data every test sweep trains on is
# one fixture, fixtures/small_data.toml, which test_sweep_file.cpp parses too.
SWEEP_FIXTURES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fixtures"

# write_sweep FILE NAME SEEDS EPOCHS: writes a sweep file: name, seeds, the fixture's [data] table,
# [training] with EPOCHS epochs and batch size 8, then whatever stdin holds (more [training] keys, then
# [axes] and the other tables).
write_sweep() {
  {
    printf 'name = "%s"\nseeds = %s\n' "$2" "$3"
    cat "$SWEEP_FIXTURES/small_data.toml"
    printf '[training]\nepochs = %s\nbatch_size = 8\n' "$4"
    cat
  } >"$1"
}
