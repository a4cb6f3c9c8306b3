"""Storage benchmark (scripts/bench-storage): bytes on disk per row, against the bytes the
same lines take in the container runtime's log files.

The real emitter's lines, as the container logs of `--pods` emitter replicas (CRI by
default), through the chart's Lua filter into the chart's schema (chdb = ClickHouse 25.8),
inserted in fluent-bit-sized batches in time order, then merged (OPTIMIZE FINAL: what the
server's background merges converge to). Each pod has its own name, uid, container id and
seed, ticks every `--pace` seconds at its own phase, each tick late by a random timer
jitter, and its counter starts where a pod started up to `--stagger-days` ago would be
(replicas are not restarted all at once). Everything random has a fixed seed, except the
order of a map's keys, which LuaJIT picks anew in each process (see Filter).

The default, 10 pods for 100,000 ticks each (5.8 days at 5 s), is a small Deployment
inside the chart's 30-day retention. `--pods 1 --stagger-days 0` is the old single-pod run:
1,000,000 ticks of one pod span 58 days, longer than the retention, in 58 day partitions.
"""

import argparse
import heapq
import json
import random
import re
import subprocess
import tempfile
import threading
import time

import chdb.session

import emitter
import fluentbit as fb
import sqlfile

RUNTIME_DELAY_NS = 50_000
# How late a tick of the emitter's timer lands, at most: the real emitter at a 20 ms
# interval on the 2-core test machine stamps its ticks from 0.3 ms early to 1 ms late of
# the grid (10th to 90th percentile). Random nanoseconds are what makes timestamps cost
# bytes, so the paced run must not make them smoother than real ones.
TIMER_JITTER_NS = 1_000_000
STAMP = re.compile(r'"timestamp":"([^"]+)"')
COUNT = re.compile(r'"count":(\d+)')
DAY_NS = 86_400 * 1_000_000_000


def stamp_9(time_ns):
    """RFC 3339 with exactly nine fraction digits, as the emitter writes it."""
    sec, nsec = divmod(time_ns, 1_000_000_000)
    return fb.rfc3339nano(sec * 1_000_000_000).rstrip("Z") + f".{nsec:09d}Z"


def replica(rng):
    """One emitter replica's pod: the Deployment's names, random ids."""
    suffix = "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
    uid = "%08x-%04x-4%03x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                          rng.getrandbits(16) | 0x8000, rng.getrandbits(48))
    return fb.emitter_pod(suffix=suffix, uid=uid, container_id=f"{rng.getrandbits(256):064x}")


def pod_lines(lines, start_ns, step_ns, count_offset, rng):
    """(time_ns, line) for one pod's lines: `step_ns` apart from `start_ns`, each late by a
    random timer jitter, the tick counter moved on by `count_offset`."""
    out = []
    for i, line in enumerate(lines):
        time_ns = start_ns + i * step_ns + rng.randrange(TIMER_JITTER_NS)
        line = STAMP.sub(f'"timestamp":"{stamp_9(time_ns)}"', line, count=1)
        if count_offset:
            line = COUNT.sub(lambda m: f'"count":{int(m.group(1)) + count_offset}', line, count=1)
        out.append((time_ns, line))
    return out


