# Where the VM keeps minikube's and helm's state: on the persistent /var, so a restarted VM
# finds its cluster again. The environment every unit and the status command run with.
rec {
  dir = "/var/lib/logdemo";
  kubeconfig = "${dir}/kubeconfig";
  environment = {
    HOME = "/root";
    KUBECONFIG = kubeconfig;
    MINIKUBE_HOME = "${dir}/minikube";
    HELM_CACHE_HOME = "${dir}/helm/cache";
    HELM_CONFIG_HOME = "${dir}/helm/config";
    HELM_DATA_HOME = "${dir}/helm/data";
  };
}
