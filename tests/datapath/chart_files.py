"""The chart files more than one suite reads, by path: their one home in the tests.

The data-path suite runs them on rows from the real emitter; the Helm suite checks the
chart around them. Both suites have this directory on their import path."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "logdemo"
FLUENT_BIT_CONFIG = CHART / "charts" / "fluent-bit" / "files" / "fluent-bit.yaml"
LUA_FILTER = CHART / "charts" / "fluent-bit" / "files" / "otel-logs.lua"
SCHEMA_SQL = CHART / "charts" / "clickhouse" / "files" / "schema.sql"
CHECK_SQL = CHART / "files" / "pipeline-check.sql"
