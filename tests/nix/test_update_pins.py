"""`nix run .#update-pins`, evaluated with stub packages: it computes exactly the values the flake
leaves to it (nix/project.nix networkPins), writes them into nix/pins.json, and then builds what
each is the hash of."""

import re

import pytest

import flake


@pytest.fixture(scope="module")
def app():
    return flake.evaluate("""
      let
        project = import ./nix/read-project.nix ./.;
        stub = name: "/nix/store/00000000000000000000000000000000-${name}";
        app = import ./nix/update-pins.nix {
          inherit project;
          lib = import %s;
          writeShellApplication = args: args;
          fetchFromGitHub = args: stub "source-${args.repo}-${args.rev}-${args.hash}";
          yarn-berry_4.yarn-berry-fetcher = stub "yarn-berry-fetcher";
          nix-prefetch-docker = stub "nix-prefetch-docker";
          jq = stub "jq";
          nix = stub "nix";
          coreutils = stub "coreutils";
        };
      in { inherit (app) name text; networkPins = project.networkPins; }""" % flake.STUB_LIB)


def test_it_is_the_app_the_flake_runs(app):
    assert app["name"] == "update-pins"


def test_it_computes_exactly_the_values_left_to_it(app):
    written = set(re.findall(r'"([a-zA-Z]+\.[a-zA-Z]+)": \$', app["text"]))
    assert written == set(app["networkPins"]), \
        f"update-pins writes {sorted(written)}, the flake leaves {sorted(app['networkPins'])} to it"
    assert "jq -r 'keys | sort | join(\" \")'" in app["text"] and "exit 1" in app["text"], \
        "update-pins does not refuse to write keys the flake does not leave to it"


def test_it_writes_the_repositorys_pins_and_builds_what_they_hash(app):
    text = app["text"]
    assert "pins=nix/pins.json" in text and 'cp "$scratch/pins.json" "$pins"' in text
    assert ".#hyperdx.offlineCache .#mongodb-image" in text, "update-pins does not check its values by building"


def test_it_fetches_the_pinned_hyperdx_source_and_the_committed_missing_hashes(app):
    pins = flake.pins()["hyperdx"]
    assert f"source-hyperdx-{pins['rev']}-{pins['hash']}/yarn.lock" in app["text"]
    assert "hyperdx-missing-hashes.json" in app["text"]


def test_it_prefetches_the_mongodb_image_the_chart_runs(app):
    mongo = flake.pins()["mongodb"]
    assert f"--image-name {mongo['imageName']} --image-tag {mongo['tag']}" in app["text"]
    # The hash covers the name inside the archive: the one nix/mongodb-image.nix pulls under.
    assert f"--final-image-name {mongo['imageName']} --final-image-tag {mongo['tag']}" in app["text"]
