# logdemo/clickhouse: what the chart runs (docs/interfaces.md): `clickhouse` on PATH,
# /etc/clickhouse-server/config.xml with config.d/ and users.d/ for the chart's overrides,
# data in /var/lib/clickhouse, uid 101. The entrypoint is the server itself, no shell in
# front, so it is PID 1 and gets the SIGTERM Kubernetes sends.
{
  dockerTools,
  busybox,
  clickhouse,
  project,
}:
let
  image = project.images.clickhouse;
  uid = "101";
in
dockerTools.buildLayeredImage {
  inherit (image) name tag;
  # A shell and wget, as in the upstream image, for the chart's schema Job and test pods
  # (`sh -c 'until clickhouse client ...'`). Of ClickHouse only the binary: the package's own
  # etc/clickhouse-server (a full sample configuration) would otherwise be linked in,
  # read-only, where the minimal one goes.
  contents = [
    busybox
    dockerTools.caCertificates
  ];
  extraCommands = ''
    mkdir -p bin etc/clickhouse-server/config.d etc/clickhouse-server/users.d var/lib/clickhouse tmp
    chmod 1777 tmp
    ln -s ${clickhouse}/bin/clickhouse bin/clickhouse
    cp ${./clickhouse/config.xml} etc/clickhouse-server/config.xml
    cp ${./clickhouse/users.xml} etc/clickhouse-server/users.xml
    # The server looks its user up by uid; give it a name.
    echo 'root:x:0:0:root:/root:/bin/false' > etc/passwd
    echo 'clickhouse:x:${uid}:${uid}:ClickHouse:/var/lib/clickhouse:/bin/false' >> etc/passwd
    printf 'root:x:0:\nclickhouse:x:${uid}:\n' > etc/group
  '';
  fakeRootCommands = ''
    chown -R ${uid}:${uid} var/lib/clickhouse
  '';
  config = {
    Entrypoint = [
      "/bin/clickhouse"
      "server"
      "--config-file=/etc/clickhouse-server/config.xml"
    ];
    User = "${uid}:${uid}";
    WorkingDir = "/var/lib/clickhouse";
    Env = [ "PATH=/bin" ];
    ExposedPorts = {
      "8123/tcp" = { };
      "9000/tcp" = { };
      "9363/tcp" = { };
    };
    Volumes."/var/lib/clickhouse" = { };
  };
}
