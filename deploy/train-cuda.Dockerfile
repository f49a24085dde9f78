# The training image for CUDA nodes: `scl` built against the libtorch inside an official PyTorch
# CUDA image (scripts/torch-flags.sh supplies the cgo flags, -tags customtorch,nccl compiles
# the NCCL back end in), plus the ONNX Runtime CPU library for embed/probe.
#
# NOT BUILT OR RUN BY THE PROJECT YET: the machines that wrote it have no GPU and cannot pull
# images (no registry access). It follows the build that scripts/gpu-check.sh and
# docs/distributed.md describe; check it on a GPU host before relying on it:
#
#   podman build --format docker -f deploy/train-cuda.Dockerfile -t scl-train-cuda:$(make -s version) \
#     --build-arg VERSION=$(make -s version) --build-arg REVISION=$(git rev-parse HEAD) .
#   podman run --device nvidia.com/gpu=all scl-train-cuda:<version> version   # (CDI) or docker --gpus all
#
# PYTORCH_IMAGE must be a *devel* tag (headers for cgo); the final stage is the matching
# *runtime* tag, where the binary finds libtorch through the rpath torch-flags.sh sets (both
# images install torch under /opt/conda). Keep the two tags in step.

ARG GO_VERSION=1.26
ARG PYTORCH_DEVEL=docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-devel
ARG PYTORCH_RUNTIME=docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime

FROM docker.io/library/golang:${GO_VERSION}-bookworm AS go

FROM ${PYTORCH_DEVEL} AS build
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:${PATH} GOTOOLCHAIN=local
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends g++ curl ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/ort-fetch.sh scripts/ort-fetch.sh
RUN scripts/ort-fetch.sh /out/lib
ARG GOPROXY=https://proxy.golang.org,direct
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    eval "$(scripts/torch-flags.sh)" \
 && go build -tags customtorch,nccl -trimpath -buildvcs=false \
      -ldflags "-X github.com/scl-dev/scl/internal/buildinfo.version=${VERSION} -X github.com/scl-dev/scl/internal/buildinfo.commit=${REVISION}" \
      -o /out/scl ./cmd/scl

FROM ${PYTORCH_RUNTIME}
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/scl-dev/scl
LABEL org.opencontainers.image.title="scl-train-cuda" \
      org.opencontainers.image.description="scl train on CUDA (PyTorch's libtorch, NCCL), export, embed and probe" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
RUN groupadd --gid 10001 scl \
 && useradd --no-log-init --uid 10001 --gid scl --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin scl
COPY --from=build /out/lib/libonnxruntime.so.1 /usr/local/lib/scl/libonnxruntime.so.1
COPY --from=build /out/scl /usr/local/bin/scl
ENV SCL_ORT_LIB=/usr/local/lib/scl/libonnxruntime.so.1
USER 10001:10001
ENTRYPOINT ["scl"]
CMD ["train", "--help"]
