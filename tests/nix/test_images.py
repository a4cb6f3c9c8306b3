"""Each image the flake builds is what the chart runs (docs/interfaces.md, Images), evaluated
with stub packages: the image builders return their arguments, so the result is the image as
declared."""

import pytest

import flake

STUB_STORE = "/nix/store/00000000000000000000000000000000"


@pytest.fixture(scope="module")
def images(good_values):
    return flake.evaluate("""{ values }:
      let
        pins = builtins.fromJSON (builtins.readFile ./nix/pins.json);
        project = import ./nix/project.nix {
          cargoToml = builtins.fromTOML (builtins.readFile ./Cargo.toml);
          valuesNix = builtins.fromJSON (builtins.readFile values);
          # The digest is for update-pins to compute; the image file only passes it through.
          pins = pins // { mongodb = pins.mongodb // { digest = "sha256:stub"; hash = "stub"; }; };
          controlPlane = builtins.fromJSON (builtins.readFile ./nix/control-plane.json);
        };
        stub = name: "%s-${name}";
        dockerTools = {
          buildLayeredImage = args: args;
          pullImage = args: args;
          caCertificates = stub "ca-certificates";
          usrBinEnv = stub "usr-bin-env";
        };
        call = file: args: import file ({ inherit dockerTools project; } // args);
        show = image: {
          inherit (image) name tag config;
          contents = image.contents or [ ];
          extraCommands = image.extraCommands or "";
          fakeRootCommands = image.fakeRootCommands or "";
        };
      in {
        emitter = show (call ./nix/emitter-image.nix { emitter = stub "emitter"; });
        fluent-bit = show (call ./nix/fluent-bit-image.nix {
          cacert = stub "cacert";
          fluent-bit = stub "fluent-bit";
          fluentBitFiles = "/chart/fluent-bit/files";
        });
        clickhouse = show (call ./nix/clickhouse-image.nix { busybox = stub "busybox"; clickhouse = stub "clickhouse"; });
        hyperdx = show (call ./nix/hyperdx-image.nix {
          busybox = stub "busybox";
          nodejs_22 = stub "nodejs";
          hyperdx = stub "hyperdx";
        });
        mongodb = call ./nix/mongodb-image.nix {
          skopeo = stub "skopeo";
          runCommand = name: env: script: env // { inherit name script; };
        };
      }""" % STUB_STORE, values=good_values)


@pytest.mark.parametrize("component", ["emitter", "fluent-bit", "clickhouse", "hyperdx"])
def test_image_is_named_for_the_chart(images, component):
    image = images[component]
    assert (image["name"], image["tag"]) == (f"logdemo/{component}", flake.version()), \
        f"{component} image is {image['name']}:{image['tag']}"


def test_emitter_image_holds_only_the_static_binary_and_starts_it(images):
    emitter = images["emitter"]
    assert emitter["config"]["Entrypoint"] == ["/bin/emitter"], "the emitter image does not start emitter"
    assert emitter["contents"] == [f"{STUB_STORE}-emitter"] and not emitter["extraCommands"], \
        "the emitter image holds more than the static binary"


def test_fluent_bit_image_runs_the_charts_config(images):
    fb = images["fluent-bit"]
    assert fb["config"]["Entrypoint"] + fb["config"]["Cmd"] == \
        ["/fluent-bit/bin/fluent-bit", "-c", "/fluent-bit/etc/fluent-bit.yaml"], \
        "fluent-bit does not run as /fluent-bit/bin/fluent-bit -c /fluent-bit/etc/fluent-bit.yaml"


@pytest.mark.parametrize("file", ["fluent-bit.yaml", "otel-logs.lua"])
def test_fluent_bit_image_carries_the_charts_file(images, file):
    assert f"/chart/fluent-bit/files/{file} fluent-bit/etc/{file}" in images["fluent-bit"]["extraCommands"], \
        f"the fluent-bit image does not carry the chart's {file}"


def test_clickhouse_image_runs_the_server_as_pid_1(images):
    assert images["clickhouse"]["config"]["Entrypoint"] == \
        ["/bin/clickhouse", "server", "--config-file=/etc/clickhouse-server/config.xml"], \
        "the ClickHouse entrypoint is not the server itself (PID 1) with the interface's config file"


