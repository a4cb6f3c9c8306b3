"""MongoDB's CPU preflight (the avx-check init container of charts/hyperdx/templates/mongodb.yaml),
run as rendered with a stand-in /proc/cpuinfo and `uname`: an x86-64 node without AVX fails
with a message naming the fix instead of mongod's bare exit 132 (SIGILL); AVX, or another
architecture, passes."""

import pytest

import chart
import standin

WITH_AVX = "processor\t: 0\nflags\t\t: fpu vme sse sse2 ssse3 sse4_1 sse4_2 avx avx2 aes\n"
WITHOUT_AVX = "processor\t: 0\nflags\t\t: fpu vme sse sse2 ssse3 sse4_1 sse4_2 aes\n"


def mongodb_pod(*helm_args):
    docs = chart.documents(chart.template(*helm_args))
    return chart.pod_spec(chart.find(docs, "Deployment", name="logdemo-mongodb"))


def check(tmp_path, cpuinfo, machine="x86_64"):
    cluster = standin.Cluster(tmp_path)
    uname = cluster.bin / "uname"
    uname.write_text(f"#!/bin/sh\necho {machine}\n")
    uname.chmod(0o755)
    info = tmp_path / "cpuinfo"
    info.write_text(cpuinfo)
    return cluster.run(mongodb_pod(), {"/proc/cpuinfo": info}, container="avx-check")


def test_x86_64_without_avx_fails_naming_the_fix(tmp_path):
    result = check(tmp_path, WITHOUT_AVX)
    assert result.returncode != 0 and "FAILED: this node's CPU has no AVX" in result.stderr \
        and "exit 132" in result.stderr and "Fix:" in result.stderr, \
        f"a CPU without AVX did not fail with the reason and the fix:\n{chart.report(result)}"


@pytest.mark.parametrize("cpuinfo,machine", [(WITH_AVX, "x86_64"), (WITHOUT_AVX, "aarch64")])
def test_avx_or_another_architecture_passes(tmp_path, cpuinfo, machine):
    result = check(tmp_path, cpuinfo, machine)
    assert result.returncode == 0 and "CPU check passed" in result.stdout, \
        f"the check refused {machine} with {cpuinfo!r}:\n{chart.report(result)}"


def test_the_check_runs_in_mongodbs_image_before_mongod():
    pod = mongodb_pod()
    [init] = pod["initContainers"]
    assert init["name"] == "avx-check" and init["image"] == pod["containers"][0]["image"], init


def test_the_check_can_be_left_out_for_an_image_without_the_need():
    assert "initContainers" not in mongodb_pod("--set", "hyperdx.mongodb.avxCheck=false")
