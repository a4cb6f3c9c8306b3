# logdemo/mongodb: the upstream image HyperDX 2.36 runs (vm/README.md says why it is not built
# from nixpkgs), pulled by digest under its own name, then renamed so the chart's Nix values
# name it like the other images. The pull keeps the upstream name because the archive's hash
# covers the name inside it: this way `nix run .#update-pins` computes a hash that does not
# change when the workspace version does.
{
  dockerTools,
  runCommand,
  skopeo,
  project,
}:
let
  inherit (project.mongodb) imageName tag;
  upstream = dockerTools.pullImage {
    inherit imageName;
    imageDigest = project.mongodb.digest;
    sha256 = project.mongodb.hash;
    # What nix-prefetch-docker names the archive it hashes (update-pins passes the same).
    finalImageName = imageName;
    finalImageTag = tag;
    os = "linux";
    arch = "amd64";
  };
  image = project.images.mongodb;
in
runCommand "logdemo-mongodb-${image.tag}.tar"
  {
    nativeBuildInputs = [ skopeo ];
    inherit upstream;
    renamed = "${image.name}:${image.tag}";
  }
  ''
    export HOME=$TMPDIR
    # Local archive to local archive: the layers and the configuration are copied as they are.
    skopeo --insecure-policy --tmpdir "$TMPDIR" copy "docker-archive:$upstream" "docker-archive:$out:$renamed"
  ''
