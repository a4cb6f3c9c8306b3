# `nix flake check`: the parts of the repository's test suites that run inside the build
# sandbox (no network, no cluster). The emitter's own tests run in its build; the Nix suite
# runs as is; formatting and lints run on the Rust sources.
{
  runCommand,
  emitter,
  src,
  rustfmt,
  clippy,
  rustPlatform,
  nix,
  python3,
  git,
}:
let
  python = python3.withPackages (ps: [ ps.pyyaml ]);

  # A cargo command over the emitter's sources with its vendored dependencies (offline).
  cargoCheck =
    name: tools: command:
    rustPlatform.buildRustPackage {
      pname = "logdemo-rust-${name}";
      inherit (emitter) version src cargoDeps;
      nativeBuildInputs = tools;
      buildPhase = command;
      doCheck = false;
      installPhase = "touch $out";
    };
in
{
  inherit emitter;

  rust-fmt = cargoCheck "fmt" [ rustfmt ] "cargo fmt --all --check";
  rust-clippy = cargoCheck "clippy" [ clippy ] "cargo clippy --offline --workspace --all-targets -- -D warnings";

  # scripts/suites/40-nix.sh: every .nix file parses, the pure Nix evaluates, versions agree.
  nix-suite = runCommand "logdemo-nix-suite" { nativeBuildInputs = [ nix python git ]; } ''
    export NIX_STATE_DIR=$TMPDIR/nix-state NIX_REMOTE=local?root=$TMPDIR/nix-root
    cp -r ${src} repo && chmod -R u+w repo && cd repo
    git init -q && git add -A
    LOGDEMO_ROOT=$PWD bash scripts/suites/40-nix.sh
    touch $out
  '';
}
