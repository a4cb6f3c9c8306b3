"""The pure part of the flake (nix/project.nix: version, image names, ports, pins) evaluates
with the real files, refuses values that break the interface, and the flake's outputs have
the promised shape."""

import json

import pytest

import flake


def test_project_version_is_the_workspace_version(project):
    assert project["version"] == flake.version(), f"project version {project['version']} != Cargo.toml {flake.version()}"


def test_project_builds_the_five_images(project):
    assert sorted(project["images"]) == flake.IMAGES, f"images: {sorted(project['images'])}"


@pytest.mark.parametrize("component", flake.IMAGES)
def test_image_names_come_from_the_values_and_the_version(project, component):
    image, version = project["images"][component], flake.version()
    assert image["ref"] == f"logdemo/{component}:{version}", f"{component} image is {image['ref']}"
    assert image["containerdRef"] == f"docker.io/logdemo/{component}:{version}", \
        f"{component} containerd name is {image['containerdRef']}"


def test_containerd_names_are_fully_qualified(project):
    assert project["names"] == ["docker.io/library/mongo", "docker.io/logdemo/emitter", "registry.k8s.io/pause"], \
        f"containerd names: {project['names']}"


def test_vm_forwards_each_port_of_the_table_once(project):
    fw = project["forwardPorts"]
    assert len(fw) == len(project["ports"]) and len({f["host"]["port"] for f in fw}) == len(fw), \
        "forwardPorts do not match the port table one to one"
    assert {(f["host"]["port"], f["guest"]["port"]) for f in fw} == \
        {(x["host"], x["guest"]) for x in project["ports"].values()}, "forwardPorts differ from the port table"


def test_vm_forwards_only_on_the_hosts_loopback(project):
    assert all(f["host"]["address"] == "127.0.0.1" and f["from"] == "host" for f in project["forwardPorts"]), \
        "a port is forwarded beyond the host's loopback"


def test_port_table_has_the_demo_ports(project):
    assert {"hyperdx-ui", "clickhouse-http", "clickhouse-native", "ssh"} <= set(project["ports"]), \
        f"ports: {sorted(project['ports'])}"
    assert sorted(project["clusterPorts"]) == [3000, 8123, 9000], f"ports relayed into the cluster: {project['clusterPorts']}"


def control_plane():
    return [i["name"] for i in flake.pins()["controlPlane"]["images"]]


def test_vm_preloads_the_logdemo_and_control_plane_images_once_each(project):
    expected = sorted([f"logdemo/{c}" for c in project["images"]] + control_plane())
    assert sorted(project["preload"]) == expected, f"preloaded images {sorted(project['preload'])} != {expected}"


def test_pins_name_every_control_plane_image():
    wanted = {"registry.k8s.io/kube-apiserver", "registry.k8s.io/etcd", "registry.k8s.io/pause",
              "registry.k8s.io/coredns/coredns", "gcr.io/k8s-minikube/storage-provisioner"}
    assert wanted <= set(control_plane()), f"control-plane images missing from nix/pins.json: {sorted(wanted - set(control_plane()))}"


def fill_values(value, path=()):
    """(dotted key, value) of every "FILL: <command>" value still to fill in nix/pins.json."""
    if isinstance(value, dict):
        for k, x in value.items():
            yield from fill_values(x, path + (k,))
    elif isinstance(value, list):
        for i, x in enumerate(value):
            yield from fill_values(x, path + (str(i),))
    elif isinstance(value, str) and value.startswith("FILL:"):
        yield ".".join(path), value


def test_pins_to_fill_are_the_fill_values_of_the_pins(project):
    expected = sorted(key for key, _ in fill_values(flake.pins()))
    assert sorted(project["pinsToFill"]) == expected, f"pinsToFill {project['pinsToFill']} != {expected}"


def test_each_value_to_fill_says_the_command_that_prints_it():
    bare = [key for key, value in fill_values(flake.pins()) if len(value) <= len("FILL: ") + 10]
    assert not bare, f"nix/pins.json says FILL without the command that prints it at {bare}"


def test_vm_readme_names_every_forwarded_port(project):
    # vm/README.md tells users which host port reaches what.
    readme = (flake.ROOT / "vm" / "README.md").read_text()
    missing = [f"localhost:{x['host']} ({name})" for name, x in project["ports"].items() if f"localhost:{x['host']}" not in readme]
    assert not missing, f"vm/README.md does not mention {missing}"


def refusal(values, attribute="p.preloadImages", pins=flake.PINS):
    """The error nix/project.nix stops with, or None when it evaluates."""
    try:
        flake.project(values, attribute, pins)
    except flake.NixError as err:
        return str(err)
    return None


def set_path(values, keys, value):
    *parents, last = keys
    for key in parents:
        values = values[key]
    values[last] = value


