# The ClickHouse server from nixpkgs, held to the release series the design pins
# (nix/pins.json clickhouse.series: the 25.8 LTS line, the engine the tests' chdb embeds, so the
# chart's SQL is tested on the version it runs). nixpkgs moves its LTS attribute
# forward over time, so a nixpkgs update that changes the series stops here instead of
# shipping a server the rest of the stack was not tested with.
{
  lib,
  pkgs,
  project,
}:
let
  inherit (project.clickhouse) attribute series;
  server = pkgs.${attribute};
  have = lib.versions.majorMinor server.version;
in
if have == series then
  server
else
  throw "nixpkgs' ${attribute} is ClickHouse ${server.version}, not ${series}: lock a nixpkgs revision whose ${attribute} is ${series}.x, or set clickhouse.attribute in nix/pins.json to an attribute that is."
