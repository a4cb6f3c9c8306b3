# fluent-bit built from source: nixpkgs' derivation (its dependencies and CMake flags), with
# the source swapped for the pinned revision of the chosen repository (nix/pins.json).
{
  fluent-bit,
  fetchFromGitHub,
  project,
  source,
}:
let
  pinned = project.fluentBitSource source;
in
fluent-bit.overrideAttrs (_old: {
  inherit (pinned) version;
  src = fetchFromGitHub {
    inherit (pinned)
      owner
      repo
      rev
      hash
      ;
  };
})
