#!/usr/bin/env bash
# Makes, locally, the base images that deploy/Dockerfile names, for machines that cannot pull from
# a container registry (CI here; air-gapped hosts). Debian's apt mirror is all it needs:
#
#   docker.io/library/debian:bookworm-slim       a minimal Debian 12 (debootstrap --variant=minbase),
#                                                trimmed like the slim image: no docs, man pages,
#                                                locales, apt lists or cached packages
#   docker.io/library/golang:GO_VERSION-bookworm that plus gcc, libc6-dev, curl and ca-certificates
#                                                (apt, inside a build), THIS machine's Go toolchain
#                                                (`go env GOROOT`) at /usr/local/go, and the
#                                                certificate authorities this machine trusts
#                                                ($SSL_CERT_FILE, else Debian's bundle), so that
#                                                builds behind a TLS-intercepting proxy reach the
#                                                npm registry and the Go module proxy as the host does
#
#   scripts/offline-bases.sh [GO_VERSION]   default: the ARG GO_VERSION of deploy/Dockerfile
#
# An image that already exists (pulled or made earlier) is left alone. Made images carry the label
# org.scl.offline-base=true, so `podman images --filter label=org.scl.offline-base=true` lists
# them and `podman rmi` removes them. Needs root, podman and debootstrap (scripts/setup.sh --image);
# DEBIAN_MIRROR overrides the mirror (default: http://deb.debian.org/debian).
set -euo pipefail
cd "$(dirname "$0")/.."

go_version=${1:-$(sed -n 's/^ARG GO_VERSION=//p' deploy/Dockerfile)}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
debian=docker.io/library/debian:bookworm-slim
golang=docker.io/library/golang:$go_version-bookworm
label=org.scl.offline-base=true

have() { podman image exists "$1"; }

work=$(mktemp -d /var/tmp/scl-offline-bases.XXXXXX)
trap 'rm -rf "$work"' EXIT

if have "$debian"; then
  echo "offline-bases: $debian exists"
else
  echo "offline-bases: making $debian with debootstrap from $mirror (a few minutes)"
  rootfs=$work/rootfs
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    echo "offline-bases: debootstrap failed (log above)" >&2
    exit 1
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/*
  echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list"
  tar --numeric-owner -C "$rootfs" -c . | podman import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL $label" \
    - "$debian" >/dev/null
  rm -rf "$rootfs"
fi

if have "$golang"; then
  echo "offline-bases: $golang exists"
else
  goroot=$(go env GOROOT)
  echo "offline-bases: making $golang from $debian, Debian's gcc and $goroot ($(go env GOVERSION))"
  ctx=$work/golang
  mkdir -p "$ctx"
  tar -C "$goroot" -cf "$ctx/go.tar" --exclude=./test --exclude=./api --exclude=./doc .
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/host-cas.crt"
  cat >"$ctx/Containerfile" <<EOF2
FROM $debian
COPY host-cas.crt /usr/local/share/ca-certificates/host-cas.crt
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev curl ca-certificates >/dev/null \\
 && rm -rf /var/lib/apt/lists/* \\
 && update-ca-certificates >/dev/null
ADD go.tar /usr/local/go/
ENV GOPATH=/go GOTOOLCHAIN=local PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL $label
WORKDIR /go
EOF2
  BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot} podman build --pull=never --format docker -t "$golang" "$ctx" >"$work/golang.log" 2>&1 || {
    tail -n 20 "$work/golang.log" >&2
    echo "offline-bases: building $golang failed (log above)" >&2
    exit 1
  }
fi
