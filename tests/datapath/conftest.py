"""Fixtures of the data-path suite: a chdb session, tables made by the chart's schema.sql,
the real emitter binary."""

import itertools
import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import emitter  # noqa: E402
import fluentbit  # noqa: E402
import sqlfile  # noqa: E402

TTL_DAYS = 30
_names = itertools.count(1)


@pytest.fixture(scope="session")
def chdb_session(tmp_path_factory):
    """One embedded ClickHouse (chdb) for the whole run; tests use their own databases."""
    import chdb.session

    session = chdb.session.Session(str(tmp_path_factory.mktemp("chdb")))
    yield session
    session.close()


class Table:
    """A logs table created by the chart's schema.sql in its own database."""

    def __init__(self, session, database, name="otel_logs"):
        self.session = session
        self.database = database
        self.name = name
        self.params = {"database": database, "logs_table": name, "ttl_days": TTL_DAYS}
        sqlfile.run(session, fluentbit.SCHEMA_SQL, self.params)
        # Test rows carry fixed, often old, times: retention must not delete them while
        # a test counts them.
        session.query(f"SYSTEM STOP TTL MERGES {self.qualified}")

    @property
    def qualified(self):
        return f"`{self.database}`.`{self.name}`"

    def insert(self, body: bytes):
        """Inserts a JSONEachRow body as one INSERT, as fluent-bit's http output posts it."""
        text = body.decode("utf-8")
        self.session.query(f"INSERT INTO {self.qualified} FORMAT JSONEachRow\n{text}")

    def query(self, sql):
        """Rows of `sql` (with {table} replaced by this table) as lists."""
        result = self.session.query(sql.replace("{table}", self.qualified), "JSONCompact")
        return json.loads(result.bytes())["data"]

    def scalar(self, sql):
        return self.query(sql)[0][0]

    def check(self, service, minimum, maximum, words, ttl_days=TTL_DAYS,
              namespace=fluentbit.RELEASE_NAMESPACE, instance=fluentbit.RELEASE, running=1):
        """Runs the chart's pipeline-check.sql for one release's emitter (namespace and
        instance; `running` processes may still run); returns its rows, raises if a check failed."""
        params = {
            "database": self.database, "logs_table": self.name, "service": service,
            "namespace": namespace, "instance": instance, "running": running,
            "min": minimum, "max": maximum, "words": list(words), "ttl_days": ttl_days,
        }
        result = sqlfile.run(self.session, fluentbit.CHECK_SQL, params, "JSONCompact")
        return json.loads(result.bytes())["data"]


@pytest.fixture
def new_table(chdb_session):
    """A factory of fresh logs tables, each in its own database."""
    return lambda: Table(chdb_session, f"otel_test_{os.getpid()}_{next(_names)}")


@pytest.fixture(scope="session")
def emitter_binary():
    """The real emitter, built in release mode from this workspace."""
    try:
        return emitter.build()
    except RuntimeError as err:
        pytest.fail(str(err))
