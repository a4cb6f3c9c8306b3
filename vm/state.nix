# Where the VM keeps minikube's state: on the persistent /var, so a restarted VM finds its
# cluster again. Read by the minikube, deploy and status parts.
rec {
  dir = "/var/lib/logdemo";
  minikubeHome = "${dir}/minikube";
  kubeconfig = "${dir}/kubeconfig";
  helmHome = "${dir}/helm";
}
