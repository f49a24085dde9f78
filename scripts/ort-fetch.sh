#!/usr/bin/env bash
# Fetches the ONNX Runtime CPU shared library into DIR (default: .deps/lib), idempotently.
#
#   scripts/ort-fetch.sh [DIR]
#
# The library comes from the npm package onnxruntime-node (bin/napi-v6/linux/x64/libonnxruntime.so.1),
# fetched from the npm registry and checked against the registry's published SHA-1. Used by
# scripts/setup.sh (for .deps/lib) and by deploy/Dockerfile (for the serving image), so that both
# ship the same, checked library. Needs curl, sha1sum and tar.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/.deps/lib}
ort_version=1.30.0
ort_sha1=8d4c4a75f31088ec846f08cccb62f3272a7bf44a

lib="$dir/libonnxruntime.so.1"
stamp="$dir/.onnxruntime-node-$ort_version"
if [ -f "$lib" ] && [ -f "$stamp" ]; then
  exit 0
fi
echo "ort-fetch: fetching ONNX Runtime $ort_version from npm (onnxruntime-node) into $dir"
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.ort-fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tgz="$tmp/onnxruntime-node-$ort_version.tgz"
curl -fsSL --retry 3 -o "$tgz" "https://registry.npmjs.org/onnxruntime-node/-/onnxruntime-node-$ort_version.tgz"
got=$(sha1sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$ort_sha1" ]; then
  echo "ort-fetch: onnxruntime-node-$ort_version.tgz has SHA-1 $got, expected $ort_sha1" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib.part"
mv "$lib.part" "$lib"
ln -sf libonnxruntime.so.1 "$dir/libonnxruntime.so"
touch "$stamp"
