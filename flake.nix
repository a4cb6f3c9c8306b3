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

      pkgs = nixpkgs.legacyPackages.${system};
      inherit (pkgs) lib;

      project = import ./nix/read-project.nix ./.;

      # Which fluent-bit the images run: upstream fluent/fluent-bit v5.1.1, pinned in
      # nix/pins.json. The one override, for the fork github:randomizedcoder/fluent-bit
      # (vm/README.md, "fluent-bit from the fork", prints the three values):
      #   fluentBitSource = project.fluentBitFork { rev = "<rev>"; version = "<version>"; hash = "<hash>"; };
      fluentBitSource = project.fluentBit;

      # Files read from the chart: the images carry them, so the chart and the images agree.
      chartDir = ./charts/logdemo;
      fluentBitFiles = ./charts/logdemo/charts/fluent-bit/files;

      callPackage = lib.callPackageWith (pkgs // { inherit project; });

      packages = rec {
        emitter = pkgs.pkgsStatic.callPackage ./nix/emitter.nix { inherit project; };
        emitter-image = callPackage ./nix/emitter-image.nix { inherit emitter; };

        fluent-bit = callPackage ./nix/fluent-bit.nix { source = fluentBitSource; };
        fluent-bit-image = callPackage ./nix/fluent-bit-image.nix {
          inherit fluent-bit fluentBitFiles;
        };

        clickhouse = callPackage ./nix/clickhouse.nix { };
        clickhouse-image = callPackage ./nix/clickhouse-image.nix { inherit clickhouse; };

        hyperdx = callPackage ./nix/hyperdx.nix { };
        hyperdx-image = callPackage ./nix/hyperdx-image.nix { inherit hyperdx; };

        mongodb-image = callPackage ./nix/mongodb-image.nix { };

        control-plane-images = callPackage ./nix/control-plane-images.nix { };

        # Stops with one message naming the one command while a value only the network can
        # compute is missing, and refuses any other value left to fill.
        microvm =
          if project.pinsNoCommandFills != [ ] then
            throw "nix/pins.json: ${builtins.concatStringsSep ", " project.pinsNoCommandFills} must be filled in, and `${project.updatePins}` does not compute them: only ${builtins.concatStringsSep ", " project.networkPins} may be left to it."
          else if project.pinsToFill != [ ] then
            throw "nix/pins.json: ${builtins.concatStringsSep ", " project.pinsToFill} not computed yet. Run once, from the repository root, on a machine with network: ${project.updatePins}"
          else
            self.nixosConfigurations.logdemo-vm.config.microvm.declaredRunner;

        default = microvm;
      };
    in
    {
      packages.${system} = packages;

      # `nix run .#update-pins`: computes every value of nix/pins.json only the network can give.
      apps.${system}.update-pins = {
        type = "app";
        program = lib.getExe (callPackage ./nix/update-pins.nix { });
      };

      nixosConfigurations.logdemo-vm = nixpkgs.lib.nixosSystem {
        inherit system;
        specialArgs = {
          logdemo = {
            inherit project chartDir;
            inherit (pkgs) kubernetes kubectl;
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
      } // {
        # kubeadm's image list against the control-plane images the flake builds.
        control-plane = packages.control-plane-images.check;
      };

      formatter.${system} = pkgs.nixfmt;

      # The values of nix/pins.json still to compute (`nix eval .#lib.pinsToFill`), and the
      # ones `nix run .#update-pins` computes: the first must always be part of the second.
      lib = {
        inherit (project) pinsToFill networkPins;
      };
    };
}
