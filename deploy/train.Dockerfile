# The training image for CPU nodes: `scl` built with libtorch (Debian 12's libtorch 1.13.1, CPU)
# and its Gloo back end for multi-process training, plus the ONNX Runtime CPU library, so one
# image runs train, export, embed and probe. About 1.3 GB (libtorch's dependencies). Build it
# from the repository root:
#
#   podman build --format docker -f deploy/train.Dockerfile -t scl-train:$(make -s version) \
#     --build-arg VERSION=$(make -s version) --build-arg REVISION=$(git rev-parse HEAD) .
#
# Run (data read-only, runs written to a volume; see docs/distributed.md for torchrun, Slurm and
# a Kubernetes PyTorchJob — the image is its container):
#
#   podman run --read-only -v /data/fashion:/data:ro -v $PWD/runs:/runs scl-train:<version> \
#     train --dataset folder --data-dir /data --out /runs/r1 --max-time 1h
#
# The CUDA variant is deploy/train-cuda.Dockerfile. CI does not build this recipe (libtorch's
# packages and C++ make it a ~25-minute build on 2 cores); it was built once by hand against the
# offline base images (scripts/offline-bases.sh) and ran `train --max-steps 2` on Fashion-MNIST,
# `export` and `embed` as user 10001 with a read-only root. deploy/Dockerfile is built and run
# by every `make image-test`.

ARG GO_VERSION=1.26

FROM docker.io/library/golang:${GO_VERSION}-bookworm AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libtorch-dev libgloo-dev g++ >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/ort-fetch.sh scripts/ort-fetch.sh
RUN scripts/ort-fetch.sh /out/lib
ARG GOPROXY=https://proxy.golang.org,direct
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
# The default tags: torch/cgo_debian.go links Debian's libtorch.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -buildvcs=false \
      -ldflags "-X github.com/scl-dev/scl/internal/buildinfo.version=${VERSION} -X github.com/scl-dev/scl/internal/buildinfo.commit=${REVISION}" \
      -o /out/scl ./cmd/scl

FROM docker.io/library/debian:bookworm-slim
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/scl-dev/scl
LABEL org.opencontainers.image.title="scl-train" \
      org.opencontainers.image.description="scl train (libtorch CPU, Gloo), export, embed and probe" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"
# The run-time half of libtorch-dev (libtorch1.13 pulls in libgloo0).
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libtorch1.13 >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 scl \
 && useradd --no-log-init --uid 10001 --gid scl --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin scl
COPY --from=build /out/lib/libonnxruntime.so.1 /usr/local/lib/scl/libonnxruntime.so.1
COPY --from=build /out/scl /usr/local/bin/scl
ENV SCL_ORT_LIB=/usr/local/lib/scl/libonnxruntime.so.1
USER 10001:10001
ENTRYPOINT ["scl"]
CMD ["train", "--help"]
