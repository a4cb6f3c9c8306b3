# `nix run .#update-pins`: computes every value of nix/pins.json that only the network can give
# (project.networkPins), writes them into the repository's nix/pins.json, then builds what
# each one is the hash of, so a wrong value fails here and not in the middle of
# `nix build .#microvm`. Run it from the repository root, once, on a machine with network.
#
#   hyperdx.yarnHash          yarn-berry-fetcher prefetch over HyperDX's yarn.lock and
#                             nix/hyperdx-missing-hashes.json: the hash fetchYarnBerryDeps checks
#   mongodb.digest, .hash     nix-prefetch-docker for the tag, linux/amd64: the digest and the
#                             hash dockerTools.pullImage checks
{
  lib,
  writeShellApplication,
  fetchFromGitHub,
  yarn-berry_4,
  nix-prefetch-docker,
  jq,
  nix,
  coreutils,
  project,
}:
let
  # The HyperDX source is pinned by hash already: only its dependencies need the network.
  hyperdxSrc = fetchFromGitHub {
    inherit (project.hyperdx)
      owner
      repo
      rev
      hash
      ;
  };
  missingHashes = ./. + "/${project.hyperdx.missingHashes}";
  inherit (project.mongodb) imageName tag;
in
writeShellApplication {
  name = "update-pins";
  runtimeInputs = [
    yarn-berry_4.yarn-berry-fetcher
    nix-prefetch-docker
    jq
    nix
    coreutils
  ];
  text = ''
    pins=nix/pins.json
    if [ ! -f flake.nix ] || [ ! -f "$pins" ]; then
      echo "update-pins: run it from the repository root (where flake.nix and $pins are)" >&2
      exit 1
    fi
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT

    sri() { # a hash as SRI sha256, whatever form the tool printed
      case "$1" in
        sha256-*) echo "$1" ;;
        *) nix --extra-experimental-features nix-command hash to-sri --type sha256 "$1" ;;
      esac
    }

    echo "hyperdx.yarnHash: fetching every package of HyperDX ${project.hyperdx.version}'s yarn.lock" >&2
    yarn_hash=$(sri "$(yarn-berry-fetcher prefetch ${hyperdxSrc}/yarn.lock ${missingHashes} | tail -n 1)")

    echo "mongodb.digest, mongodb.hash: ${imageName}:${tag} for linux/amd64" >&2
    # The archive's hash covers the name inside it: the one nix/mongodb-image.nix pulls under.
    nix-prefetch-docker --json --image-name ${imageName} --image-tag ${tag} \
      --final-image-name ${imageName} --final-image-tag ${tag} --os linux --arch amd64 \
      > "$scratch/mongo.json"
    mongo_digest=$(jq -er .imageDigest "$scratch/mongo.json")
    mongo_hash=$(sri "$(jq -er '.hash // .sha256' "$scratch/mongo.json")")

    # One entry per key of project.networkPins: the check below refuses to write anything else.
    jq -n \
      --arg yarn "$yarn_hash" --arg digest "$mongo_digest" --arg hash "$mongo_hash" \
      '{ "hyperdx.yarnHash": $yarn, "mongodb.digest": $digest, "mongodb.hash": $hash }' \
      > "$scratch/values.json"
    computed=$(jq -r 'keys | sort | join(" ")' "$scratch/values.json")
    if [ "$computed" != ${lib.escapeShellArg (lib.concatStringsSep " " (lib.sort lib.lessThan project.networkPins))} ]; then
      echo "update-pins computes [$computed], but the flake expects it to fill [${lib.concatStringsSep " " project.networkPins}]" >&2
      exit 1
    fi

    jq --slurpfile values "$scratch/values.json" \
      'reduce ($values[0] | to_entries[]) as $e (.; setpath($e.key | split("."); $e.value))' \
      "$pins" > "$scratch/pins.json"
    cp "$scratch/pins.json" "$pins"
    jq -r 'to_entries[] | "  \(.key) = \(.value)"' "$scratch/values.json" >&2

    echo "checking each value against what it is the hash of" >&2
    nix --extra-experimental-features 'nix-command flakes' build --no-link \
      .#hyperdx.offlineCache .#mongodb-image
    echo "nix/pins.json is complete; next: nix build .#microvm" >&2
  '';
}
