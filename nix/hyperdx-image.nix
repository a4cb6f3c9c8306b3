# logdemo/hyperdx: behaves like the upstream app image. Same entrypoint
# (`sh /etc/local/entry.sh`, which starts the API on HYPERDX_API_PORT, the UI on
# HYPERDX_APP_PORT and the alert task), same environment variables, same user (node, uid
# 1000), same working directory /app.
#
# /app is a real, writable copy rather than a link into the store: at start the entrypoint
# rewrites the UI's public/__ENV.js from the NEXT_PUBLIC_* variables of the container.
{
  dockerTools,
  busybox,
  nodejs_22,
  hyperdx,
  project,
}:
let
  image = project.images.hyperdx;
  uid = "1000";
in
dockerTools.buildLayeredImage {
  inherit (image) name tag;
  # busybox is the upstream image's userland too (node on Alpine): sh runs the entrypoint,
  # and the chart's scripts find wget and friends.
  contents = [
    busybox
    nodejs_22
    dockerTools.caCertificates
    dockerTools.usrBinEnv
  ];
  extraCommands = ''
    mkdir -p etc/local tmp
    chmod 1777 tmp
    cp -r ${hyperdx}/app app
    chmod -R u+w app
    cp ${hyperdx}/etc/local/entry.sh ${hyperdx}/etc/local/refresh-env.js etc/local/
    echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd
    echo 'node:x:${uid}:${uid}:node:/app:/bin/sh' >> etc/passwd
    printf 'root:x:0:\nnode:x:${uid}:\n' > etc/group
  '';
  fakeRootCommands = ''
    chown -R ${uid}:${uid} app etc/local
  '';
  config = {
    Entrypoint = [
      "sh"
      "/etc/local/entry.sh"
    ];
    User = "${uid}:${uid}";
    WorkingDir = "/app";
    Env = [
      "PATH=/bin:/usr/bin"
      "NODE_ENV=production"
      "CODE_VERSION=${project.hyperdx.version}"
      "OTEL_RESOURCE_ATTRIBUTES=service.version=${project.hyperdx.version}"
      "SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt"
    ];
    ExposedPorts = {
      "3000/tcp" = { };
      "8000/tcp" = { };
    };
  };
}
