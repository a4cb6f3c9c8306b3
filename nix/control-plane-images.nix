# The images kubeadm and minikube's default addons run, fetched by digest at build time and
# kept under their upstream names, so the VM's container runtime has them before minikube
# starts and never pulls. One docker archive per image, in a directory.
{
  lib,
  dockerTools,
  linkFarm,
  project,
}:
let
  archives = map (image: {
    inherit (image) containerdRef;
    name = "${lib.replaceStrings [ "/" ":" ] [ "_" "_" ] image.ref}.tar";
    path = dockerTools.pullImage {
      imageName = image.name;
      imageDigest = image.digest;
      sha256 = image.hash;
      finalImageName = image.name;
      finalImageTag = image.tag;
      os = "linux";
      arch = "amd64";
    };
  }) project.controlPlaneImages;
in
(linkFarm "logdemo-control-plane-images" (map (a: { inherit (a) name path; }) archives)).overrideAttrs {
  # The VM's preload unit loads each archive and checks its name is then in containerd.
  passthru.archives = map (a: { inherit (a) containerdRef path; }) archives;
}
