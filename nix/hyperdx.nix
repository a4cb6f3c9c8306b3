# HyperDX (API and UI) built from its source at the pinned release tag, laid out like the
# upstream app image (docker/hyperdx/Dockerfile, `prod` stage): /app with the API build, the
# production node_modules, and the Next.js standalone server; /etc/local with the upstream
# entrypoint. Dependencies come from a fixed-hash yarn offline cache; every step fails the
# build if it fails.
{
  lib,
  stdenv,
  fetchFromGitHub,
  nodejs_22,
  yarn-berry_4,
  inter,
  roboto,
  roboto-mono,
  ibm-plex,
  project,
}:
let
  pinned = project.hyperdx;
  # next/font/google downloads fonts while building, which the sandbox forbids; the same
  # families come from nixpkgs and are bundled with next/font/local instead.
  fontPackages = [
    inter
    roboto
    roboto-mono
    ibm-plex
  ];
in
stdenv.mkDerivation (finalAttrs: {
  pname = "hyperdx";
  inherit (pinned) version;

  src = fetchFromGitHub {
    inherit (pinned) owner repo rev;
    inherit (pinned) hash;
  };

  missingHashes = ./. + "/${pinned.missingHashes}";
  offlineCache = yarn-berry_4.fetchYarnBerryDeps {
    inherit (finalAttrs) src missingHashes;
    hash = pinned.yarnHash;
  };

  nativeBuildInputs = [
    nodejs_22
    yarn-berry_4
    yarn-berry_4.yarnBerryConfigHook
  ];

  env = {
    NEXT_TELEMETRY_DISABLED = "1";
    NEXT_OUTPUT_STANDALONE = "true";
    NEXT_PUBLIC_IS_LOCAL_MODE = "false";
    NX_DAEMON = "false";
    # nixpkgs' Yarn (the one the offline cache was made for), and no network: a missing
    # package fails the build instead of being fetched.
    YARN_IGNORE_PATH = "1";
    YARN_ENABLE_NETWORK = "0";
    # Install scripts that phone home would only fail their request.
    SCARF_ANALYTICS = "false";
    DO_NOT_TRACK = "1";
  };

  postPatch = ''
    # Upstream's .yarnrc.yml also sets an npm age gate (a registry query per package, and
    # keys an older Yarn rejects) and its own Yarn release; offline, with nixpkgs' Yarn, only
    # the linker setting matters.
    grep -qx 'nodeLinker: node-modules' .yarnrc.yml
    echo 'nodeLinker: node-modules' > .yarnrc.yml

    fonts=packages/app/src/fonts.ts
    grep -q "next/font/google" $fonts
    font() { # font <export name> <css variable> <file name pattern>
      local file
      file=$(find ${lib.concatMapStringsSep " " (p: "${p}/share/fonts") fontPackages} -name "$3" | sort | sed -n 1p)
      [ -n "$file" ] || { echo "no font file matching $3 in the font packages" >&2; exit 1; }
      cp "$file" "packages/app/src/$(basename "$file")"
      printf "export const %s = localFont({ src: './%s', variable: '%s', display: 'swap' });\n" \
        "$1" "$(basename "$file")" "$2" >> $fonts.new
    }
    echo "import localFont from 'next/font/local';" > $fonts.new
    font ibmPlexMono --font-ibm-plex-mono 'IBMPlexMono-Regular.otf'
    font robotoMono --font-roboto-mono 'RobotoMono-Regular.ttf'
    font inter --font-inter 'InterVariable.ttf'
    font roboto --font-roboto 'Roboto-Regular.ttf'
    mv $fonts.new $fonts
  '';

  buildPhase = ''
    runHook preBuild
    yarn workspace @hyperdx/common-utils run build
    yarn workspace @hyperdx/api run build
    yarn workspace @hyperdx/app run build
    # What the upstream image ships: only the API's production dependencies.
    rm -rf node_modules
    yarn workspaces focus @hyperdx/api --production
    runHook postBuild
  '';

  installPhase = ''
    runHook preInstall
    app=$out/app
    mkdir -p $app/packages/api $app/packages/common-utils $out/etc/local
    cp -r node_modules $app/node_modules
    cp -r packages/api/build packages/api/bin packages/api/package.json $app/packages/api/
    cp -r packages/common-utils/dist packages/common-utils/package.json $app/packages/common-utils/
    if [ -d packages/common-utils/node_modules ]; then
      cp -r packages/common-utils/node_modules $app/packages/common-utils/
    fi
    cp -r packages/app/.next/standalone $app/packages/app
    cp -r packages/app/.next/static $app/packages/app/packages/app/.next/static
    cp -r packages/app/public $app/packages/app/packages/app/public
    cp docker/hyperdx/refresh-env.js $out/etc/local/refresh-env.js
    cp docker/hyperdx/entry.prod.sh $out/etc/local/entry.sh
    runHook postInstall
  '';

  meta = {
    description = "HyperDX API and UI, laid out like the upstream app image";
    homepage = "https://github.com/hyperdxio/hyperdx";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
  };
})
