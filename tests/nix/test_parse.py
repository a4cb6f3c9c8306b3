"""Every tracked .nix file parses; the ClickHouse image's configuration files are well-formed."""

import subprocess
import xml.etree.ElementTree as ET

import pytest

import flake


def tracked(pattern):
    out = subprocess.run(["git", "ls-files", pattern], cwd=flake.ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


NIX_FILES = tracked("*.nix")
CLICKHOUSE_XML = sorted((flake.ROOT / "nix" / "clickhouse").glob("*.xml"))


def test_the_flake_and_its_nix_and_vm_files_are_tracked():
    assert len(NIX_FILES) >= 10, f"expected the flake and its nix/ and vm/ files, found {len(NIX_FILES)} .nix files"


@pytest.mark.parametrize("path", NIX_FILES)
def test_nix_file_parses(path):
    try:
        flake.instantiate("--parse", path)
    except flake.NixError as err:
        pytest.fail(f"{path} does not parse:\n{err}")


@pytest.mark.parametrize("path", CLICKHOUSE_XML, ids=lambda p: p.name)
def test_clickhouse_image_config_is_clickhouse_xml(path):
    root = ET.parse(path).getroot()
    assert root.tag == "clickhouse", f"{path}: the root element is <{root.tag}>, ClickHouse reads <clickhouse>"


def test_clickhouse_keeps_its_data_where_the_chart_mounts_it():
    # The paths the chart mounts and writes to (docs/interfaces.md, Images).
    config = ET.parse(flake.ROOT / "nix" / "clickhouse" / "config.xml").getroot()
    assert config.findtext("path") == "/var/lib/clickhouse/", \
        "nix/clickhouse/config.xml keeps data outside /var/lib/clickhouse"
