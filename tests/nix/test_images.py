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
          # The digest is still to fill; the image file only passes it through.
          pins = pins // { mongodb = pins.mongodb // { digest = "sha256:stub"; hash = "stub"; }; };
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
        mongodb = call ./nix/mongodb-image.nix { };
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


def test_mongodb_is_pulled_by_digest_and_renamed(images):
    mongo = images["mongodb"]
    assert (mongo["finalImageName"], mongo["finalImageTag"]) == ("logdemo/mongodb", flake.version()), \
        "MongoDB is not renamed to logdemo/mongodb:<version>"
    assert mongo["imageDigest"] == "sha256:stub", "MongoDB is not pulled by the pinned digest"
