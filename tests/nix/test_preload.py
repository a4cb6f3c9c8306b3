"""Every image the VM preloads (vm/preload.nix's list, evaluated with stub packages) is an image
the chart runs with values-nix.json (helm template) or one the control-plane check holds
against kubeadm's list, and every image those run is preloaded: with imagePullPolicy Never and
an offline VM, a missing one would only show up as a pod that never starts."""

import json
import subprocess

import pytest
import yaml

import flake
from test_images import CONTROL_PLANE, STUB_STORE

WORKLOADS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}


def pod_spec(doc):
    if doc["kind"] == "Pod":
        return doc["spec"]
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


@pytest.fixture(scope="module")
def chart_images():
    """The images of every container, init container and test pod the chart renders with
    values-nix.json, as containerd names them."""
    proc = subprocess.run(["helm", "template", "logdemo", str(flake.ROOT / "charts" / "logdemo"), "--namespace",
                           "default", "--values", str(flake.VALUES_NIX)], capture_output=True, text=True)
    assert proc.returncode == 0, f"helm template with values-nix.json failed:\n{proc.stderr}"
    refs = set()
    for doc in yaml.safe_load_all(proc.stdout):
        if doc and doc.get("kind") in WORKLOADS:
            spec = pod_spec(doc)
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                refs.add(c["image"])
    assert refs, "helm template rendered no container"
    return containerd(refs)


def _json_arg(value):
    """A Nix string literal holding JSON, for --arg."""
    return json.dumps(json.dumps(value))


@pytest.fixture(scope="module")
def vm(good_values):
    """vm/preload.nix's list of (archive, containerd name), with the archives of the flake's
    image files evaluated on stub packages."""
    control_plane = CONTROL_PLANE % {"lib": flake.STUB_LIB, "store": STUB_STORE, "kube": flake.STUB_KUBERNETES}
    result = flake.evaluate("""{ values }:
      let
        project = import ./nix/read-project.nix ./.;
        controlPlane = (%s) { inherit values; };
        lib = import %s;
        module = import ./vm/preload.nix {
          inherit lib;
          pkgs = { containerd = "c"; gzip = "g"; coreutils = "u"; gnugrep = "r"; };
          logdemo = {
            inherit project;
            control-plane-images.archives = controlPlane.archives;
          } // lib.listToAttrs (map (c: lib.nameValuePair "${c}-image" "%s-image-logdemo/${c}")
            (builtins.attrNames project.images));
        };
      in {
        list = module.environment.etc."logdemo/preload-images".text;
        check = controlPlane.check.built;
        storageProvisioner = controlPlane.check.storageProvisioner;
      }""" % (control_plane, flake.STUB_LIB, STUB_STORE), values=good_values)
    lines = [line.split() for line in result["list"].splitlines() if line]
    return {"preloaded": [name for _, name in lines], "archives": [path for path, _ in lines],
            "check": result["check"].split(), "storageProvisioner": result["storageProvisioner"]}


def containerd(refs):
    """Names as containerd lists them (nix/project.nix containerdName)."""
    return set(flake.evaluate("""{ refs }:
      let p = import ./nix/read-project.nix ./.; in
      map (ref: let m = builtins.match "(.*):([^:/]+)" ref; in
        "${p.containerdName (builtins.elemAt m 0)}:${builtins.elemAt m 1}") (builtins.fromJSON refs)""",
                               refs=_json_arg(sorted(refs))))


def test_each_image_is_preloaded_once(vm):
    assert len(vm["preloaded"]) == len(set(vm["preloaded"])), f"an image is preloaded twice: {vm['preloaded']}"
    assert len(vm["archives"]) == len(set(vm["archives"])), "two names come from one archive"


def test_the_logdemo_images_preloaded_are_exactly_those_the_chart_runs(vm, chart_images):
    logdemo = {name for name in vm["preloaded"] if name.startswith("docker.io/logdemo/")}
    assert chart_images == logdemo, \
        f"the chart runs {sorted(chart_images - logdemo)} which the VM does not preload; " \
        f"the VM preloads {sorted(logdemo - chart_images)} which the chart does not run"


def test_the_control_plane_images_preloaded_are_exactly_those_the_check_holds_against_kubeadm(vm):
    control_plane = {name for name in vm["preloaded"] if not name.startswith("docker.io/logdemo/")}
    expected = containerd(vm["check"] + [vm["storageProvisioner"]])
    assert control_plane == expected, \
        f"preloaded {sorted(control_plane)}, the control-plane check expects {sorted(expected)}"
