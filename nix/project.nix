# The facts the packages, the images and the VM share, each read from its one home:
#
#   version   Cargo.toml, [workspace.package] version
#   images    charts/logdemo/values-nix.json: the names and tags the chart runs with the Nix images
#   pins      nix/pins.json: external sources, image digests and hashes
#   ports     below: what the VM forwards from the host
#
# Pure Nix on purpose (no nixpkgs, no fetching): the repository's test suite evaluates it with
# `nix-instantiate --eval` on machines without nixpkgs, with the real files and with stubs.
{
  cargoToml,
  valuesNix,
  pins,
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

  # A value from nix/pins.json, or an error that names the key and the command printing it.
  pin =
    key: value:
    if isUnfilled value then
      throw "nix/pins.json: ${key} is not filled in yet. Run:${
        substring (stringLength fillPrefix) (stringLength value) value
      } and write the result there."
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

  # The etcd, pause and coredns tags in controlPlane.images are the ones kubeadm of
  # kubernetes.series lists; any other series would make kubeadm want images the VM lacks.
  kubernetesVersion =
    let
      inherit (pins.kubernetes) series;
      value = pin "kubernetes.version" pins.kubernetes.version;
    in
    if substring 0 (stringLength series + 1) value == "${series}." then
      value
    else
      throw "nix/pins.json: kubernetes.version ${value} is not in kubernetes.series ${series}, the series the etcd, pause and coredns tags in controlPlane.images are for. Set kubernetes.series to ${value}'s major.minor and those tags to what `kubeadm config images list --kubernetes-version v${value}` prints.";

  # "kubernetes" as a tag means: the pinned Kubernetes version (the kube-* images follow it).
  controlPlaneImages = genList (
    i:
    let
      entry = elemAt pins.controlPlane.images i;
      key = "controlPlane.images.${toString i}";
      tag = if entry.tag == "kubernetes" then "v${kubernetesVersion}" else pin "${key}.tag" entry.tag;
    in
    imageRef entry.name tag
    // {
      digest = pin "${key}.digest" entry.digest;
      hash = pin "${key}.hash" entry.hash;
    }
  ) (length pins.controlPlane.images);

  fluentBitSource =
    choice:
    let
      source =
        pins.fluentBit.${choice}
          or (throw "fluent-bit source '${choice}' is not in nix/pins.json; choose one of: ${concatStringsSep ", " (attrNames pins.fluentBit)}");
      key = "fluentBit.${choice}";
    in
    {
      inherit (source) owner repo;
      rev = pin "${key}.rev" source.rev;
      version = pin "${key}.version" source.version;
      hash = pin "${key}.hash" source.hash;
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
    kubernetesVersion
    controlPlaneImages
    fluentBitSource
    ports
    containerdName
    ;

  # Every image the VM must hold before anything is deployed: the five Nix-built ones and the
  # control plane's.
  preloadImages = attrValues images ++ controlPlaneImages;

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
}
