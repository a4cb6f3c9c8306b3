"""Storage benchmark (scripts/bench-storage): bytes on disk per row, against the bytes the
same lines take in the container runtime's log files.

The real emitter's lines, as one emitter pod's container log (CRI by default), through
the chart's Lua filter into the chart's schema (chdb = ClickHouse 25.8), inserted in
fluent-bit-sized batches, then merged as the server would in the background. With
--pace the line timestamps are respaced to that interval (the emitter's --interval 0
writes a million lines within seconds, which compresses unrealistically well), each
late by a random timer jitter.
"""

import argparse
import json
import random
import re
import tempfile
import time

import chdb.session

import emitter
import fluentbit as fb
import sqlfile

RUNTIME_DELAY_NS = 50_000
# How late a tick of the emitter's timer lands, at most: its 1 ms ticks spread over about
# a millisecond on a busy 2-core machine. Random nanoseconds are what makes timestamps
# cost bytes, so the paced run must not make them smoother than real ones.
TIMER_JITTER_NS = 1_000_000
STAMP = re.compile(r'"timestamp":"([^"]+)"')


def stamp_9(time_ns):
    """RFC 3339 with exactly nine fraction digits, as the emitter writes it."""
    sec, nsec = divmod(time_ns, 1_000_000_000)
    return fb.rfc3339nano(sec * 1_000_000_000).rstrip("Z") + f".{nsec:09d}Z"


def paced(lines, pace_s, jitter_ns=TIMER_JITTER_NS, seed=1):
    """The lines with timestamps `pace_s` apart, ending now, each late by a random timer
    jitter of up to `jitter_ns` (fixed seed), as a ticking program's would be."""
    rng = random.Random(seed)
    step = int(pace_s * 1_000_000_000)
    start = time.time_ns() - len(lines) * step
    return [STAMP.sub(f'"timestamp":"{stamp_9(start + i * step + rng.randrange(jitter_ns))}"', line, count=1)
            for i, line in enumerate(lines)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="emitter ticks (default 1000000)")
    parser.add_argument("--pace", type=float, default=5.0,
                        help="seconds between lines, 0 for the emitter's own times (default 5, the chart's interval)")
    parser.add_argument("--format", choices=["cri", "docker"], default="cri", help="container log format")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per INSERT (default 10000)")
    args = parser.parse_args()

    started = time.time()
    lines = emitter.run(emitter.build(), args.count, seed=1)
    if args.pace > 0:
        lines = paced(lines, args.pace)
    pod = fb.emitter_pod()

    session = chdb.session.Session(tempfile.mkdtemp(prefix="bench-storage-"))
    params = {"database": "otel", "logs_table": "otel_logs", "ttl_days": 30}
    sqlfile.run(session, fb.SCHEMA_SQL, params)
    # Respaced lines reach back further than the TTL: keep them all for the count.
    session.query("SYSTEM STOP TTL MERGES otel.otel_logs")

    raw = {"cri": 0, "docker": 0}
    for start in range(0, len(lines), args.batch):
        events = []
        for line in lines[start : start + args.batch]:
            time_ns = fb.rfc3339_ns(STAMP.search(line).group(1)) + RUNTIME_DELAY_NS
            for fmt in raw:
                raw[fmt] += len(fb.container_log_bytes(fmt, time_ns, "stdout", line))
            events.append(fb.event(args.format, time_ns, "stdout", line, pod))
        outputs = fb.run_filter(events)
        assert len(outputs) == len(events) and all(o.code == "2" for o in outputs)
        body = fb.json_each_row(outputs).decode("utf-8")
        session.query(f"INSERT INTO otel.otel_logs FORMAT JSONEachRow\n{body}")
    session.query("OPTIMIZE TABLE otel.otel_logs FINAL")

    def one(sql):
        return json.loads(session.query(sql, "JSONCompact").bytes())["data"]

    [[rows, parts, on_disk, compressed, uncompressed, index_bytes]] = one(
        "SELECT sum(rows), count(), sum(bytes_on_disk), sum(data_compressed_bytes),"
        " sum(data_uncompressed_bytes), sum(secondary_indices_compressed_bytes)"
        " FROM system.parts WHERE database = 'otel' AND table = 'otel_logs' AND active")
    assert int(rows) == len(lines), f"stored {rows} rows of {len(lines)}"
    columns = one(
        "SELECT name, data_compressed_bytes FROM system.columns"
        " WHERE database = 'otel' AND table = 'otel_logs' ORDER BY data_compressed_bytes DESC LIMIT 6")

    rows, on_disk = int(rows), int(on_disk)
    print(f"rows: {rows} ({args.format} log, lines {args.pace:g} s apart), parts after merge: {parts}")
    for fmt, size in raw.items():
        print(f"raw {fmt} container log: {size} bytes, {size / rows:.1f} bytes/row")
    print(f"stored: {on_disk} bytes on disk, {on_disk / rows:.2f} bytes/row"
          f" (column data {int(compressed) / rows:.2f}, skip indexes {int(index_bytes) / rows:.2f},"
          f" uncompressed {int(uncompressed) / rows:.1f})")
    for fmt, size in raw.items():
        print(f"ratio raw {fmt} / stored: {size / on_disk:.1f}x")
    print("largest columns (compressed bytes/row): "
          + ", ".join(f"{name} {int(size) / rows:.2f}" for name, size in columns))
    print(f"took {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
