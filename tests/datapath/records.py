"""Writes emitter-shaped records in lua_harness.lua's input format (scripts/bench-lua).

    python records.py COUNT [cri|docker] > records.jsonl

The real emitter's lines (fixed seed, --interval 0), each as the container runtime's
record after tail and the kubernetes filter, in one realistic emitter pod.
"""

import json
import sys

import emitter
import fluentbit as fb


def main(argv):
    count = int(argv[1]) if len(argv) > 1 else 100_000
    fmt = argv[2] if len(argv) > 2 else "cri"
    pod = fb.emitter_pod()
    out = sys.stdout.buffer
    for line in emitter.run(emitter.build(), count, seed=1):
        time_ns = fb.rfc3339_ns(json.loads(line)["timestamp"])
        out.write(fb.event(fmt, time_ns, "stdout", line, pod).harness_line())


if __name__ == "__main__":
    main(sys.argv)
