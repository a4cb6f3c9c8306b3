"""The Helm suite's helper modules (chart.py, standin.py) and two of the data-path tests'
(sqlfile.py, which runs the chart's SQL as `clickhouse client` does, and chart_files.py, the
paths of the chart files both suites read) on the import path."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "datapath"))