BREAKING_VALUES = {
    "a tag other than the workspace version": (
        lambda v: set_path(v, ["emitter", "image", "tag"], "9.9.9"), lambda: f"expected the workspace version {flake.version()}"),
    "another repository": (
        lambda v: set_path(v, ["hyperdx", "mongodb", "image", "repository"], "mongo"), lambda: "expected logdemo/mongodb"),
    "pull policy other than Never": (
        lambda v: set_path(v, ["global", "imagePullPolicy"], "IfNotPresent"), lambda: "must be Never"),
    "a missing image": (lambda v: v.pop("fluent-bit"), lambda: "fluent-bit.image is missing"),
    # Its old place: the chart would ignore it and pull the upstream ClickHouse image.
    "the ClickHouse image outside global": (
        lambda v: v.update(clickhouse=v["global"].pop("clickhouse")), lambda: "global.clickhouse.image is missing"),
}


@pytest.mark.parametrize("what", BREAKING_VALUES)
def test_values_that_break_the_interface_are_refused_with_the_reason(what, tmp_path):
    edit, reason = BREAKING_VALUES[what]
    error = refusal(flake.values_stub(tmp_path / "bad.json", edit))
    assert error is not None, f"{what} was accepted"
    assert reason() in error, f"{what}: the error does not say '{reason()}':\n{error}"


def test_an_unfilled_pin_stops_evaluation_with_its_command(good_values):
    error = refusal(good_values, "p.hyperdx.hash")
    if error is None:
        assert not flake.pins()["hyperdx"]["hash"].startswith("FILL:"), "hyperdx.hash is FILL but evaluated"
    else:
        assert "hyperdx.hash is not filled in yet. Run: nix flake prefetch" in error, \
            f"the unfilled-pin error does not name the key and command:\n{error}"


def pins_with_kubernetes(path, version):
    """nix/pins.json with kubernetes.version set."""
    pins = flake.pins()
    pins["kubernetes"]["version"] = version
    path.write_text(json.dumps(pins))
    return path


def test_kubernetes_version_in_its_series_is_accepted(good_values, tmp_path):
    series = flake.pins()["kubernetes"]["series"]
    pins = pins_with_kubernetes(tmp_path / "pins.json", f"{series}.99")
    assert flake.project(good_values, "p.kubernetesVersion", pins) == f"{series}.99", \
        f"Kubernetes {series}.99 is in series {series} but was not accepted"


def test_kubernetes_version_outside_its_series_is_refused(good_values, tmp_path):
    # One more digit after the minor: a prefix match alone would take it for the series.
    series = flake.pins()["kubernetes"]["series"]
    error = refusal(good_values, "p.kubernetesVersion", pins_with_kubernetes(tmp_path / "pins.json", f"{series}0.1"))
    assert error is not None, f"Kubernetes {series}0.1 was accepted with kubernetes.series {series}"
    assert f"is not in kubernetes.series {series}" in error, f"the out-of-series error does not name kubernetes.series:\n{error}"


def test_repositorys_values_nix_json_evaluates():
    refs = flake.project(flake.VALUES_NIX, "map (i: i.ref) (builtins.attrValues p.images)")
    assert sorted(refs) == [f"logdemo/{c}:{flake.version()}" for c in flake.IMAGES], f"charts/logdemo/values-nix.json gives {refs}"


@pytest.fixture(scope="module")
def outputs():
    """The flake's outputs, evaluated lazily with stub inputs: nixpkgs and microvm are never
    forced, only names and the pure parts are read."""
    return flake.evaluate("""
      let
        flake = import ./flake.nix;
        out = flake.outputs { self = out; nixpkgs = { }; microvm = { }; };
        system = "x86_64-linux";
      in {
        outputs = builtins.attrNames out;
        packages = builtins.attrNames out.packages.${system};
        hosts = builtins.attrNames out.nixosConfigurations;
        shells = builtins.attrNames out.devShells.${system};
        pinsToFill = out.lib.pinsToFill;
      }""")


FLAKE_SHAPE = {
    "outputs": ["checks", "devShells", "formatter", "lib", "nixosConfigurations", "packages"],
    "packages": sorted(["emitter", "emitter-image", "fluent-bit", "fluent-bit-upstream", "fluent-bit-image",
                        "clickhouse", "clickhouse-image", "hyperdx", "hyperdx-image", "mongodb-image",
                        "control-plane-images", "microvm", "default"]),
    "hosts": ["logdemo-vm"],
    "shells": ["default"],
}


@pytest.mark.parametrize("key", FLAKE_SHAPE)
def test_flake_outputs_have_the_promised_names(outputs, key):
    assert sorted(outputs[key]) == FLAKE_SHAPE[key], f"flake {key} are {sorted(outputs[key])}, expected {FLAKE_SHAPE[key]}"


def test_flake_lib_pins_to_fill_is_the_projects(outputs, project):
    assert outputs["pinsToFill"] == project["pinsToFill"], "the flake's lib.pinsToFill differs from nix/project.nix's"