def test_clickhouse_runs_as_uid_101_owning_its_data(images):
    ch = images["clickhouse"]
    assert ch["config"]["User"] == "101:101" and "chown -R 101:101 var/lib/clickhouse" in ch["fakeRootCommands"], \
        "ClickHouse does not run as uid 101 owning /var/lib/clickhouse"


def test_clickhouse_image_has_directories_for_the_charts_overrides(images):
    commands = images["clickhouse"]["extraCommands"]
    assert "etc/clickhouse-server/config.d" in commands and "etc/clickhouse-server/users.d" in commands, \
        "the ClickHouse image has no config.d/users.d for the chart's overrides"


def test_hyperdx_image_starts_like_the_upstream_one(images):
    config = images["hyperdx"]["config"]
    assert config["Entrypoint"] == ["sh", "/etc/local/entry.sh"] and config["WorkingDir"] == "/app", \
        "the HyperDX image does not start like the upstream one"
    assert {"3000/tcp", "8000/tcp"} <= set(config["ExposedPorts"]), "the HyperDX image does not expose 3000 and 8000"


def test_mongodb_is_pulled_by_digest_under_its_own_name_and_renamed(images):
    mongo, pins = images["mongodb"], flake.pins()["mongodb"]
    pulled = mongo["upstream"]
    assert pulled["imageDigest"] == "sha256:stub", "MongoDB is not pulled by the pinned digest"
    # nix-prefetch-docker hashes an archive named after the image itself (update-pins).
    assert (pulled["imageName"], pulled["finalImageName"], pulled["finalImageTag"]) == \
        (pins["imageName"], pins["imageName"], pins["tag"]), pulled
    assert mongo["renamed"] == f"logdemo/mongodb:{flake.version()}", "MongoDB is not renamed to logdemo/mongodb:<version>"
    assert '"docker-archive:$out:$renamed"' in mongo["script"]


# The control-plane images and their check, evaluated with stub packages: each stub is a path
# string, buildLayeredImage returns its arguments (plus the imageName/imageTag it passes on),
# runCommand its name, environment and script.
CONTROL_PLANE = """{ values }:
  let
    project = import ./nix/read-project.nix ./.;
    lib = import %(lib)s;
    stub = name: "%(store)s-${name}";
    pkg = name: version: { outPath = stub name; inherit version; };
    kubernetes = pkg "kubernetes" "%(kube)s" // { pause = stub "kubernetes-pause"; };
    cp = import ./nix/control-plane-images.nix {
      inherit lib project kubernetes;
      dockerTools.buildLayeredImage = args: args // { imageName = args.name; imageTag = args.tag; outPath = stub "image-${args.name}"; };
      runCommand = name: env: script: env // { inherit name script; outPath = stub name; };
      linkFarm = name: entries: {
        inherit name entries;
        overrideAttrs = attrs: { inherit name entries; } // attrs;
      };
      buildGoModule = args: args // { outPath = stub args.pname; };
      etcd_3_6 = pkg "etcd" "3.6.8";
      coredns = pkg "coredns" "1.13.2";
      minikube = pkg "minikube" "1.38.1" // { src = stub "minikube-src"; vendorHash = "sha256-vendor"; };
      iptables = stub "iptables";
      conntrack-tools = stub "conntrack-tools";
      nftables = stub "nftables";
      iana-etc = stub "iana-etc";
    };
    show = image: {
      inherit (image) imageName imageTag config;
      contents = map toString image.contents;
    };
  in {
    images = builtins.mapAttrs (_: show) cp.passthru.images;
    archives = map (a: { inherit (a) containerdRef; path = toString a.path.outPath; }) cp.passthru.archives;
    entries = map (e: e.name) cp.entries;
    check = { inherit (cp.passthru.check) built kubernetesVersion storageProvisioner storageProvisionerTag script; };
    storageProvisioner = { inherit (cp.passthru.storage-provisioner) src subPackages ldflags vendorHash; };
    wanted = project.controlPlaneImages "%(kube)s";
  }"""


@pytest.fixture(scope="module")
def control_plane(good_values):
    return flake.evaluate(CONTROL_PLANE % {"lib": flake.STUB_LIB, "store": STUB_STORE, "kube": flake.STUB_KUBERNETES},
                          values=good_values)


