# logdemo/mongodb: MongoDB is unfree and very large to build, so the upstream image is
# fetched by digest (nix/pins.json) and renamed, so the chart's Nix values name it like the
# other images.
{
  dockerTools,
  project,
}:
dockerTools.pullImage {
  inherit (project.mongodb) imageName;
  imageDigest = project.mongodb.digest;
  sha256 = project.mongodb.hash;
  finalImageName = project.images.mongodb.name;
  finalImageTag = project.images.mongodb.tag;
  os = "linux";
  arch = "amd64";
}
