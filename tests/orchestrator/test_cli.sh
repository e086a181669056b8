#!/usr/bin/env bash
# CLI contract tests of the top level (main.cpp): --version, --help, a missing or unknown subcommand, with exit
# codes (0 ok, 1 runtime failure, 2 bad usage/input) and messages that name the argument. Each subcommand has its
# own script (test_cli_X.sh for cmd_X.cpp), each its own ctest. Usage: as lib.sh says.
# shellcheck source=tests/orchestrator/lib.sh
source "$(dirname "$0")/lib.sh"

# --- top level
expect 0 "fufi 0." "$FUFI" --version
expect 0 "data" "$FUFI" --help
expect 2 "subcommand" "$FUFI"
expect 2 "bogus" "$FUFI" bogus

finish
