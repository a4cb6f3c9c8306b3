{
  description = "logdemo: an OpenTelemetry logs pipeline on ClickHouse, its OCI images, and an offline minikube microVM";

  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-unstable";
    microvm = {
      url = "github:microvm-nix/microvm.nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      microvm,
    }:
    let
      system = "x86_64-linux";

      # Which fluent-bit the images run: "fork" (github:randomizedcoder/fluent-bit, the design's
      # choice) or "upstream" (github:fluent/fluent-bit). Both are pinned in nix/pins.json.
      fluentBitSource = "fork";

      pkgs = nixpkgs.legacyPackages.${system};
      inherit (pkgs) lib;

      project = import ./nix/read-project.nix ./.;

      # Files read from the chart: the images carry them, so the chart and the images agree.
      chartDir = ./charts/logdemo;
      fluentBitFiles = ./charts/logdemo/charts/fluent-bit/files;

      callPackage = lib.callPackageWith (pkgs // { inherit project; });

      packages = rec {
        emitter = pkgs.pkgsStatic.callPackage ./nix/emitter.nix { inherit project; };
        emitter-image = callPackage ./nix/emitter-image.nix { inherit emitter; };

        fluent-bit = callPackage ./nix/fluent-bit.nix { source = fluentBitSource; };
        fluent-bit-upstream = callPackage ./nix/fluent-bit.nix { source = "upstream"; };
        fluent-bit-image = callPackage ./nix/fluent-bit-image.nix {
          inherit fluent-bit fluentBitFiles;
        };

        clickhouse = callPackage ./nix/clickhouse.nix { };
        clickhouse-image = callPackage ./nix/clickhouse-image.nix { inherit clickhouse; };

        hyperdx = callPackage ./nix/hyperdx.nix { };
        hyperdx-image = callPackage ./nix/hyperdx-image.nix { inherit hyperdx; };

        mongodb-image = callPackage ./nix/mongodb-image.nix { };

        control-plane-images = callPackage ./nix/control-plane-images.nix { };

        microvm = self.nixosConfigurations.logdemo-vm.config.microvm.declaredRunner;

        default = microvm;
      };
    in
    {
      packages.${system} = packages;

      nixosConfigurations.logdemo-vm = nixpkgs.lib.nixosSystem {
        inherit system;
        specialArgs = {
          logdemo = {
            inherit project chartDir;
            inherit (packages)
              emitter-image
              fluent-bit-image
              clickhouse-image
              hyperdx-image
              mongodb-image
              control-plane-images
              ;
          };
        };
        modules = [
          microvm.nixosModules.microvm
          ./vm
        ];
      };

      devShells.${system}.default = callPackage ./nix/devshell.nix { };

      checks.${system} = callPackage ./nix/checks.nix {
        inherit (packages) emitter;
        src = ./.;
      };

      formatter.${system} = pkgs.nixfmt;

      # The values of nix/pins.json that are still to be filled in: `nix eval .#lib.pinsToFill`.
      lib.pinsToFill = project.pinsToFill;
    };
}
