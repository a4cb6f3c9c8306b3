# `nix flake check`: the parts of the repository's test suites that run inside the build
# sandbox (no network, no cluster). The emitter's own tests run in its build; the Nix suite
# runs as is; formatting and lints run on the Rust sources.
{
  runCommand,
  emitter,
  src,
  cargo,
  rustfmt,
  clippy,
  rustPlatform,
  nix,
  python3,
  git,
}:
let
  repo = src;
  python = python3.withPackages (ps: [ ps.pyyaml ]);
in
{
  inherit emitter;

  rust-fmt = runCommand "logdemo-rust-fmt" { nativeBuildInputs = [ cargo rustfmt ]; } ''
    cd ${repo}
    cargo fmt --all --check
    touch $out
  '';

  rust-clippy = rustPlatform.buildRustPackage {
    pname = "logdemo-clippy";
    inherit (emitter) version src cargoDeps;
    nativeBuildInputs = [ clippy ];
    buildPhase = "cargo clippy --offline --workspace --all-targets -- -D warnings";
    doCheck = false;
    installPhase = "touch $out";
  };

  # scripts/suites/40-nix.sh: every .nix file parses, the pure Nix evaluates, versions agree.
  nix-suite = runCommand "logdemo-nix-suite" { nativeBuildInputs = [ nix python git ]; } ''
    export NIX_STATE_DIR=$TMPDIR/nix-state NIX_REMOTE=local?root=$TMPDIR/nix-root
    cp -r ${repo} repo && chmod -R u+w repo && cd repo
    git init -q && git add -A
    LOGDEMO_ROOT=$PWD bash scripts/suites/40-nix.sh
    touch $out
  '';
}
