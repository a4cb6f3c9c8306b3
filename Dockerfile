# syntax=docker/dockerfile:1
#
# The emitter as a small static image, for users without Nix (the flake builds the same
# binary into logdemo/emitter:<version>). The image holds one file, runs as a non-root user,
# and takes its configuration from flags or EMITTER_* variables (see README.md):
#
#   docker build -t logdemo/emitter:0.1.0 .
#   docker run --rm logdemo/emitter:0.1.0 --interval 1s --count 3
#   docker run --rm -e EMITTER_INTERVAL=250ms logdemo/emitter:0.1.0

# Alpine's Rust targets musl and links Rust programs statically. The version is the
# workspace's oldest supported Rust (RUST_MIN_VERSION in scripts/tool-versions.env), so this
# build also proves the project still builds with it.
ARG RUST_IMAGE=rust:1.85.0-alpine3.21

FROM ${RUST_IMAGE} AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
# Only what the workspace needs, so that unrelated changes keep the build cached.
COPY Cargo.toml Cargo.lock ./
COPY emitter-core emitter-core
COPY emitter-cli emitter-cli
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p emitter-cli \
 && install -D -m 0755 target/release/emitter /out/emitter

# Runs the binary on an empty filesystem before it is shipped: the build fails here if it
# needs a loader or a shared library.
FROM scratch AS checked
COPY --from=build /out/emitter /usr/local/bin/emitter
RUN ["/usr/local/bin/emitter", "--interval", "0", "--count", "3"]

FROM scratch
COPY --from=checked /usr/local/bin/emitter /usr/local/bin/emitter
ENV PATH=/usr/local/bin
# The conventional "nonroot" uid/gid; the image needs no passwd file for a numeric user.
USER 65532:65532
# SIGTERM (the default stop signal) makes the emitter log `shutdown`, flush and exit 0.
ENTRYPOINT ["emitter"]