def scenario(binary, count, pods, pace_s, stagger_days):
    """[(pod, time_ns, line)] of every replica, in time order."""
    rng = random.Random(1)
    step = int(pace_s * 1_000_000_000)
    per_pod = count // pods
    start = time.time_ns() - per_pod * step
    streams = []
    for index in range(pods):
        pod = replica(rng) if pods > 1 else fb.emitter_pod()
        phase = rng.randrange(step)
        offset = rng.randrange(stagger_days * DAY_NS // step) if stagger_days else 0
        lines = emitter.run(binary, per_pod + (index < count % pods), seed=1 + index)
        streams.append([(t, index, pod, line) for t, line in pod_lines(lines, start + phase, step, offset, rng)])
    return [(pod, t, line) for t, _, pod, line in heapq.merge(*streams, key=lambda x: (x[0], x[1]))]


class Filter:
    """The chart's Lua filter in one long-lived LuaJIT process, as in one fluent-bit.

    One process matters: LuaJIT orders a map's keys differently in each process, and one
    fluent-bit writes every row's attributes in its one order, not a new order per batch.
    Which order a run gets changes the stored size a little from run to run.
    """

    def __init__(self):
        # Line-buffered (stdbuf): a batch's last rows must not wait in LuaJIT's stdio buffer.
        self.proc = subprocess.Popen(["stdbuf", "-oL", "luajit", str(fb.HARNESS), str(fb.LUA_FILTER), fb.lua_entry()],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def rows(self, events):
        """The JSONEachRow body for these events; every event must map to one row."""
        # Written from a thread: the filter blocks on a full stdout until its rows are read.
        writer = threading.Thread(target=lambda: (self.proc.stdin.write(
            b"".join(e.harness_line() for e in events)), self.proc.stdin.flush()))
        writer.start()
        rows = []
        for _ in events:
            _, code, row = self.proc.stdout.readline().rstrip(b"\n").split(b"\t", 2)
            assert code == b"2", f"the filter returned {code!r}: {row!r}"
            rows.append(row)
        writer.join()
        return b"\n".join(rows) + b"\n"

    def close(self):
        self.proc.stdin.close()
        assert self.proc.wait() == 0, "the Lua filter process failed"


def report(session, lines, args, raw):
    def one(sql):
        return json.loads(session.query(sql, "JSONCompact").bytes())["data"]

    where = "database = 'otel' AND table = 'otel_logs' AND active"
    [[rows, parts, partitions, kinds, on_disk, data, index_bytes, marks]] = one(
        "SELECT sum(rows), count(), uniqExact(partition), arraySort(groupUniqArray(part_type)),"
        " sum(bytes_on_disk), sum(data_compressed_bytes), sum(secondary_indices_compressed_bytes),"
        f" sum(marks_bytes) FROM system.parts WHERE {where}")
    assert int(rows) == lines, f"stored {rows} rows of {lines}"
    rows, on_disk = int(rows), int(on_disk)
    print(f"rows: {rows} ({args.format} log, {args.pods} pods, lines {args.pace:g} s apart,"
          f" counters staggered over {args.stagger_days} days)")
    print(f"after merge: {parts} parts ({', '.join(kinds)}) in {partitions} day partitions")
    for fmt, size in raw.items():
        print(f"raw {fmt} container log: {size} bytes, {size / rows:.1f} bytes/row")
    other = on_disk - int(data) - int(index_bytes) - int(marks)
    print(f"stored: {on_disk} bytes on disk, {on_disk / rows:.2f} bytes/row (column data"
          f" {int(data) / rows:.2f}, skip indexes {int(index_bytes) / rows:.2f}, marks"
          f" {int(marks) / rows:.2f}, primary index and part files {other / rows:.2f})")
    for fmt, size in raw.items():
        print(f"ratio raw {fmt} / stored: {size / on_disk:.1f}x")
    # Compact parts keep all columns in one file and report no per-column sizes.
    columns = one("SELECT column, sum(column_data_compressed_bytes) AS size FROM system.parts_columns"
                  f" WHERE {where} GROUP BY column HAVING size > 0 ORDER BY size DESC LIMIT 6")
    if columns:
        print("largest columns (compressed bytes/row): "
              + ", ".join(f"{name} {int(size) / rows:.2f}" for name, size in columns))
    indexes = one("SELECT name, data_compressed_bytes FROM system.data_skipping_indices"
                  " WHERE database = 'otel' AND table = 'otel_logs' ORDER BY data_compressed_bytes DESC LIMIT 3")
    print("largest skip indexes (bytes/row): "
          + ", ".join(f"{name} {int(size) / rows:.2f}" for name, size in indexes))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="emitter ticks in all (default 1000000)")
    parser.add_argument("--pods", type=int, default=10, help="emitter replicas (default 10)")
    parser.add_argument("--pace", type=float, default=5.0, help="seconds between a pod's lines (default 5, the chart's interval)")
    parser.add_argument("--stagger-days", type=int, default=30,
                        help="pods started up to this many days ago; 0 = all counters start at 1 (default 30, the retention)")
    parser.add_argument("--format", choices=["cri", "docker"], default="cri", help="container log format")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per INSERT (default 10000)")
    args = parser.parse_args()
    if args.pods < 1 or args.pace <= 0 or args.count < args.pods:
        parser.error("need --pods >= 1, --pace > 0 and --count >= --pods")

    started = time.time()
    lines = scenario(emitter.build(), args.count, args.pods, args.pace, args.stagger_days)

    session = chdb.session.Session(tempfile.mkdtemp(prefix="bench-storage-"))
    params = {"database": "otel", "logs_table": "otel_logs", "ttl_days": 30}
    sqlfile.run(session, fb.SCHEMA_SQL, params)
    # The single-pod run reaches back further than the TTL: keep every row for the count.
    session.query("SYSTEM STOP TTL MERGES otel.otel_logs")

    raw = {"cri": 0, "docker": 0}
    lua = Filter()
    for start in range(0, len(lines), args.batch):
        events = []
        for pod, time_ns, line in lines[start : start + args.batch]:
            time_ns += RUNTIME_DELAY_NS
            for fmt in raw:
                raw[fmt] += len(fb.container_log_bytes(fmt, time_ns, "stdout", line))
            events.append(fb.event(args.format, time_ns, "stdout", line, pod))
        body = lua.rows(events).decode("utf-8")
        session.query(f"INSERT INTO otel.otel_logs FORMAT JSONEachRow\n{body}")
    lua.close()
    session.query("OPTIMIZE TABLE otel.otel_logs FINAL")
    report(session, len(lines), args, raw)
    print(f"took {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