KUBEADM = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns", "pause", "etcd"]


def test_each_control_plane_image_is_named_as_kubeadm_and_minikube_expect(control_plane):
    built = {c: f"{i['imageName']}:{i['imageTag']}" for c, i in control_plane["images"].items()}
    wanted = {i["component"]: i["ref"] for i in control_plane["wanted"]}
    assert built == wanted, f"built {built}, kubeadm/minikube expect {wanted}"


def test_the_check_compares_kubeadms_list_with_the_built_images(control_plane):
    check = control_plane["check"]
    built = {c: f"{i['imageName']}:{i['imageTag']}" for c, i in control_plane["images"].items()}
    assert sorted(check["built"].split()) == sorted(built[c] for c in KUBEADM),         f"the check compares kubeadm with {check['built'].split()}, the images built are {built}"
    assert check["kubernetesVersion"] == f"v{flake.STUB_KUBERNETES}"
    assert 'kubeadm config images list --kubernetes-version "$kubernetesVersion"' in check["script"] and \
        "diff -u kubeadm-lists flake-builds" in check["script"] and "exit 1" in check["script"], \
        "the check does not fail on a difference from kubeadm's list"
    assert check["storageProvisioner"] == built["storage-provisioner"]
    assert 'STORAGE_PROVISIONER_TAG ?= $storageProvisionerTag' in check["script"], \
        "the check does not compare the storage-provisioner tag with minikube's Makefile"


def test_the_check_is_part_of_what_the_vm_loads(control_plane):
    assert "kubeadm-check" in control_plane["entries"], "the control-plane package does not depend on its check"


def test_the_vm_gets_every_control_plane_image_once(control_plane):
    refs = sorted(a["containerdRef"] for a in control_plane["archives"])
    assert refs == sorted(i["containerdRef"] for i in control_plane["wanted"]), refs
    assert sorted(a["path"] for a in control_plane["archives"]) == \
        sorted(f"{STUB_STORE}-image-{i['imageName']}" for i in control_plane["images"].values())


@pytest.mark.parametrize("component", ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"])
def test_kube_components_are_nixpkgs_binaries_on_path(control_plane, component):
    image = control_plane["images"][component]
    assert image["config"]["Entrypoint"] == [f"/usr/local/bin/{component}"]
    assert any("/usr/local/bin" in e for e in image["config"]["Env"] if e.startswith("PATH=")), image["config"]
    assert image["config"]["Labels"]["org.opencontainers.image.version"] == flake.STUB_KUBERNETES


def test_kube_proxy_has_the_packet_filter_tools_it_runs(control_plane):
    contents = control_plane["images"]["kube-proxy"]["contents"]
    for tool in ["iptables", "conntrack-tools", "nftables"]:
        assert f"{STUB_STORE}-{tool}" in contents, f"kube-proxy's image lacks {tool}: {contents}"


@pytest.mark.parametrize("component,entry", [("pause", ["/pause"]), ("coredns", ["/coredns"]), ("etcd", ["/usr/local/bin/etcd"])])
def test_runtime_started_images_start_their_program(control_plane, component, entry):
    assert control_plane["images"][component]["config"]["Entrypoint"] == entry


def test_etcd_and_coredns_say_which_release_they_carry(control_plane):
    labels = lambda c: control_plane["images"][c]["config"]["Labels"]["org.opencontainers.image.version"]
    assert (labels("etcd"), labels("coredns")) == ("3.6.8", "1.13.2")


def test_storage_provisioner_is_built_from_minikubes_source(control_plane):
    sp = control_plane["storageProvisioner"]
    assert sp["src"] == f"{STUB_STORE}-minikube-src" and sp["vendorHash"] == "sha256-vendor", sp
    assert sp["subPackages"] == ["cmd/storage-provisioner"]
    tag = flake.control_plane()["storageProvisioner"]
    assert f"-X k8s.io/minikube/pkg/storage.version={tag}" in sp["ldflags"], sp["ldflags"]
    assert control_plane["images"]["storage-provisioner"]["config"]["Cmd"] == ["/storage-provisioner"]
