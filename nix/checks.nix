# `nix flake check`: the repository's test suites that can run inside the build sandbox (no
# network, no cluster), run as `scripts/test` runs them, on a copy of the repository.
# The suites that need packages nixpkgs does not carry (chdb from PyPI, the offline
# Kubernetes schemas of kubernetes-validate) run through scripts/test only.
{
  runCommand,
  rustPlatform,
  rustfmt,
  clippy,
  nix,
  kubernetes-helm,
  python3,
  git,
  emitter,
  src,
}:
let
  runSuite = name: ''
    runHook preBuild
    LOGDEMO_ROOT=$PWD bash scripts/suites/${name}.sh
    runHook postBuild
  '';
in
{
  # The static build, with the workspace's tests run inside it.
  inherit emitter;

  # cargo fmt, clippy and test, offline against the dependencies vendored from Cargo.lock.
  suite-rust = rustPlatform.buildRustPackage {
    pname = "logdemo-suite-rust";
    inherit (emitter) version cargoDeps;
    inherit src;
    nativeBuildInputs = [
      rustfmt
      clippy
    ];
    buildPhase = runSuite "10-rust";
    doCheck = false;
    installPhase = "touch $out";
  };

  # Every .nix file parses, the pure Nix evaluates, the images and the VM's preload list are
  # what the chart, kubeadm and minikube run, the versions agree with the chart.
  suite-nix =
    runCommand "logdemo-suite-nix"
      {
        nativeBuildInputs = [
          nix
          git
          kubernetes-helm
        ];
        # The suite runs pytest from the Python that scripts/test would set up.
        LOGDEMO_VENV = python3.withPackages (ps: [
          ps.pyyaml
          ps.pytest
        ]);
      }
      ''
        export HOME=$TMPDIR NIX_STATE_DIR=$TMPDIR/nix-state NIX_REMOTE=local?root=$TMPDIR/nix-root
        cp -r ${src} repo && chmod -R u+w repo && cd repo
        # The suite lists the tracked .nix files.
        git init -q && git add -A
        ${runSuite "40-nix"}
        touch $out
      '';
}
