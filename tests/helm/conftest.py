"""Fixtures of the Helm suite: the chart's helpers on the import path, scratch copies of the
chart, and the stand-ins the rendered scripts run against."""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# The data-path tests' runner of the chart's SQL files, as `clickhouse client` runs them.
sys.path.insert(0, str(HERE.parent / "datapath"))

import chart  # noqa: E402
