#!/usr/bin/env bash
# Installs what scl needs on Debian 12, idempotently; fast when everything is present.
# libgloo-dev carries the Gloo headers that the c10d binding (torch/dist) compiles against.
#
#   scripts/setup.sh          libtorch (CPU), Fashion-MNIST, ONNX Runtime CPU library
#   scripts/setup.sh --bench  also the Python packages used only by comparison benchmarks
#   scripts/setup.sh --image  also podman, runc, slirp4netns and debootstrap, for `make image` and its test
#
# The ONNX Runtime shared library comes from the npm package onnxruntime-node, checked against
# the registry's published SHA-1 and unpacked into .deps/lib by scripts/ort-fetch.sh (which
# deploy/Dockerfile runs too).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"

bench=0
image=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    --image) image=1 ;;
    *) echo "setup: unknown argument $arg (expected --bench or --image)" >&2; exit 2 ;;
  esac
done

want=(libtorch-dev libgloo-dev dataset-fashion-mnist curl ca-certificates g++)
if [ "$bench" = 1 ]; then
  want+=(python3-torch python3-torchvision python3-sklearn python3-numpy)
fi
if [ "$image" = 1 ]; then
  # runc beside podman's default crun: crun refuses hosts with a hybrid cgroup v1/v2 layout.
  want+=(podman runc slirp4netns debootstrap)
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Chromium drives the web page's browser test (infer/server); without it that test skips and
# says why, so a failed install is a warning, not an error.
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: installing Debian's chromium (browser test of the web page)"
  chromium_sudo=""
  if [ "$(id -u)" != 0 ]; then chromium_sudo="sudo"; fi
  if ! DEBIAN_FRONTEND=noninteractive $chromium_sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
    echo "setup: warning: chromium could not be installed; the browser test will skip" >&2
  fi
fi

"$root/scripts/ort-fetch.sh" "$deps/lib"
