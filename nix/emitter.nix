# The emitter, statically linked: called from pkgsStatic (musl), so the binary needs nothing
# at run time and the image can hold it alone. Its unit and integration tests run in the build.
{
  lib,
  rustPlatform,
  project,
}:
let
  root = ../.;
in
rustPlatform.buildRustPackage {
  pname = "emitter";
  inherit (project) version;

  # Only what cargo reads: editing the chart or the VM does not rebuild the emitter.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (root + "/Cargo.toml")
      (root + "/Cargo.lock")
      (root + "/emitter-core")
      (root + "/emitter-cli")
    ];
  };

  cargoLock.lockFile = root + "/Cargo.lock";

  cargoBuildFlags = [
    "--package"
    "emitter-cli"
  ];
  cargoTestFlags = [ "--workspace" ];

  meta = {
    description = "logdemo emitter: logs one JSON line per tick";
    mainProgram = "emitter";
    license = lib.licenses.asl20;
  };
}
