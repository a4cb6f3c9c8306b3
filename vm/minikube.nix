# minikube with the "none" driver on containerd, offline.
#
# Why this driver and runtime (more in vm/README.md): the VM is already the isolation
# boundary, so minikube runs Kubernetes directly on it; no nested VM, no kicbase container
# image, and the Kubernetes binaries from nixpkgs run where they were built to run.
# containerd is the runtime kubelet talks to natively (no cri-dockerd shim), and its image
# store lives on the persistent /var, where the preload unit puts every image.
#
# minikube writes a few files where a conventional distribution keeps them; the units below
# give it those places on NixOS without minikube needing the network:
#   - /var/lib/minikube/binaries/v<version>: kubeadm, kubelet, kubectl from nixpkgs, so
#     minikube finds them and downloads nothing;
#   - minikube's download cache: kubeadm (which minikube asks for image tags) and kubectl
#     (what nixpkgs' minikube runs when called as `kubectl`, see below);
#   - /etc/containerd/config.toml: a writable copy containerd is started with, which minikube
#     edits and restarts containerd on;
#   - /etc/systemd/system and /lib/systemd/system: writable (an overlay on the read-only
#     NixOS unit directory), where minikube puts kubelet.service and its drop-in;
#   - /tmp/hostpath-provisioner, where its storage provisioner puts volumes: on /var.
{
  config,
  lib,
  pkgs,
  logdemo,
  ...
}:
let
  inherit (logdemo) project kubernetes kubectl;
  kubernetesVersion = kubernetes.version;
  state = import ./state.nix;

  pause = lib.findFirst (image: image.component == "pause") (throw "nix/project.nix: controlPlaneImages has no pause") (
    project.controlPlaneImages kubernetesVersion
  );

  containerdSettings = {
    version = 2;
    plugins."io.containerd.grpc.v1.cri" = {
      # The preloaded pause image, so containerd never pulls another one.
      sandbox_image = pause.ref;
      containerd.runtimes.runc = {
        runtime_type = "io.containerd.runc.v2";
        # kubelet follows systemd's cgroup driver on this machine; containerd must match.
        options.SystemdCgroup = true;
      };
      cni = {
        bin_dir = "/opt/cni/bin";
        conf_dir = "/etc/cni/net.d";
      };
    };
  };
  containerdConfig = (pkgs.formats.toml { }).generate "containerd.toml" containerdSettings;

  binaries = "/var/lib/minikube/binaries/v${kubernetesVersion}";
  # minikube picks the pause tag it writes into containerd's configuration (and the etcd and
  # coredns tags) from its own table; for a Kubernetes release missing there it runs
  # `kubeadm config images list`, taking kubeadm from this download cache
  # (pkg/minikube/bootstrapper/images/images.go, tagFromKubeadm; pkg/minikube/download/binary.go
  # uses a cached file as is). Holding nixpkgs' kubeadm there makes its answer the tags kubeadm
  # uses, which the VM preloads, whatever minikube release nixpkgs carries, and nothing is
  # downloaded. kubectl sits beside it: nixpkgs' minikube installs bin/kubectl as a link to
  # itself, and minikube run as `kubectl` runs the kubectl of this cache, downloading it if
  # it is missing (cmd/minikube/main.go, cmd/minikube/cmd/kubectl.go).
  kubeadmCache =
    let
      inherit (pkgs.stdenv.hostPlatform.go) GOOS GOARCH;
    in
    "${state.environment.MINIKUBE_HOME}/.minikube/cache/${GOOS}/${GOARCH}/v${kubernetesVersion}";
  volumes = "${state.dir}/volumes";

  # What minikube, kubeadm and kubelet call out to. kubectl comes before minikube on every
  # PATH built from this list: minikube's own bin/kubectl would otherwise answer, and offline
  # it cannot fetch the kubectl it hands over to.
  kubeTools = with pkgs; [
    kubectl
    minikube
    cri-tools
    containerd
    runc
    conntrack-tools
    iptables
    socat
    ethtool
    iproute2
    util-linux
    kmod
  ];
