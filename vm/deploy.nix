# Installs the chart from the store with the Nix image values (imagePullPolicy Never), runs
# `helm test`, forwards the host ports to the chart's Services, and gives the console a
# one-command summary: `logdemo-status`.
{
  lib,
  pkgs,
  logdemo,
  ...
}:
let
  inherit (logdemo) project chartDir;
  state = import ./state.nix;
  release = "logdemo";

  unitEnvironment = state.environment;

  # One VM port per line.
  forwards = lib.concatMapStrings (port: "${toString port}\n") project.clusterPorts;

  status = pkgs.writeShellApplication {
    name = "logdemo-status";
    # kubectl before minikube: nixpkgs' minikube also installs a bin/kubectl, a link to
    # itself that downloads a kubectl when run (vm/minikube.nix).
    runtimeInputs = [
      pkgs.kubectl
      pkgs.systemd
      pkgs.minikube
      pkgs.kubernetes-helm
    ];
    runtimeEnv = unitEnvironment;
    text = ''
      echo "== units (journalctl -u <unit> for the details)"
      for unit in containerd logdemo-preload minikube logdemo-deploy logdemo-port-forward; do
        # is-active prints the state and fails unless it is "active"; the state is the point.
        printf '  %-22s %s\n' "$unit" "$(systemctl is-active "$unit")"
      done
      echo
      echo "== minikube"
      minikube status || echo "minikube is not running (yet): journalctl -u minikube"
      echo
      echo "== pods"
      kubectl get pods --all-namespaces -o wide || echo "no API server (yet)"
      echo
      echo "== helm release ${release}"
      if helm status ${release} >/dev/null 2>&1; then
        helm status ${release} --show-desc
        echo
        echo "== how to log in (the chart's notes)"
        helm get notes ${release}
      else
        echo "not installed (yet): journalctl -u logdemo-deploy"
      fi
      echo
      echo "== from the host"
      ${lib.concatMapStrings (p: ''
        echo "  localhost:${toString p.host}  ${p.what}"
      '') (lib.attrValues project.ports)}
    '';
  };
in
{
  environment.systemPackages = [ status ];

  systemd.services.logdemo-deploy = {
    description = "Install the logdemo chart with the Nix-built images and run helm test";
    wantedBy = [ "multi-user.target" ];
    requires = [
      "minikube.service"
      "logdemo-preload.service"
    ];
    after = [
      "minikube.service"
      "logdemo-preload.service"
    ];
    path = [
      pkgs.kubectl
      pkgs.kubernetes-helm
      pkgs.coreutils
    ];
    environment = unitEnvironment;
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
      TimeoutStartSec = "45min";
    };
    script = ''
      set -euo pipefail
      kubectl wait --for=condition=Ready node --all --timeout=10m
      echo "installing ${chartDir} with values-nix.json (imagePullPolicy Never)"
      helm upgrade --install ${release} ${chartDir} \
        --values ${chartDir}/values-nix.json \
        --wait --timeout 20m
      echo "running helm test ${release}"
      helm test ${release} --logs --timeout 20m
      echo "logdemo is deployed and its helm tests passed; logdemo-status shows how to log in"
    '';
  };

  # Listens on the VM ports the host forwards to and relays to the chart's Service exposing
  # the same port (found by port, so it does not depend on Service names).
  systemd.services.logdemo-port-forward = {
    description = "Forward the VM's HyperDX and ClickHouse ports to the cluster's Services";
    wantedBy = [ "multi-user.target" ];
    after = [ "logdemo-deploy.service" ];
    path = [
      pkgs.kubectl
      pkgs.gawk
      pkgs.coreutils
    ];
    environment = unitEnvironment;
    serviceConfig = {
      Restart = "always";
      RestartSec = "10s";
    };
    script = ''
      set -euo pipefail
      while read -r port; do
        [ -n "$port" ] || continue
        service=$(kubectl get services --namespace default --no-headers \
          -o custom-columns=NAME:.metadata.name,PORTS:.spec.ports[*].port |
          awk -v port="$port" '{ n = split($2, ps, ","); for (i = 1; i <= n; i++) if (ps[i] == port && found == "") found = $1 } END { print found }')
        if [ -z "$service" ]; then
          echo "no Service exposes port $port yet; retrying" >&2
          exit 1
        fi
        echo "VM port $port -> service/$service:$port"
        kubectl port-forward --namespace default --address 0.0.0.0 "service/$service" "$port:$port" </dev/null &
      done <<'PORTS'
      ${forwards}PORTS
      # One forward ending (a pod restarted) restarts them all.
      wait -n
      exit 1
    '';
  };
}
