#!/usr/bin/env bash
# Builds or pushes the serving image (deploy/Dockerfile) with whichever engine is installed:
# podman, then buildah, then docker (SCL_IMAGE_ENGINE=name picks one). `make image` and
# `make image-push` call this.
#
#   scripts/image.sh build IMAGE VERSION REVISION [extra build flags...]   e.g. build scl:v1.2.0 v1.2.0 <sha>
#   scripts/image.sh push IMAGE REGISTRY                                   pushes REGISTRY/IMAGE
#   scripts/image.sh engine                                                prints the engine it would use
set -euo pipefail
cd "$(dirname "$0")/.."

limit_mb=200 # the serving image's size target

engine=${SCL_IMAGE_ENGINE:-}
if [ -z "$engine" ]; then
  for e in podman buildah docker; do
    if command -v "$e" >/dev/null; then engine=$e; break; fi
  done
fi
if [ -z "$engine" ]; then
  echo "image: none of podman, buildah or docker is installed (scripts/setup.sh --image installs podman)" >&2
  exit 1
fi

# report_size IMAGE prints the image's uncompressed size and warns above the target.
report_size() {
  if [ "$engine" = buildah ]; then # buildah reports a rounded, human-readable size only
    echo "image: $1 is $(buildah images --format '{{.Size}}' "$1") (target ≤ $limit_mb MB)"
    return
  fi
  local bytes mb
  bytes=$("$engine" image inspect --format '{{.Size}}' "$1")
  mb=$(( (bytes + 500000) / 1000000 ))
  echo "image: $1 is $mb MB ($bytes bytes; target ≤ $limit_mb MB)"
  if [ "$mb" -gt "$limit_mb" ]; then
    echo "image: warning: $1 is over the $limit_mb MB target" >&2
  fi
}

cmd=${1:-}
case "$cmd" in
  engine)
    echo "$engine"
    ;;
  build)
    [ $# -ge 4 ] || { echo "usage: scripts/image.sh build IMAGE VERSION REVISION [flags...]" >&2; exit 2; }
    image=$2 version=$3 revision=$4
    shift 4
    flags=(-f deploy/Dockerfile -t "$image" --build-arg "VERSION=$version" --build-arg "REVISION=$revision")
    if [ -n "${GOPROXY:-}" ]; then flags+=(--build-arg "GOPROXY=$GOPROXY"); fi
    case "$engine" in
      podman | buildah)
        # The docker format keeps HEALTHCHECK (OCI image configs have no field for it). RUN steps
        # use chroot isolation unless BUILDAH_ISOLATION says otherwise: it needs no OCI runtime,
        # cgroups or network set-up, so it also works inside CI containers and sandboxes.
        export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
        flags+=(--format docker)
        ;;
      docker)
        export DOCKER_BUILDKIT=1 # RUN --mount=type=cache
        ;;
    esac
    echo "image: building $image with $engine"
    "$engine" build "${flags[@]}" "$@" .
    report_size "$image"
    ;;
  push)
    [ $# -eq 3 ] || { echo "usage: scripts/image.sh push IMAGE REGISTRY (e.g. push scl:v1.2.0 registry.example.com/team)" >&2; exit 2; }
    image=$2 registry=${3%/}
    "$engine" tag "$image" "$registry/$image"
    "$engine" push "$registry/$image"
    echo "image: pushed $registry/$image"
    ;;
  *)
    echo "usage: scripts/image.sh build|push|engine ... (see the header of scripts/image.sh)" >&2
    exit 2
    ;;
esac
