#!/usr/bin/env bash
# The Nix suite, for machines without nixpkgs (Debian's nix-bin can parse and evaluate, not
# build), by the pytest modules in tests/nix: every .nix file parses; flake.lock pins nixpkgs
# and microvm.nix; the pure part of the flake (nix/project.nix: version, image names, pins,
# ports) evaluates, with the real files and with stubs that must be rejected; the images are
# what the chart runs; and the versions the flake builds agree with the ones the chart runs.
# pytest exits non-zero when a test fails and when it collects none (status 5), so both fail
# the suite.
set -euo pipefail
cd "${LOGDEMO_ROOT:-$(dirname "${BASH_SOURCE[0]}")/../..}"

[ -n "${LOGDEMO_VENV:-}" ] || { echo "LOGDEMO_VENV is not set: run through scripts/test" >&2; exit 1; }
for tool in nix-instantiate helm; do
  command -v "$tool" >/dev/null || { echo "$tool missing: run scripts/install-tools" >&2; exit 1; }
done

"$LOGDEMO_VENV/bin/python" -m pytest -p no:cacheprovider -ra tests/nix
