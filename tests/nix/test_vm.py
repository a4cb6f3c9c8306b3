"""The VM's minikube and status units as NixOS would get them (vm/minikube.nix, vm/deploy.nix,
evaluated with stub packages): the first boot's offline fixes are in place (vm/README.md,
"What the first boot would reach for")."""

import pytest

import flake

# Every package the two modules name, as a store-path-like string.
PACKAGES = ["kubectl", "minikube", "cri-tools", "containerd", "runc", "conntrack-tools", "iptables", "socat",
            "ethtool", "iproute2", "util-linux", "kmod", "kubernetes-helm", "cni-plugins", "coreutils", "findutils",
            "gnugrep", "gnused", "gawk", "systemd"]


@pytest.fixture(scope="module")
def vm():
    packages = " ".join(f'"{p}" = stub "{p}";' for p in PACKAGES)
    return flake.evaluate("""
      let
        lib = import %(lib)s // { mkForce = x: x; };
        stub = name: { outPath = "/nix/store/00000000000000000000000000000000-${name}"; inherit name; };
        pkgs = { %(packages)s
          formats.toml = _: { generate = name: _: stub name; };
          stdenv.hostPlatform.go = { GOOS = "linux"; GOARCH = "amd64"; };
          writeShellApplication = args: args;
        };
        logdemo = {
          project = import ./nix/read-project.nix ./.;
          kubernetes = { outPath = stub "kubernetes"; version = "%(kube)s"; };
          kubectl = pkgs.kubectl;
          chartDir = "/chart";
        };
        minikube = import ./vm/minikube.nix { inherit lib pkgs logdemo; config = { }; };
        deploy = import ./vm/deploy.nix { inherit lib pkgs logdemo; };
        status = builtins.head deploy.environment.systemPackages;
      in {
        script = minikube.systemd.services.minikube.script;
        path = map toString minikube.systemd.services.minikube.path;
        tmpfiles = minikube.systemd.tmpfiles.rules;
        systemPackages = map (p: { path = toString p; priority = (p.meta or { }).priority or null; })
          minikube.environment.systemPackages;
        statusInputs = map toString status.runtimeInputs;
      }""" % {"lib": flake.STUB_LIB, "packages": packages, "kube": flake.STUB_KUBERNETES})


def stub(name):
    return f"/nix/store/00000000000000000000000000000000-{name}"


def test_minikube_start_is_forced_past_its_github_version_lookup(vm):
    # cmd/minikube/cmd/start.go, validateKubernetesVersion: without --force, a release newer
    # than minikube's table exits when GitHub cannot be asked.
    assert "--force" in vm["script"].split(), vm["script"]
    assert f"--kubernetes-version=v{flake.STUB_KUBERNETES}" in vm["script"], "minikube does not start nixpkgs' Kubernetes"
    assert "--preload=false" in vm["script"]


@pytest.mark.parametrize("where", ["path", "statusInputs"])
def test_nixpkgs_kubectl_comes_before_minikubes_link(vm, where):
    paths = vm[where]
    assert stub("kubectl") in paths and stub("minikube") in paths, paths
    assert paths.index(stub("kubectl")) < paths.index(stub("minikube")), \
        f"{where}: minikube's bin/kubectl (a link to minikube) comes first: {paths}"


def test_the_login_shell_gets_nixpkgs_kubectl(vm):
    kubectl = [p for p in vm["systemPackages"] if p["path"] == stub("kubectl")]
    assert any(p["priority"] is not None and p["priority"] < 5 for p in kubectl), \
        f"kubectl is not given priority over minikube's link in the system PATH: {vm['systemPackages']}"


@pytest.mark.parametrize("binary", ["kubeadm", "kubectl"])
def test_minikubes_cache_holds_nixpkgs_binaries(vm, binary):
    cache = f"/var/lib/logdemo/minikube/.minikube/cache/linux/amd64/v{flake.STUB_KUBERNETES}"
    source = stub("kubernetes") if binary == "kubeadm" else stub("kubectl")
    assert f"L+ {cache}/{binary} - - - - {source}/bin/{binary}" in vm["tmpfiles"], vm["tmpfiles"]


@pytest.mark.parametrize("binary,source", [("kubeadm", "kubernetes"), ("kubelet", "kubernetes"), ("kubectl", "kubectl")])
def test_minikubes_binaries_directory_is_complete(vm, binary, source):
    # pkg/minikube/bootstrapper/bsutil/binaries.go skips every download when all three are there.
    assert f"L+ /var/lib/minikube/binaries/v{flake.STUB_KUBERNETES}/{binary} - - - - {stub(source)}/bin/{binary}" \
        in vm["tmpfiles"], vm["tmpfiles"]
