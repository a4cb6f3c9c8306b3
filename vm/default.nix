# The logdemo microVM: NixOS on QEMU running minikube with every image preloaded, then the
# chart deployed and tested, with no network access needed at any point.
#
#   machine.nix   size, disks, console, forwarded ports, login
#   minikube.nix  containerd, the Kubernetes binaries, minikube (driver none)
#   preload.nix   loads every image into containerd before minikube starts
#   deploy.nix    installs and tests the chart, forwards the ports, `logdemo-status`
{
  imports = [
    ./machine.nix
    ./minikube.nix
    ./preload.nix
    ./deploy.nix
  ];
}
