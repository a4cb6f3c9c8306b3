# nix/project.nix applied to this repository's own files. The flake and the test suite both
# use this, so they read the same files the same way.
root:
import ./project.nix {
  cargoToml = builtins.fromTOML (builtins.readFile (root + "/Cargo.toml"));
  valuesNix = builtins.fromJSON (builtins.readFile (root + "/charts/logdemo/values-nix.json"));
  pins = builtins.fromJSON (builtins.readFile ./pins.json);
  controlPlane = builtins.fromJSON (builtins.readFile ./control-plane.json);
}
