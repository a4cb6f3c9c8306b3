# logdemo/emitter: the static emitter binary and nothing else (no shell, no libc).
{
  dockerTools,
  emitter,
  project,
}:
let
  image = project.images.emitter;
in
dockerTools.buildLayeredImage {
  inherit (image) name tag;
  contents = [ emitter ];
  config = {
    Entrypoint = [ "/bin/emitter" ];
    Env = [ "PATH=/bin" ];
    # The chart runs it as non-root with a read-only root filesystem; this is the same user.
    User = "65532:65532";
  };
}
