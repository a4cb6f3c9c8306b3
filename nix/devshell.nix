# Every tool the repository's test command (scripts/test) and its suites use, plus what the
# README's commands use: kubectl, minikube, helm, helmfile.
{
  mkShell,
  cargo,
  rustc,
  rustfmt,
  clippy,
  go,
  kubernetes-helm,
  kubernetes-helmPlugins,
  wrapHelm,
  helmfile,
  nodejs,
  kubectl,
  minikube,
  luajit,
  python3,
  nix,
  jq,
}:
let
  helm = wrapHelm kubernetes-helm { plugins = [ kubernetes-helmPlugins.helm-unittest ]; };
  # chdb is not packaged in nixpkgs; scripts/install-tools puts it (pinned, with the other
  # Python packages of scripts/requirements.txt) in a virtualenv built from this Python.
  python = python3.withPackages (ps: [
    ps.pyyaml
    ps.pytest
    ps.pip
  ]);
in
mkShell {
  packages = [
    cargo
    rustc
    rustfmt
    clippy
    go
    helm
    helmfile
    nodejs
    kubectl
    minikube
    (luajit.withPackages (ps: [ ps.lua-cjson ]))
    python
    nix
    jq
  ];
}
