"""Runs the chart's SQL files the way `clickhouse client --multiquery --param_x=...` does."""


def statements(text):
    """Splits a multi-statement SQL text on the `;` that end statements.

    Semicolons inside quoted strings, quoted identifiers and comments do not split.
    Comments are dropped; empty statements are skipped.
    """
    out, cur, i, n = [], [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch in "'`\"":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i : j + 1])
            i = j + 1
            continue
        if ch == ";":
            stmt = "".join(cur).strip()
            if stmt:
                out.append(stmt)
            cur = []
        else:
            cur.append(ch)
        i += 1
    stmt = "".join(cur).strip()
    if stmt:
        out.append(stmt)
    return out


def _quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def param_text(value):
    """The text form of a query parameter, as given to `--param_<name>=<text>`."""
    if isinstance(value, bool):
        raise TypeError("no boolean query parameters")
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_quote(str(v)) for v in value) + "]"
    raise TypeError(f"unsupported parameter type {type(value).__name__}")


def run(session, path, params, fmt="JSONCompact"):
    """Runs every statement of the SQL file at `path` with the given query parameters.

    Returns the result of the last statement. A failing statement raises, as the
    client would exit non-zero.
    """
    for name, value in params.items():
        session.query(f"SET param_{name} = {_quote(param_text(value))}")
    result = None
    with open(path, encoding="utf-8") as f:
        for stmt in statements(f.read()):
            result = session.query(stmt, fmt)
    return result
