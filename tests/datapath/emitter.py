"""The real emitter, built from this workspace, as the tests and benchmarks run it."""

import os
import shutil
import subprocess
from pathlib import Path

from fluentbit import ROOT


def build():
    """Builds the emitter in release mode; returns the binary's path."""
    cargo = shutil.which("cargo")
    if cargo is None:
        raise RuntimeError("cargo not found: install Rust with rustup to build the emitter")
    subprocess.run([cargo, "build", "--release", "--quiet", "-p", "emitter-cli"], cwd=ROOT, check=True)
    binary = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "emitter"
    if not binary.is_file():
        raise RuntimeError(f"cargo built no {binary}")
    return binary


def run(binary, count, seed, minimum=None, maximum=None, words=None):
    """The emitter's stdout lines for `count` ticks at full speed (--interval 0)."""
    cmd = [str(binary), "--interval", "0", "--count", str(count), "--seed", str(seed)]
    for flag, value in (("--min", minimum), ("--max", maximum), ("--words", words)):
        if value is not None:
            cmd += [flag, str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return proc.stdout.splitlines()
