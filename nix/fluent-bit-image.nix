# logdemo/fluent-bit: the layout the chart expects (docs/interfaces.md): the binary at
# /fluent-bit/bin/fluent-bit, the chart's own config and Lua filter in /fluent-bit/etc.
{
  dockerTools,
  cacert,
  fluent-bit,
  fluentBitFiles,
  project,
}:
let
  image = project.images.fluent-bit;
in
dockerTools.buildLayeredImage {
  inherit (image) name tag;
  # CA certificates for CLICKHOUSE_TLS=On.
  contents = [ cacert ];
  extraCommands = ''
    mkdir -p fluent-bit/bin fluent-bit/etc tmp
    chmod 1777 tmp
    ln -s ${fluent-bit}/bin/fluent-bit fluent-bit/bin/fluent-bit
    cp ${fluentBitFiles + "/fluent-bit.yaml"} fluent-bit/etc/fluent-bit.yaml
    cp ${fluentBitFiles + "/otel-logs.lua"} fluent-bit/etc/otel-logs.lua
  '';
  config = {
    Entrypoint = [ "/fluent-bit/bin/fluent-bit" ];
    Cmd = [
      "-c"
      "/fluent-bit/etc/fluent-bit.yaml"
    ];
    WorkingDir = "/fluent-bit/etc";
    Env = [ "SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt" ];
    ExposedPorts."2020/tcp" = { };
  };
}
