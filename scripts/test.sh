#!/bin/sh
# Runs every test of the project: installs the test tools if missing, checks
# formatting and lints, then runs the Rust, C and Python tests.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-test-deps.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace

# Every fuzz target, briefly and reproducibly (fixed seed and input count).
FUZZ_RUNS=${FUZZ_RUNS:-1500} sh scripts/fuzz.sh
