# The facts the packages, the images and the VM share, each read from its one home:
#
#   version   Cargo.toml, [workspace.package] version
#   images    charts/logdemo/values-nix.json: the names and tags the chart runs with the Nix images
#   pins      nix/pins.json: external sources nixpkgs does not carry, and their hashes
#   kubeadm   nix/control-plane.json: the image tags kubeadm and minikube run besides kube-*
#   ports     below: what the VM forwards from the host
#
# Pure Nix on purpose (no nixpkgs, no fetching): the repository's test suite evaluates it with
# `nix-instantiate --eval` on machines without nixpkgs, with the real files and with stubs.
{
  cargoToml,
  valuesNix,
  pins,
  controlPlane,
}:
let
  inherit (builtins)
    attrNames
    attrValues
    concatLists
    concatStringsSep
    elemAt
    foldl'
    genList
    hasAttr
    isAttrs
    isList
    isString
    length
    mapAttrs
    match
    stringLength
    substring
    ;

  fillPrefix = "FILL:";
  isUnfilled = value: isString value && substring 0 (stringLength fillPrefix) value == fillPrefix;

  # The one command that computes every value only the network can give (nix/update-pins.nix).
  updatePins = "nix run .#update-pins";

  # The keys of nix/pins.json that update-pins fills; nothing else may ever be left to fill.
  networkPins = [
    "hyperdx.yarnHash"
    "mongodb.digest"
    "mongodb.hash"
  ];

  # A value from nix/pins.json, or an error that names the key and the command computing it.
  pin =
    key: value:
    if isUnfilled value then
      throw "nix/pins.json: ${key} is not computed yet. Run once, from the repository root, on a machine with network: ${updatePins}"
    else
      value;

  # Every key of nix/pins.json still waiting for a value, as dotted paths.
  unfilledKeys =
    prefix: value:
    if isAttrs value then
      concatLists (map (name: unfilledKeys (prefix ++ [ name ]) value.${name}) (attrNames value))
    else if isList value then
      concatLists (genList (i: unfilledKeys (prefix ++ [ (toString i) ]) (elemAt value i)) (length value))
    else if isUnfilled value then
      [ (concatStringsSep "." prefix) ]
    else
      [ ];

  version = cargoToml.workspace.package.version;

  # How containerd names an image reference: a bare name lives on docker.io, a one-part name
  # under library/. The preload unit compares against these names.
  containerdName =
    name:
    let
      first = elemAt (builtins.split "/" name) 0;
      hasRegistry = match ".*[.:].*" first != null || first == "localhost";
      parts = length (builtins.filter isString (builtins.split "/" name));
    in
    if hasRegistry then
      name
    else if parts == 1 then
      "docker.io/library/${name}"
    else
      "docker.io/${name}";

  imageRef = name: tag: {
    inherit name tag;
    ref = "${name}:${tag}";
    containerdRef = "${containerdName name}:${tag}";
  };

  # Where each component's image sits in values-nix.json (docs/interfaces.md, Images).
  componentValuePaths = {
    emitter = [ "emitter" ];
    fluent-bit = [ "fluent-bit" ];
    # One image for the server, the schema Job, fluent-bit's wait and the tests.
    clickhouse = [
      "global"
      "clickhouse"
    ];
    hyperdx = [ "hyperdx" ];
    mongodb = [
      "hyperdx"
      "mongodb"
    ];
  };

  valuesError = msg: throw "charts/logdemo/values-nix.json: ${msg} (see docs/interfaces.md, Images)";

  chartImage =
    component: path:
    let
      where = concatStringsSep "." (path ++ [ "image" ]);
      node = foldl' (
        set: key:
        if isAttrs set && hasAttr key set then set.${key} else valuesError "${where} is missing"
      ) valuesNix path;
      image = node.image or (valuesError "${where} is missing");
      expectedName = "logdemo/${component}";
    in
    if image.repository or null != expectedName then
      valuesError "${where}.repository is ${toString (image.repository or "missing")}, expected ${expectedName}"
    else if image.tag or null != version then
      valuesError "${where}.tag is ${toString (image.tag or "missing")}, expected the workspace version ${version} from Cargo.toml"
    else
      imageRef image.repository image.tag;

  images =
    if valuesNix.global.imagePullPolicy or null != "Never" then
      valuesError "global.imagePullPolicy must be Never, so no Nix-built image is ever pulled"
    else
      mapAttrs chartImage componentValuePaths;

  # The control-plane images, named and tagged as kubeadm (cmd/kubeadm/app/images/images.go,
  # GetControlPlaneImages: kube-* at the Kubernetes version, coredns/coredns, pause, etcd, all
  # under registry.k8s.io) and minikube (pkg/minikube/bootstrapper/images/images.go,
  # storageProvisioner) expect them for `kubernetesVersion`, the version nixpkgs builds.
  kubernetesRegistry = "registry.k8s.io";
  controlPlaneImages =
    kubernetesVersion:
    let
      parts = match "([0-9]+)\\.([0-9]+)\\.[0-9]+.*" kubernetesVersion;
      minor =
        if parts == null then
          throw "Kubernetes version '${kubernetesVersion}' is not major.minor.patch"
        else
          "${elemAt parts 0}.${elemAt parts 1}";
      tags =
        controlPlane.kubeadm.${minor}
          or (throw "nixpkgs builds Kubernetes ${kubernetesVersion}, and nix/control-plane.json has no kubeadm image tags for ${minor}. Add them: `kubeadm config images list --kubernetes-version v${kubernetesVersion}` prints them (the control-plane-check build runs it and shows the difference).");
      # kubeadm's KubernetesVersionToImageTag: anything but [-a-zA-Z0-9_.] becomes _.
      kubeTag = "v" + concatStringsSep "" (
        map (part: if isString part then part else "_") (builtins.split "[^-a-zA-Z0-9_.]" kubernetesVersion)
      );
      image = component: name: tag: imageRef name tag // { inherit component; };
      kube = component: image component "${kubernetesRegistry}/${component}" kubeTag;
    in
    [
      (kube "kube-apiserver")
      (kube "kube-controller-manager")
      (kube "kube-scheduler")
      (kube "kube-proxy")
      (image "coredns" "${kubernetesRegistry}/coredns/coredns" tags.coredns)
      (image "pause" "${kubernetesRegistry}/pause" tags.pause)
      (image "etcd" "${kubernetesRegistry}/etcd" tags.etcd)
      (image "storage-provisioner" "gcr.io/k8s-minikube/storage-provisioner" controlPlane.storageProvisioner)
    ];

  # The source fluent-bit is built from: upstream by default (nix/pins.json), or the fork
  # through fluentBitFork, with the values its user gives.
  sourcePin =
    what: source:
    let
      bad =
        if match "[0-9a-f]{40}" (source.rev or "") == null then
          "rev must be a full commit id (40 hex digits), not '${toString (source.rev or "")}'"
        else if match "sha256-[A-Za-z0-9+/]{43}=" (source.hash or "") == null then
          "hash must be an SRI sha256 (sha256-...=), not '${toString (source.hash or "")}'"
        else if match "[0-9]+\\.[0-9]+\\.[0-9]+.*" (source.version or "") == null then
          "version must be the release it builds (major.minor.patch), not '${toString (source.version or "")}'"
        else
          null;
    in
    if bad == null then
      { inherit (source) owner repo rev hash version; }
    else
      throw "${what}: ${bad}";

  fluentBit = sourcePin "nix/pins.json fluentBit" pins.fluentBit;

  # The fork github:randomizedcoder/fluent-bit, the one documented override (vm/README.md,
  # "fluent-bit from the fork", has the commands that print rev, version and hash).
  fluentBitFork =
    {
      rev,
      version,
      hash,
    }:
    sourcePin "fluentBitFork" {
      owner = "randomizedcoder";
      repo = "fluent-bit";
      inherit rev version hash;
    };

  # Host port -> VM port. Inside the VM a port-forward unit listens on the VM port and
  # forwards to the chart's Service of the same port.
  ports = {
    hyperdx-ui = {
      host = 3000;
      guest = 3000;
      what = "HyperDX UI (browser)";
    };
    clickhouse-http = {
      host = 8123;
      guest = 8123;
      what = "ClickHouse HTTP";
    };
    clickhouse-native = {
      host = 9000;
      guest = 9000;
      what = "ClickHouse native protocol";
    };
    ssh = {
      host = 2222;
      guest = 22;
      what = "SSH into the VM";
    };
  };
