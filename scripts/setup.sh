#!/usr/bin/env bash
# Installs what scl needs on Debian 12, idempotently; fast when everything is present.
# libgloo-dev carries the Gloo headers that the c10d binding (torch/dist) compiles against.
#
#   scripts/setup.sh          libtorch (CPU), Fashion-MNIST, ONNX Runtime CPU library
#   scripts/setup.sh --bench  also the Python packages used only by comparison benchmarks
#
# The ONNX Runtime shared library comes from the npm package onnxruntime-node
# (bin/napi-v6/linux/x64/libonnxruntime.so.1), fetched from the npm registry, checked
# against the registry's published SHA-1 and unpacked into .deps/lib.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/.deps"
ort_version=1.30.0
ort_sha1=8d4c4a75f31088ec846f08cccb62f3272a7bf44a

bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    *) echo "setup: unknown argument $arg (expected --bench)" >&2; exit 2 ;;
  esac
done

want=(libtorch-dev libgloo-dev dataset-fashion-mnist curl ca-certificates g++)
if [ "$bench" = 1 ]; then
  want+=(python3-torch python3-torchvision python3-sklearn python3-numpy)
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

lib="$deps/lib/libonnxruntime.so.1"
stamp="$deps/lib/.onnxruntime-node-$ort_version"
if [ ! -f "$lib" ] || [ ! -f "$stamp" ]; then
  echo "setup: fetching ONNX Runtime $ort_version from npm (onnxruntime-node)"
  mkdir -p "$deps/lib" "$deps/tmp"
  tgz="$deps/tmp/onnxruntime-node-$ort_version.tgz"
  curl -fsSL --retry 3 -o "$tgz.part" "https://registry.npmjs.org/onnxruntime-node/-/onnxruntime-node-$ort_version.tgz"
  got=$(sha1sum "$tgz.part" | cut -d' ' -f1)
  if [ "$got" != "$ort_sha1" ]; then
    echo "setup: onnxruntime-node-$ort_version.tgz has SHA-1 $got, expected $ort_sha1" >&2
    exit 1
  fi
  mv "$tgz.part" "$tgz"
  tar -xzf "$tgz" -C "$deps/tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  mv "$deps/tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib.part"
  mv "$lib.part" "$lib"
  ln -sf libonnxruntime.so.1 "$deps/lib/libonnxruntime.so"
  rm -rf "$deps/tmp"
  touch "$stamp"
fi
