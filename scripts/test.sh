#!/bin/sh
# Runs every test of the project: installs the test tools if missing, checks
# formatting and lints, then runs the Rust, C and Python tests.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-test-deps.sh

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace

# Real Xen 4.17 in QEMU boots PV guests through `bootloader = "/usr/bin/xenboot"`
# (and a pygrub control guest): every guest must print the command line its own
# boot configuration selects.
# It uses the xenboot that `cargo test` just built (a release build adds ~90 s).
XENBOOT="$PWD/target/debug/xenboot" timeout 1800 bash scripts/xen-e2e.sh

# Every fuzz target, briefly and reproducibly (fixed seed and input count).
FUZZ_RUNS=${FUZZ_RUNS:-1500} sh scripts/fuzz.sh
