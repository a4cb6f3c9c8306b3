# The few nixpkgs lib functions the flake's files call, written with builtins, so the test
# suite can evaluate those files where nixpkgs is not available. Each behaves as its nixpkgs
# namesake for the arguments the files pass.
let
  concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
in
{
  inherit concatMapStrings;
  inherit (builtins) concatStringsSep replaceStrings listToAttrs attrNames attrValues elem filter;
  nameValuePair = name: value: { inherit name value; };
  escapeShellArg = arg: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
  sort = builtins.sort;
  lessThan = a: b: a < b;
  hiPrio = drv: drv // { meta = (drv.meta or { }) // { priority = -10; }; };
  findFirst =
    pred: default: list:
    let
      found = builtins.filter pred list;
    in
    if found == [ ] then default else builtins.head found;
  getExe = drv: "${drv}/bin/${drv.name}";
}
