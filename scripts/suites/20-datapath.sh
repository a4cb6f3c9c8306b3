#!/usr/bin/env bash
# The data path: the chart's fluent-bit config, Lua filter, schema and check SQL, proved
# end to end with the real emitter, LuaJIT and chdb (ClickHouse 25.8). pytest exits
# non-zero when a test fails and when it collects none (status 5), so both fail the suite.
set -euo pipefail
cd "${LOGDEMO_ROOT:-$(dirname "${BASH_SOURCE[0]}")/../..}"

[ -n "${LOGDEMO_VENV:-}" ] || { echo "LOGDEMO_VENV is not set: run through scripts/test" >&2; exit 1; }
command -v luajit >/dev/null || { echo "luajit missing: run scripts/install-tools" >&2; exit 1; }

"$LOGDEMO_VENV/bin/python" -m pytest -p no:cacheprovider -ra tests/datapath
