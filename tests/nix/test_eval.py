"""The pure part of the flake (nix/project.nix: version, image names, ports, pins, the
control-plane names and tags, the fluent-bit source) evaluates with the real files, refuses
values that break the interface, needs nothing beyond what `nix run .#update-pins` fills, and
the flake's outputs have the promised shape."""

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


def test_vm_preloads_the_logdemo_and_control_plane_images_once_each(project):
    expected = sorted([f"logdemo/{c}:{flake.version()}" for c in project["images"]]
                      + [i["ref"] for i in project["controlPlane"]])
    assert sorted(project["preload"]) == expected, f"preloaded images {sorted(project['preload'])} != {expected}"
    assert len(set(project["preload"])) == len(project["preload"]), "an image is preloaded twice"


def test_control_plane_images_are_the_ones_kubeadm_and_minikube_run(project):
    # kubeadm: cmd/kubeadm/app/images/images.go (GetControlPlaneImages); minikube:
    # pkg/minikube/bootstrapper/images/images.go (storageProvisioner).
    refs = [i["ref"] for i in project["controlPlane"]]
    tags = flake.control_plane()["kubeadm"]["1.35"]
    v = f"v{flake.STUB_KUBERNETES}"
    assert refs == [f"registry.k8s.io/kube-apiserver:{v}", f"registry.k8s.io/kube-controller-manager:{v}",
                    f"registry.k8s.io/kube-scheduler:{v}", f"registry.k8s.io/kube-proxy:{v}",
                    f"registry.k8s.io/coredns/coredns:{tags['coredns']}", f"registry.k8s.io/pause:{tags['pause']}",
                    f"registry.k8s.io/etcd:{tags['etcd']}",
                    f"gcr.io/k8s-minikube/storage-provisioner:{flake.control_plane()['storageProvisioner']}"], refs


def test_kube_image_tags_follow_kubeadms_tag_rule(good_values):
    # kubeadm's KubernetesVersionToImageTag turns anything outside [-a-zA-Z0-9_.] into _.
    tags = flake.project(good_values, 'map (i: i.tag) (p.controlPlaneImages "1.35.4+nix.1")')
    assert tags[:4] == ["v1.35.4_nix.1"] * 4, f"kube-* tags for 1.35.4+nix.1: {tags[:4]}"


def test_a_kubernetes_series_without_kubeadm_tags_is_refused_naming_the_command(good_values):
    error = refusal(good_values, 'p.controlPlaneImages "1.99.0"')
    assert error is not None, "Kubernetes 1.99.0 has no kubeadm tags in nix/control-plane.json but was accepted"
    assert "nix/control-plane.json has no kubeadm image tags for 1.99" in error and \
        "kubeadm config images list --kubernetes-version v1.99.0" in error, error


def test_every_value_to_fill_is_computed_by_the_one_command(project):
    values = dict(flake.fill_values(flake.pins()))
    wrong = {k: v for k, v in values.items() if v != f"FILL: {flake.UPDATE_PINS}"}
    assert not wrong, f"nix/pins.json values to fill that name another command than {flake.UPDATE_PINS}: {wrong}"
    assert project["updatePins"] == flake.UPDATE_PINS
    assert not project["pinsNoCommandFills"] and set(values) <= set(project["networkPins"]), \
        f"nix/pins.json leaves {sorted(set(values) - set(project['networkPins']))} to fill, which {flake.UPDATE_PINS} does not compute"


def test_pins_to_fill_are_the_fill_values_of_the_pins(project):
    expected = sorted(key for key, _ in flake.fill_values(flake.pins()))
    assert sorted(project["pinsToFill"]) == expected, f"pinsToFill {project['pinsToFill']} != {expected}"


# Everything the default build reads from nix/project.nix, forced in full.
DEFAULT_BUILD = """{
  inherit (p) version images ports forwardPorts clusterPorts clickhouse fluentBit hyperdx mongodb;
  controlPlane = p.controlPlaneImages "%s";
  preload = p.preloadImages "%s";
}""" % (flake.STUB_KUBERNETES, flake.STUB_KUBERNETES)

STAND_IN_HASH = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def fill_network_pins(pins, keys):
    for key in keys:
        flake.set_key(pins, key, STAND_IN_HASH)


def test_the_default_build_needs_no_value_beyond_what_the_one_command_fills(good_values, project, tmp_path):
    # With only update-pins' values filled (by stand-ins), every value the default build reads
    # evaluates: a new FILL elsewhere would stop this evaluation.
    pins = flake.write_pins(tmp_path / "pins.json", lambda d: fill_network_pins(d, project["networkPins"]))
    try:
        flake.project(good_values, DEFAULT_BUILD, pins)
    except flake.NixError as err:
        pytest.fail(f"the default build needs a value {flake.UPDATE_PINS} does not fill:\n{err}")
    assert flake.project(good_values, "p.pinsToFill", pins) == []


