# Loads every image the cluster runs into containerd's k8s.io namespace (the one kubelet
# uses) before minikube starts: the five logdemo images and the control plane's. Then checks
# that each expected name is there, and fails, naming the missing ones, if one is not: with
# imagePullPolicy Never a missing image would otherwise only show up later as a pod stuck
# in ErrImageNeverPull.
{
  lib,
  pkgs,
  logdemo,
  ...
}:
let
  inherit (logdemo) project;
  logdemoArchives = map (component: {
    inherit (project.images.${component}) containerdRef;
    path = logdemo."${component}-image";
  }) (builtins.attrNames project.images);
  archives = logdemoArchives ++ logdemo.control-plane-images.archives;

  # One "<archive> <name containerd will list>" per line, in /etc so that what the VM
  # preloads can be read there (and by the repository's tests, from this module).
  manifest = "/etc/logdemo/preload-images";
in
{
  environment.etc."logdemo/preload-images".text = lib.concatMapStrings (
    a: "${a.path} ${a.containerdRef}\n"
  ) archives;

  systemd.services.logdemo-preload = {
    description = "Load every logdemo and Kubernetes image into containerd, offline";
    wantedBy = [ "multi-user.target" ];
    requires = [ "containerd.service" ];
    after = [ "containerd.service" ];
    before = [ "minikube.service" ];
    path = [
      pkgs.containerd
      pkgs.gzip
      pkgs.coreutils
      pkgs.gnugrep
    ];
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
      TimeoutStartSec = "30min";
    };
    script = ''
      set -euo pipefail
      images() { ctr --namespace k8s.io images "$@"; }
      scratch=$(mktemp -d /var/tmp/logdemo-preload.XXXXXX)
      trap 'rm -rf "$scratch"' EXIT
      # The names containerd holds, listed once per pass (grep -q on a live pipe could cut
      # the listing short).
      images ls --quiet > "$scratch/present"

      while read -r archive name; do
        if grep -Fxq "$name" "$scratch/present"; then
          echo "present: $name"
          continue
        fi
        echo "loading: $name from $archive"
        # Layered images are gzip-compressed docker archives; pulled ones are plain tar.
        gzip --decompress --stdout --force "$archive" > "$scratch/image.tar"
        images import "$scratch/image.tar" </dev/null
      done < ${manifest}

      images ls --quiet > "$scratch/present"
      missing=0
      while read -r archive name; do
        if ! grep -Fxq "$name" "$scratch/present"; then
          echo "MISSING after loading $archive: $name" >&2
          missing=$((missing + 1))
        fi
      done < ${manifest}
      if [ "$missing" -ne 0 ]; then
        echo "$missing image(s) missing from containerd; nothing will be deployed." >&2
        exit 1
      fi
      echo "all $(wc -l < ${manifest}) images are in containerd"
    '';
  };
}
