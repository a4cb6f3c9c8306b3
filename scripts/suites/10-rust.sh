#!/usr/bin/env bash
# The Rust workspace: formatting, lints as errors, then every unit and integration test
# (the integration tests run the built `emitter` binary). Cargo's own output stays visible,
# so each `test result:` line shows in the log.
set -euo pipefail
cd "${LOGDEMO_ROOT:-$(dirname "${BASH_SOURCE[0]}")/../..}"

echo "--- cargo fmt --check"
cargo fmt --all -- --check
echo "--- cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "--- cargo test"
cargo test --workspace --locked
