# slipway's own image: slipway with buildah inside, for CI jobs that build without a Docker
# engine (WERF_BUILDAH_MODE=auto). See "Running slipway in a container" in README.md for the
# docker run flags and Pod settings of werf's three cases.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Manifests first, so the dependency download is cached across source changes.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && cargo fetch --locked \
 && rm -rf src
COPY src ./src
RUN cargo build --release --locked --bin slipway \
 && install -m 0755 target/release/slipway /usr/local/bin/slipway

FROM debian:${DEBIAN_RELEASE}-slim
# buildah and its helpers: fuse-overlayfs for kernels without rootless overlay, uidmap for the
# newuidmap/newgidmap a rootless user namespace is mapped with; git for werf-style contexts.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      buildah fuse-overlayfs uidmap ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
# A non-root user with a subordinate ID range, so buildah can run rootless; the ranges are
# written explicitly rather than left to useradd's defaults.
RUN useradd --create-home --uid 1000 --user-group --shell /bin/sh build \
 && echo 'build:100000:65536' > /etc/subuid \
 && echo 'build:100000:65536' > /etc/subgid \
 && mkdir -p /home/build/.local/share/containers \
 && chown -R build:build /home/build/.local
COPY --from=build /usr/local/bin/slipway /usr/local/bin/slipway

ENV WERF_BUILDAH_MODE=auto \
    WERF_CONTAINERIZED=yes \
    BUILDAH_ISOLATION=chroot
# Image storage must not sit on the container's own overlay root (overlay cannot stack on
# overlay), so it is a volume: an emptyDir or anonymous volume is enough.
VOLUME /home/build/.local/share/containers
USER build
WORKDIR /home/build
CMD ["slipway", "--help"]
