"""Runs the scripts only a cluster runs (the schema Job, helm test pods, HyperDX's
reconcile Job) here, as rendered: their shell, environment and arguments, with a stand-in
`clickhouse` on PATH and stand-in HTTP servers."""

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Cluster:
    """A scratch directory with a stand-in `clickhouse` that remembers its tables and calls."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.bin = self.dir / "bin"
        self.bin.mkdir()
        clickhouse = self.bin / "clickhouse"
        clickhouse.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "stand_in_clickhouse.py"}" "$@"\n')
        clickhouse.chmod(0o755)
        # HOME and TMPDIR keep what the scripts write (mktemp files among it) in the scratch directory.
        self.env = dict(os.environ, PATH=f"{self.bin}:{os.environ['PATH']}", HOME=str(self.dir),
                        TMPDIR=str(self.dir), STAND_IN_DIR=str(self.dir),
                        PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parent / "datapath")]))

    def run(self, pod, files=None, container=None, **overrides):
        """Runs the script of the pod's container named `container` (None: its first
        container) with its environment (a Secret key reads as 'secret:<key>'), the chart
        files it mounts at their paths in this repository, and `overrides`."""
        c = next(c for c in pod.get("initContainers", []) + pod["containers"]
                 if c["name"] == container) if container else pod["containers"][0]
        env = dict(self.env)
        for e in c.get("env", []):
            if e["name"] in ("HOME", "TMPDIR"):
                continue  # the pod's writable /tmp is the scratch directory here
            env[e["name"]] = e["value"] if "value" in e else "secret:" + e["valueFrom"]["secretKeyRef"]["key"]
        env.update(overrides)
        script = c["command"][-1]
        for mounted, local in (files or {}).items():
            script = script.replace(mounted, str(local))
        return subprocess.run(c["command"][:-1] + [script], env=env, capture_output=True, text=True, cwd=self.dir)

    def clickhouse(self, *args):
        """Runs the stand-in `clickhouse` itself."""
        return subprocess.run([self.bin / "clickhouse", *args], env=self.env, capture_output=True, text=True)

    def calls(self):
        """Every call of the stand-in `clickhouse` so far, oldest first."""
        with open(self.dir / "calls.jsonl") as f:
            return [json.loads(line) for line in f]


class Serving:
    """Serves a request handler class on a free loopback port, on a thread of its own, until
    close()."""

    def serve(self, handler):
        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Server(Serving):
    """A stand-in HTTP server on a free loopback port. Each request gets the next status of
    `codes` (an iterator: when it runs out, the request fails) and is kept in `requests`
    as (method, path, JSON body or None)."""

    def __init__(self, codes):
        self.codes = codes
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def respond(self, body, answer):
                server.requests.append((self.command, self.path, body))
                code = next(server.codes)
                self.send_response(code)
                self.end_headers()
                self.wfile.write(answer(code))

            def do_GET(self):
                self.respond(None, lambda code: b"Ok.\n")

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.respond(body, lambda code: json.dumps({"status": code}).encode())

            def log_message(self, *args):
                pass

        self.serve(Handler)
