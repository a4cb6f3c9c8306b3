"""A stand-in of HyperDX 2.36.0's API for the reconcile Job (charts/logdemo/charts/hyperdx/files/
reconcile.mjs), modelled on its source (tag @hyperdx/app@2.36.0, packages/api/src):

- routers/api/root.ts: POST /register/password answers 409 once a team exists, 400 for a bad
  body; POST /login/password answers 303 to FRONTEND_URL/ with the session cookie, or 303 to
  /login?err=authFail (middleware/auth.ts).
- api-app.ts: every other route needs the session (401 without).
- routers/api/connections.ts: GET lists without passwords (models/connection.ts: select false);
  POST answers {id}; PUT /:id takes the whole connection with its id and keeps the stored
  password when none is sent.
- routers/api/sources.ts: POST/PUT check the connection belongs to the team; PUT replaces the
  whole source (controllers/sources.ts findOneAndReplace).
- routers/api/savedSearch.ts and dashboards.ts: POST creates, PATCH merges the fields sent.
- routers/api/clickhouseProxy.ts: /clickhouse-proxy/* with x-hyperdx-connection-id forwards the
  body and query string to the connection's host as its user and password. Here chdb (the
  ClickHouse engine the chart runs) answers, and a password other than ClickHouse's is refused
  with ClickHouse's 516.

The required fields follow the zod schemas of packages/common-utils/src/types.ts
(ConnectionSchema, LogSourceSchema, SavedSearchSchema, DashboardSchema, TileSchema). Faults a
test can switch on: `register_codes` (statuses answered before registering),
`ignore_updates` (PUT/PATCH answer 200 and change nothing), `team` (a team already there),
`unavailable_once` ((method, path) pairs answered 503 the first time, a pod rolling), `broken`
((method, path prefix) pairs answered 500, as HyperDX 2.36.0 answered PUT /connections/:id on a
MongoDB without findAndModify's `fields`: {"message":"Something went wrong :("}).
"""

import http.server
import itertools
import json
import secrets
import urllib.parse

from standin import Serving

FRONTEND_URL = "http://localhost:3000"


def missing(body, fields):
    """The fields (dotted paths) a body lacks or holds with the wrong JSON type."""
    wrong = []
    for path, kind in fields.items():
        value = body
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, kind) or (kind is str and path.endswith("name") and not value):
            wrong.append(path)
    return wrong


CONNECTION = {"name": str, "host": str, "username": str}
LOG_SOURCE = {"name": str, "kind": str, "connection": str, "from.databaseName": str, "from.tableName": str,
              "timestampValueExpression": str, "defaultTableSelectExpression": str}
SAVED_SEARCH = {"name": str, "select": str, "where": str, "source": str, "tags": list}
DASHBOARD = {"name": str, "tiles": list, "tags": list}
TILE = {"id": str, "x": int, "y": int, "w": int, "h": int, "config.source": str, "config.select": list, "config.where": str}