in
{
  boot.kernelModules = [
    "br_netfilter"
    "overlay"
  ];
  boot.kernel.sysctl = {
    "net.ipv4.ip_forward" = 1;
    "net.bridge.bridge-nf-call-iptables" = 1;
    "net.bridge.bridge-nf-call-ip6tables" = 1;
  };

  virtualisation.containerd = {
    enable = true;
    configFile = containerdConfig;
    args.config = lib.mkForce "/etc/containerd/config.toml";
  };
  environment.etc."containerd/config.toml" = {
    source = containerdConfig;
    # A copy, not a link into the store: minikube edits it.
    mode = "0644";
  };

  systemd.tmpfiles.rules = [
    "d ${binaries} 0755 root root -"
    "L+ ${binaries}/kubeadm - - - - ${kubernetes}/bin/kubeadm"
    "L+ ${binaries}/kubelet - - - - ${kubernetes}/bin/kubelet"
    "L+ ${binaries}/kubectl - - - - ${kubectl}/bin/kubectl"
    "d ${kubeadmCache} 0755 root root -"
    "L+ ${kubeadmCache}/kubeadm - - - - ${kubernetes}/bin/kubeadm"
    "L+ ${kubeadmCache}/kubectl - - - - ${kubectl}/bin/kubectl"
    "d /opt/cni 0755 root root -"
    "L+ /opt/cni/bin - - - - ${pkgs.cni-plugins}/bin"
    "d ${state.dir} 0755 root root -"
    # The volumes bound there below are data, not temporary files to age out of /tmp.
    "x /tmp/hostpath-provisioner - - - - -"
  ];

  # On the system PATH, which kubelet gets through the drop-in below, and on minikube's. The
  # login shell's kubectl is nixpkgs' kubectl, not minikube's link to itself.
  environment.systemPackages = [ (lib.hiPrio kubectl) ] ++ kubeTools ++ [ pkgs.kubernetes-helm ];
  environment.variables = {
    inherit (state.environment) KUBECONFIG MINIKUBE_HOME;
  };

  systemd.services.minikube-prepare = {
    description = "Places minikube writes to on a conventional distribution, made for NixOS";
    before = [ "minikube.service" ];
    path = [
      pkgs.coreutils
      pkgs.util-linux
    ];
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
    };
    script = ''
      set -euo pipefail
      # minikube writes kubelet.service to /lib/systemd/system and its drop-in to
      # /etc/systemd/system/kubelet.service.d; NixOS's unit directory is read-only.
      units=$(readlink -f /etc/systemd/system)
      if ! mountpoint -q "$units"; then
        mkdir -p /run/logdemo-units/upper /run/logdemo-units/work
        mount -t overlay overlay \
          -o "lowerdir=$units,upperdir=/run/logdemo-units/upper,workdir=/run/logdemo-units/work" "$units"
      fi
      mkdir -p /lib/systemd
      ln -sfn /etc/systemd/system /lib/systemd/system
      # kubelet, as minikube starts it, needs NixOS's tools (mount, iptables, ...) on its PATH.
      mkdir -p /etc/systemd/system/kubelet.service.d
      printf '[Service]\nEnvironment=PATH=/run/current-system/sw/bin:/run/wrappers/bin\n' \
        > /etc/systemd/system/kubelet.service.d/05-nixos-path.conf

      # minikube's storage provisioner keeps volumes (ClickHouse, MongoDB) under
      # /tmp/hostpath-provisioner; /tmp is memory here, so they go to the persistent /var.
      mkdir -p ${volumes} /tmp/hostpath-provisioner
      if ! mountpoint -q /tmp/hostpath-provisioner; then
        mount --bind ${volumes} /tmp/hostpath-provisioner
      fi
    '';
  };

  systemd.services.minikube = {
    description = "minikube (driver none, containerd, Kubernetes v${kubernetesVersion}), offline";
    wantedBy = [ "multi-user.target" ];
    requires = [
      "containerd.service"
      "logdemo-preload.service"
      "minikube-prepare.service"
    ];
    after = [
      "containerd.service"
      "logdemo-preload.service"
      "minikube-prepare.service"
      "network-online.target"
    ];
    wants = [ "network-online.target" ];
    path = kubeTools ++ [
      pkgs.coreutils
      pkgs.findutils
      pkgs.gnugrep
      pkgs.gnused
      pkgs.gawk
      pkgs.systemd
      "/run/wrappers"
    ];
    environment = state.environment // {
      MINIKUBE_WANTUPDATENOTIFICATION = "false";
      MINIKUBE_IN_STYLE = "false";
    };
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
      TimeoutStartSec = "30min";
    };
    # --preload=false: the preload tarball would be a download; the images are already in
    # containerd and the binaries in ${binaries}.
    # --force: for a Kubernetes release newer than the newest in its table and not in its list,
    # minikube asks GitHub whether the release exists and exits when it cannot tell
    # (cmd/minikube/cmd/start.go, validateKubernetesVersion); nixpkgs' kubernetes is often such
    # a release, and the VM has no network. --force also turns minikube's other refusals into
    # warnings (exitIfNotForced); vm/README.md lists what that covers.
    script = ''
      set -euo pipefail
      minikube start \
        --driver=none \
        --container-runtime=containerd \
        --kubernetes-version=v${kubernetesVersion} \
        --force \
        --preload=false \
        --cni=bridge \
        --interactive=false \
        --wait=all \
        --wait-timeout=15m
      kubectl get nodes -o wide
    '';
    preStop = ''
      minikube stop || echo "minikube stop failed; the VM is shutting down anyway" >&2
    '';
  };
}
