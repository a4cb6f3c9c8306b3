# The images kubeadm and minikube run, built with dockerTools from nixpkgs' own packages and
# named exactly as kubeadm and minikube expect them for the Kubernetes version nixpkgs builds
# (nix/project.nix, controlPlaneImages), so the VM's container runtime holds them before
# minikube starts and nothing is ever pulled. NixOS's kubelet module builds its pause image
# from `kubernetes.pause` the same way (nixos/modules/services/cluster/kubernetes/kubelet.nix).
#
# Where each program sits is where kubeadm's and minikube's manifests call it:
#   kube-apiserver, kube-controller-manager, kube-scheduler, etcd: by name (static pod
#     `command: [<name>, ...]`), so on PATH, in /usr/local/bin as in the upstream images;
#   kube-proxy: /usr/local/bin/kube-proxy (kubeadm's DaemonSet calls that path), with
#     iptables, conntrack and nft on PATH, which kube-proxy runs;
#   coredns: the image's entrypoint /coredns (the Deployment gives only args);
#   pause: /pause, the entrypoint the runtime starts;
#   storage-provisioner: /storage-provisioner (minikube's addon manifest `command`).
#
# The check derivation runs nixpkgs' kubeadm offline and fails the build when the names and
# tags it lists differ from the images built here. It is part of this package, so the VM
# cannot be built with images kubeadm would not find.
{
  lib,
  dockerTools,
  runCommand,
  linkFarm,
  buildGoModule,
  kubernetes,
  etcd_3_6,
  coredns,
  minikube,
  iptables,
  conntrack-tools,
  nftables,
  iana-etc,
  project,
}:
let
  wanted = project.controlPlaneImages kubernetes.version;
  byComponent = lib.listToAttrs (map (image: lib.nameValuePair image.component image) wanted);

  path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  # Copies of the given programs under `dir`: the image then holds these files and what they
  # reference in the store, not the whole package they come from.
  programs =
    name: dir: files:
    runCommand "logdemo-${name}-programs" { } ''
      mkdir -p $out${dir}
      ${lib.concatMapStrings (file: "cp ${file} $out${dir}/\n") files}
    '';

  image =
    component:
    {
      contents,
      config,
      version,
    }:
    dockerTools.buildLayeredImage {
      inherit (byComponent.${component}) name tag;
      inherit contents;
      config = {
        Env = [ "PATH=${path}" ];
        # The release of the program inside, which may differ from the tag kubeadm asks for
        # (etcd, coredns: the tag is kubeadm's, the program nixpkgs').
        Labels."org.opencontainers.image.version" = version;
      }
      // config;
    };

  kubeComponent =
    component: extra:
    image component {
      contents = [ (programs component "/usr/local/bin" [ "${kubernetes}/bin/${component}" ]) ] ++ extra;
      config.Entrypoint = [ "/usr/local/bin/${component}" ];
      inherit (kubernetes) version;
    };

  storageProvisionerTag = byComponent.storage-provisioner.tag;

  # Built from the source nixpkgs builds minikube from, as minikube's Makefile does
  # (out/storage-provisioner-%: CGO_ENABLED=0, PROVISIONER_LDFLAGS).
  storage-provisioner = buildGoModule {
    pname = "storage-provisioner";
    inherit (minikube) version src vendorHash;
    subPackages = [ "cmd/storage-provisioner" ];
    env.CGO_ENABLED = 0;
    ldflags = [
      "-s"
      "-w"
      "-X k8s.io/minikube/pkg/storage.version=${storageProvisionerTag}"
    ];
    doCheck = false;
  };

  images = {
    kube-apiserver = kubeComponent "kube-apiserver" [ ];
    kube-controller-manager = kubeComponent "kube-controller-manager" [ ];
    kube-scheduler = kubeComponent "kube-scheduler" [ ];
    # iptables is nixpkgs' nft-backed one, the same package the VM's kubelet uses, so both
    # program the same tables. iana-etc: /etc/protocols and /etc/services for iptables.
    kube-proxy = kubeComponent "kube-proxy" [
      iptables
      conntrack-tools
      nftables
      iana-etc
    ];

    etcd = image "etcd" {
      contents = [
        (programs "etcd" "/usr/local/bin" [
          "${etcd_3_6}/bin/etcd"
          "${etcd_3_6}/bin/etcdctl"
          "${etcd_3_6}/bin/etcdutl"
        ])
      ];
      config.Entrypoint = [ "/usr/local/bin/etcd" ];
      inherit (etcd_3_6) version;
    };

    # Runs as root, as kubeadm's Deployment expects: it adds only NET_BIND_SERVICE for port 53.
    coredns = image "coredns" {
      contents = [ (programs "coredns" "" [ "${coredns}/bin/coredns" ]) ];
      config = {
        Entrypoint = [ "/coredns" ];
        ExposedPorts = {
          "53/tcp" = { };
          "53/udp" = { };
        };
      };
      inherit (coredns) version;
    };

    pause = image "pause" {
      contents = [ (programs "pause" "" [ "${kubernetes.pause}/bin/pause" ]) ];
      config = {
        Entrypoint = [ "/pause" ];
        User = "65535:65535";
      };
      inherit (kubernetes) version;
    };

    storage-provisioner = image "storage-provisioner" {
      contents = [ (programs "storage-provisioner" "" [ "${storage-provisioner}/bin/storage-provisioner" ]) ];
      config.Cmd = [ "/storage-provisioner" ];
      inherit (minikube) version;
    };
  };

  built = map (
    want:
    let
      drv = images.${want.component};
    in
    {
      inherit (want) component containerdRef;
      ref = "${drv.imageName}:${drv.imageTag}";
      path = drv;
    }
  ) wanted;

  # Every image but minikube's own addon is one kubeadm lists.
  kubeadmBuilt = builtins.filter (b: b.component != "storage-provisioner") built;

  # kubeadm's list for the version nixpkgs builds, offline (an explicit version is used as is,
  # cmd/kubeadm/app/util/version.go), against the names and tags of the images built above;
  # and the storage-provisioner tag against minikube's source.
  check =
    runCommand "logdemo-control-plane-check"
      {
        nativeBuildInputs = [ kubernetes ];
        built = lib.concatMapStrings (b: "${b.ref}\n") kubeadmBuilt;
        kubernetesVersion = "v${kubernetes.version}";
        minikubeSrc = minikube.src;
        storageProvisioner = "${images.storage-provisioner.imageName}:${images.storage-provisioner.imageTag}";
        storageProvisionerTag = storageProvisionerTag;
      }
      ''
        export HOME=$TMPDIR
        # The sandbox has no default route: kubeadm then warns and uses its default bind
        # address (cmd/kubeadm/app/util/config, ChooseAPIServerBindAddress); the list is the same.
        kubeadm config images list --kubernetes-version "$kubernetesVersion" | sort > kubeadm-lists
        printf '%s' "$built" | sort > flake-builds
        if ! diff -u kubeadm-lists flake-builds; then
          echo "kubeadm $kubernetesVersion wants the images on the left (-), the flake builds those on the right (+)." >&2
          echo "Set the tags in nix/control-plane.json (kubeadm.<major.minor>) to what kubeadm lists." >&2
          exit 1
        fi
        # minikube runs kubeadm without --kubernetes-version when its own table lacks the
        # release (pkg/minikube/bootstrapper/images/images.go, tagFromKubeadm); kubeadm then
        # falls back to its own version offline, which must be the same release.
        client=$(kubeadm version -o short)
        if [ "$client" != "$kubernetesVersion" ]; then
          echo "nixpkgs' kubeadm calls itself $client, not $kubernetesVersion: minikube would ask it for another release's images." >&2
          exit 1
        fi
        # For a release in its own table minikube takes the tags from there, not from
        # kubeadm, and writes that pause tag into containerd's configuration: it must name
        # the same images.
        table=$minikubeSrc/pkg/minikube/constants/constants_kubeadm_images.go
        if [ ! -f "$table" ]; then
          echo "minikube's source has no $table any more: read where it takes its image tags from." >&2
          exit 1
        fi
        awk -v entry="\"$kubernetesVersion\": {" \
          'index($0, entry) { inside = 1; next } inside && /}/ { exit } inside { gsub(/[",:]/, ""); print $1, $2 }' \
          "$table" > minikube-table
        while read -r image tag; do
          if ! grep -qx "registry.k8s.io/$image:$tag" flake-builds; then
            echo "minikube's table gives $kubernetesVersion registry.k8s.io/$image:$tag, which the flake does not build." >&2
            exit 1
          fi
        done < minikube-table
        if ! grep -qx "STORAGE_PROVISIONER_TAG ?= $storageProvisionerTag" "$minikubeSrc/Makefile"; then
          echo "minikube's Makefile builds another storage-provisioner tag than $storageProvisionerTag:" >&2
          grep -n "STORAGE_PROVISIONER_TAG ?=" "$minikubeSrc/Makefile" >&2
          echo "Set storageProvisioner in nix/control-plane.json to that tag." >&2
          exit 1
        fi
        if [ "$storageProvisioner" != "gcr.io/k8s-minikube/storage-provisioner:$storageProvisionerTag" ] ||
          ! grep -q '"k8s-minikube/storage-provisioner:%s"' "$minikubeSrc/pkg/minikube/assets/addons.go"; then
          echo "minikube's storage-provisioner addon runs another image than $storageProvisioner" >&2
          exit 1
        fi
        {
          cat kubeadm-lists
          echo "$storageProvisioner"
        } > $out
      '';
in
(linkFarm "logdemo-control-plane-images" (
  map (b: {
    name = "${lib.replaceStrings [ "/" ":" ] [ "_" "_" ] b.ref}.tar.gz";
    inherit (b) path;
  }) built
  ++ [
    {
      name = "kubeadm-check";
      path = check;
    }
  ]
)).overrideAttrs
  {
    passthru = {
      # The VM's preload unit loads each archive and checks its name is then in containerd.
      archives = map (b: { inherit (b) containerdRef path; }) built;
      inherit check images storage-provisioner;
    };
  }
