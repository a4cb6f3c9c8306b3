#!/usr/bin/env bash
# The Helm suite: the umbrella chart charts/logdemo, its subcharts, helm test pods and helmfile,
# checked without a cluster by the pytest modules in tests/helm (each module's docstring says
# what it proves). What a user runs Helm for is checked with Helm 3 and Helm 4 (helm3, helm4):
# helm lint and helm-unittest, the rendered manifests against the Kubernetes schemas, bad
# values, helmfile, README's commands. Then, on Helm 3's render: every container's security
# settings, HyperDX's source on the real schema (chdb), the rendered Job and test scripts run
# against stand-ins, checksum annotations, the values listing. pytest exits non-zero when a
# test fails and when it collects none (status 5), so both fail the suite.
set -euo pipefail
cd "${LOGDEMO_ROOT:-$(dirname "${BASH_SOURCE[0]}")/../..}"

[ -n "${LOGDEMO_VENV:-}" ] || { echo "LOGDEMO_VENV is not set: run through scripts/test" >&2; exit 1; }
# luajit and cargo: the HyperDX question runs on rows of the real emitter through the real Lua filter.
for tool in helm helm3 helm4 helmfile node luajit cargo; do
  command -v "$tool" >/dev/null || { echo "$tool missing: run scripts/install-tools" >&2; exit 1; }
done

"$LOGDEMO_VENV/bin/python" -m pytest -p no:cacheprovider -ra tests/helm