class HyperDX(Serving):
    def __init__(self, chdb_session, clickhouse_password, register_codes=(), team=None, ignore_updates=False,
                 unavailable_once=(), broken=()):
        """`team`: None, or (email, password) of a user who registered before."""
        self.chdb = chdb_session
        self.clickhouse_password = clickhouse_password
        self.register_codes = iter(register_codes)
        self.users = dict([team]) if team else {}
        self.ignore_updates = ignore_updates
        self.unavailable_once = set(unavailable_once)
        self.broken = list(broken)
        self.sessions = set()
        self.store = {"connections": {}, "sources": {}, "saved-search": {}, "dashboards": {}}
        self.requests = []
        self._ids = itertools.count(1)
        hyperdx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hyperdx.handle(self, "GET")

            def do_POST(self):
                hyperdx.handle(self, "POST")

            def do_PUT(self):
                hyperdx.handle(self, "PUT")

            def do_PATCH(self):
                hyperdx.handle(self, "PATCH")

            def log_message(self, *args):
                pass

        self.serve(Handler)

    def new_id(self):
        return f"{next(self._ids):024x}"

    def listed(self, kind):
        return list(self.store[kind].values())

    # --- HTTP
    def handle(self, req, method):
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length).decode("utf-8") if length else ""
        is_json = req.headers.get("Content-Type", "").startswith("application/json")
        body = json.loads(raw) if is_json and raw else raw
        url = urllib.parse.urlsplit(req.path)
        self.requests.append((method, url.path, body))
        code, headers, answer = self.route(method, url, body, req.headers)
        req.send_response(code)
        for name, value in headers:
            req.send_header(name, value)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def route(self, method, url, body, headers):
        path = url.path
        if (method, path) in self.unavailable_once:
            self.unavailable_once.discard((method, path))
            return 503, [], b"Service Unavailable"
        if any(method == m and path.startswith(prefix) for m, prefix in self.broken):
            return 500, [], {"message": "Something went wrong :("}
        if (method, path) == ("POST", "/register/password"):
            return self.register(body)
        if (method, path) == ("POST", "/login/password"):
            return self.login(body)
        cookie = headers.get("Cookie", "")
        if not any(f"connect.sid={s}" in cookie for s in self.sessions):
            return 401, [], b"Unauthorized"
        if path.startswith("/clickhouse-proxy/"):
            return self.proxy(url, body, headers)
        parts = path.strip("/").split("/")
        kind = parts[0]
        if kind not in self.store:
            return 404, [], b"Not found"
        if method == "GET" and len(parts) == 1:
            if kind == "connections":
                return 200, [], [{k: v for k, v in c.items() if k != "password"} for c in self.listed(kind)]
            return 200, [], self.listed(kind)
        if method == "POST" and len(parts) == 1:
            return self.create(kind, body)
        if method in ("PUT", "PATCH") and len(parts) == 2:
            return self.update(kind, parts[1], method, body)
        return 404, [], b"Not found"

    def register(self, body):
        code = next(self.register_codes, None)
        if code is not None:
            return code, [], {"status": code}
        if missing(body, {"email": str, "password": str, "confirmPassword": str}) \
                or body["password"] != body["confirmPassword"]:
            return 400, [], {"error": "invalid body"}
        if self.users:
            return 409, [], {"error": "teamAlreadyExists"}
        self.users[body["email"]] = body["password"]
        return 200, [], {"status": "success"}

    def login(self, body):
        if isinstance(body, dict) and self.users.get(body.get("email")) == body.get("password"):
            session = secrets.token_hex(8)
            self.sessions.add(session)
            return 303, [("Location", f"{FRONTEND_URL}/"),
                         ("Set-Cookie", f"connect.sid={session}; Domain=localhost; Path=/; HttpOnly")], b""
        return 303, [("Location", f"{FRONTEND_URL}/login?err=authFail")], b""

    def validate(self, kind, body, with_id):
        fields = {"connections": CONNECTION, "sources": LOG_SOURCE, "saved-search": SAVED_SEARCH,
                  "dashboards": DASHBOARD}[kind]
        wrong = missing(body, dict(fields, **({"id": str} if with_id else {})))
        if kind == "dashboards":
            for i, tile in enumerate(body.get("tiles") or []):
                wrong += [f"tiles.{i}.{w}" for w in missing(tile, TILE)]
        if kind == "sources" and body.get("connection") not in self.store["connections"]:
            wrong.append("connection (not one of the team's)")
        return wrong

    def create(self, kind, body):
        wrong = self.validate(kind, body, with_id=False)
        if wrong:
            return 400, [], {"error": f"invalid {kind}: {wrong}"}
        doc = dict(body, id=self.new_id())
        if kind == "connections":
            doc.setdefault("password", "")
        self.store[kind][doc["id"]] = doc
        return 200, [], {"id": doc["id"]} if kind == "connections" else doc

    def update(self, kind, doc_id, method, body):
        if doc_id not in self.store[kind]:
            return 404, [], b"Not found"
        if method == "PUT":
            wrong = self.validate(kind, body, with_id=True)
            if wrong:
                return 400, [], {"error": f"invalid {kind}: {wrong}"}
        if self.ignore_updates:
            return 200, [], {}
        old = self.store[kind][doc_id]
        if method == "PUT":
            new = dict(body, id=doc_id)
            if kind == "connections" and not body.get("password"):
                new["password"] = old["password"]
        else:
            new = dict(old, **body, id=doc_id)
        self.store[kind][doc_id] = new
        return 200, [], new if method == "PATCH" else b""

    def proxy(self, url, body, headers):
        connection = self.store["connections"].get(headers.get("x-hyperdx-connection-id", ""))
        if connection is None:
            return 404, [], b"Connection not found"
        if connection["password"] != self.clickhouse_password:
            return 516, [], (f"Code: 516. DB::Exception: {connection['username']}: Authentication failed: "
                             "password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)").encode()
        params = {k[len("param_"):]: v for k, v in urllib.parse.parse_qsl(url.query) if k.startswith("param_")}
        sql, _, fmt = body.rpartition(" FORMAT ")
        try:
            for name, value in params.items():
                quoted = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
                self.chdb.query(f"SET param_{name} = {quoted}")
            return 200, [], self.chdb.query(sql, fmt).bytes()
        except Exception as err:
            return 404 if "UNKNOWN_TABLE" in str(err) else 500, [], str(err).encode()