def test_a_new_value_to_fill_outside_the_command_stops_the_default_build(good_values, project, tmp_path):
    # The check above can fail: a FILL on a value the default build reads stops it.
    def edit(d):
        fill_network_pins(d, project["networkPins"])
        d["fluentBit"]["hash"] = "FILL: some other command"
    pins = flake.write_pins(tmp_path / "pins.json", edit)
    error = refusal(good_values, DEFAULT_BUILD, pins)
    assert error is not None and "fluentBit" in error, f"a FILL on fluentBit.hash went unnoticed: {error}"
    assert flake.project(good_values, "p.pinsNoCommandFills", pins) == ["fluentBit.hash"]


def test_the_microvm_stops_with_one_message_naming_the_command_until_it_has_run():
    keys = sorted(k for k, _ in flake.fill_values(flake.pins()))
    if not keys:
        pytest.skip("nix/pins.json is complete: nothing to stop on")
    # Stub inputs: while a value is missing, nixpkgs is never reached.
    error = flake.failure("""
      let
        flake = import ./flake.nix;
        out = flake.outputs { self = out; nixpkgs = { }; microvm = { }; };
      in builtins.seq out.packages.x86_64-linux.microvm true""")
    assert error is not None, "the microvm evaluated with values still to fill"
    messages = [line for line in error.splitlines() if line.strip().startswith("error:")]
    assert len(messages) == 1, f"more than one message:\n{error}"
    assert flake.UPDATE_PINS in error and all(k in error for k in keys), \
        f"the message does not name {flake.UPDATE_PINS} and every missing key {keys}:\n{error}"


def test_the_default_fluent_bit_is_upstream_5_1_1_and_the_fork_is_not_read(project):
    assert project["fluentBit"] == {
        "owner": "fluent", "repo": "fluent-bit", "rev": "6315162a8d4b1ef42b038834e639697f8cb44912",
        "version": "5.1.1", "hash": "sha256-26E9UNYD8Zit+Ml9NfaxyX3Wv45tE/EFOdHd7aPspAg="}, project["fluentBit"]
    assert "randomizedcoder" not in flake.PINS.read_text(), "nix/pins.json holds fork values the default build would carry"
    assert "\n      fluentBitSource = project.fluentBit;\n" in (flake.ROOT / "flake.nix").read_text(), \
        "flake.nix does not build the pinned upstream fluent-bit by default"


FORK = {"rev": "0123456789abcdef0123456789abcdef01234567", "version": "5.1.1",
        "hash": "sha256-26E9UNYD8Zit+Ml9NfaxyX3Wv45tE/EFOdHd7aPspAg="}


def fork(values, **changes):
    args = " ".join(f'{k} = "{v}";' for k, v in dict(FORK, **changes).items())
    return flake.project(values, "p.fluentBitFork { %s }" % args)


def test_the_fork_override_builds_from_randomizedcoder(good_values):
    assert fork(good_values) == dict(FORK, owner="randomizedcoder", repo="fluent-bit")


@pytest.mark.parametrize("field,value,says", [
    ("rev", "main", "rev must be a full commit id"),
    ("hash", "FILL: later", "hash must be an SRI sha256"),
    ("version", "latest", "version must be the release it builds"),
])
def test_the_fork_override_refuses_values_it_cannot_pin(good_values, field, value, says):
    try:
        fork(good_values, **{field: value})
    except flake.NixError as err:
        assert says in str(err), f"fluentBitFork with {field}={value!r}: {err}"
        return
    pytest.fail(f"fluentBitFork accepted {field}={value!r}")


def test_vm_readme_names_every_forwarded_port(project):
    # vm/README.md tells users which host port reaches what.
    readme = (flake.ROOT / "vm" / "README.md").read_text()
    missing = [f"localhost:{x['host']} ({name})" for name, x in project["ports"].items() if f"localhost:{x['host']}" not in readme]
    assert not missing, f"vm/README.md does not mention {missing}"


def refusal(values, attribute="p.images", pins=flake.PINS):
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


def test_an_unfilled_pin_stops_evaluation_naming_the_command(good_values, tmp_path):
    pins = flake.write_pins(tmp_path / "pins.json", lambda d: flake.set_key(d, "mongodb.digest", "FILL: x"))
    error = refusal(good_values, "p.mongodb.digest", pins)
    assert error is not None, "an unfilled mongodb.digest evaluated"
    assert "mongodb.digest is not computed yet" in error and flake.UPDATE_PINS in error, \
        f"the unfilled-pin error does not name the key and {flake.UPDATE_PINS}:\n{error}"


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
        apps = builtins.attrNames out.apps.${system};
        pinsToFill = out.lib.pinsToFill;
      }""")


FLAKE_SHAPE = {
    "outputs": ["apps", "checks", "devShells", "formatter", "lib", "nixosConfigurations", "packages"],
    "apps": ["update-pins"],
    "packages": sorted(["emitter", "emitter-image", "fluent-bit", "fluent-bit-image",
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