in
{
  inherit
    version
    images
    controlPlaneImages
    fluentBit
    fluentBitFork
    ports
    containerdName
    networkPins
    updatePins
    ;

  # Every image the VM must hold before anything is deployed, for the Kubernetes version
  # nixpkgs builds: the five Nix-built ones and the control plane's.
  preloadImages = kubernetesVersion: attrValues images ++ controlPlaneImages kubernetesVersion;

  # The VM ports that lead into the cluster (the port-forward unit relays each to the
  # Service exposing the same port); SSH ends at the VM itself.
  clusterPorts = map (p: p.guest) (attrValues (removeAttrs ports [ "ssh" ]));

  # microvm.nix's forwardPorts, from the table above. Bound to the host's loopback only:
  # the VM has a demo root password and ClickHouse speaks plain HTTP.
  forwardPorts = map (p: {
    from = "host";
    host.address = "127.0.0.1";
    host.port = p.host;
    guest.port = p.guest;
  }) (attrValues ports);

  clickhouse = {
    inherit (pins.clickhouse) attribute series;
  };

  hyperdx = {
    inherit (pins.hyperdx)
      owner
      repo
      tag
      rev
      version
      ;
    hash = pin "hyperdx.hash" pins.hyperdx.hash;
    missingHashes = pin "hyperdx.missingHashes" pins.hyperdx.missingHashes;
    yarnHash = pin "hyperdx.yarnHash" pins.hyperdx.yarnHash;
  };

  mongodb = {
    inherit (pins.mongodb) imageName tag;
    digest = pin "mongodb.digest" pins.mongodb.digest;
    hash = pin "mongodb.hash" pins.mongodb.hash;
  };

  pinsToFill = unfilledKeys [ ] pins;

  # What is left to fill that update-pins does not fill: always empty, or the flake stops
  # (and the test suite fails) naming the keys.
  pinsNoCommandFills = builtins.filter (key: !(builtins.elem key networkPins)) (unfilledKeys [ ] pins);
}
