# The virtual machine itself: QEMU through microvm.nix, sized for minikube and the stack, a
# persistent disk for /var (containerd's images, etcd, ClickHouse and MongoDB data), user-mode
# networking with the host ports of nix/project.nix, and a serial console.
{
  config,
  lib,
  logdemo,
  ...
}:
let
  cfg = config.logdemo.vm;
in
{
  options.logdemo.vm = {
    memoryMiB = lib.mkOption {
      type = lib.types.ints.positive;
      default = 8192;
      description = "Memory of the VM in MiB. minikube and the stack need about 6 GiB.";
    };
    vcpus = lib.mkOption {
      type = lib.types.ints.positive;
      default = 4;
      description = "Virtual CPUs of the VM.";
    };
    varImage = lib.mkOption {
      type = lib.types.str;
      default = "logdemo-var.img";
      description = "Disk image holding /var, created on first start in the directory the VM is started from.";
    };
    varSizeMiB = lib.mkOption {
      type = lib.types.ints.positive;
      default = 40960;
      description = "Size of the /var disk image in MiB (a sparse file: it only takes what is written).";
    };
    rootPassword = lib.mkOption {
      type = lib.types.str;
      default = "logdemo";
      description = "Password of root on the console and over SSH (forwarded on the host's loopback only).";
    };
  };

  config = {
    networking.hostName = "logdemo-vm";
    system.stateVersion = lib.trivial.release;

    microvm = {
      hypervisor = "qemu";
      mem = cfg.memoryMiB;
      vcpu = cfg.vcpus;
      qemu.serialConsole = true;
      interfaces = [
        {
          type = "user";
          id = "logdemo";
          mac = "02:00:00:00:00:01";
        }
      ];
      inherit (logdemo.project) forwardPorts;
      volumes = [
        {
          image = cfg.varImage;
          mountPoint = "/var";
          size = cfg.varSizeMiB;
          label = "logdemo-var";
        }
      ];
      # The store (with every image) is built into a disk image: the VM needs nothing from
      # the host at run time, not even its /nix/store.
    };

    # Kubernetes programs its own packet filtering.
    networking.firewall.enable = false;

    users.users.root = {
      password = cfg.rootPassword;
      # NixOS locks root by default ("!"); this replaces it rather than competing with it.
      initialHashedPassword = lib.mkForce null;
    };
    services.openssh = {
      enable = true;
      settings.PermitRootLogin = "yes";
    };

    # A newcomer at the serial console lands in a shell, told where to look.
    services.getty.autologinUser = "root";
    services.getty.helpLine = ''
      logdemo: first boot loads the images, starts minikube, installs and tests the chart
      (about 5 to 15 minutes). Follow it with: journalctl -f -u logdemo-deploy
      Summary at any time: logdemo-status
    '';
  };
}
