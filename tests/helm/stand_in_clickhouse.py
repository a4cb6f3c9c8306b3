"""A stand-in `clickhouse` for the rendered scripts: answers `client` and `local` with chdb
(the engine the chart runs) and appends who asked what to $STAND_IN_DIR/calls.jsonl.

`client` talks to one server that keeps its tables; `local` keeps its own. Run as
`stand_in_clickhouse.py <client|local> [clickhouse options]`.
"""

import json
import os
import sys

import chdb.session

import sqlfile

VALUED_OPTIONS = ("--host", "--port", "--user", "--password", "--query", "--format")


def parse(args):
    """The options, --param_ query parameters and --<setting>=<value> settings of a command line."""
    opts, params, settings = {}, {}, {}
    args = list(args)
    while args:
        arg = args.pop(0)
        if arg in VALUED_OPTIONS:
            opts[arg[2:]] = args.pop(0)
        elif arg.startswith("--param_"):
            name, _, value = arg[len("--param_"):].partition("=")
            params[name] = value
        elif arg.startswith("--") and "=" in arg:
            name, _, value = arg[2:].partition("=")
            settings[name] = value
        elif arg != "--multiquery":
            sys.exit(f"stand-in clickhouse: unexpected argument {arg}")
    return opts, params, settings


def quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def main():
    state = os.environ["STAND_IN_DIR"]
    mode = sys.argv[1]
    opts, params, settings = parse(sys.argv[2:])
    with open(f"{state}/calls.jsonl", "a") as log:
        log.write(json.dumps({"mode": mode, "user": opts.get("user"), "password": opts.get("password"),
                              "params": params, "settings": settings}) + "\n")
    session = chdb.session.Session(f"{state}/chdb-{mode}")
    try:
        for name, value in params.items():
            session.query(f"SET param_{name} = {quote(value)}")
        for name, value in settings.items():
            session.query(f"SET {name} = {quote(value)}")
        statements = [opts["query"]] if "query" in opts else sqlfile.statements(sys.stdin.read())
        for statement in statements:
            out = session.query(statement, opts.get("format", "TabSeparated"))
        sys.stdout.write(out.bytes().decode())
    except Exception as err:
        sys.exit(f"stand-in clickhouse: {err}")
    finally:
        session.close()


if __name__ == "__main__":
    main()
