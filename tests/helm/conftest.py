"""The Helm suite's helper modules (chart.py, standin.py) and the data-path tests' SQL file
runner (sqlfile.py, as `clickhouse client` runs the chart's SQL) on the import path."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "datapath"))
