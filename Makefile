# scl — see README.md. Every target installs what it needs first (scripts/setup.sh).
SHELL := /bin/bash
export SCL_ORT_LIB ?= $(CURDIR)/.deps/lib/libonnxruntime.so.1
GO ?= go

# Build provenance (internal/buildinfo): `git describe` (tag, or short commit, "-dirty" when the tree
# has changes) and the full commit; "dev"/"unknown" outside a git checkout. Override on the command
# line: make image VERSION=v1.2.0.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILDINFO := github.com/scl-dev/scl/internal/buildinfo
LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT)

.PHONY: setup setup-bench setup-image build test demo bench vet fmt version image image-push image-test

setup:
	@scripts/setup.sh

setup-bench:
	@scripts/setup.sh --bench

setup-image:
	@scripts/setup.sh --image

build: setup
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/scl ./cmd/scl

version:
	@echo $(VERSION)

# staticcheck runs from the module proxy at a pinned version (cached after the first run).
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

# test: go.mod/go.sum tidy, go vet and staticcheck, the notorch build (what serving hosts
# install) vetted and tested, then the whole suite.
test: setup
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GO) vet -tags notorch ./...
	$(GO) test -count=1 -tags notorch ./...
	$(GO) test -count=1 -timeout 30m ./...

# The serving image (deploy/Dockerfile), with podman, buildah or docker, tagged $(IMAGE).
IMAGE ?= scl:$(VERSION)
image:
	@scripts/image.sh build $(IMAGE) $(VERSION) $(COMMIT)

# make image-push REGISTRY=registry.example.com/team pushes $(REGISTRY)/$(IMAGE).
image-push:
	@test -n "$(REGISTRY)" || { echo "make image-push: set REGISTRY, e.g. make image-push REGISTRY=registry.example.com/team" >&2; exit 2; }
	@scripts/image.sh push $(IMAGE) $(REGISTRY)

# Builds the image against locally made base images and runs it (deploy/image_test.go); CI runs it.
image-test: setup setup-image
	SCL_IMAGE_TEST=1 $(GO) test -tags notorch -count=1 -v -timeout 40m -run TestServingImage ./deploy/

demo: build
	scripts/demo.sh

bench: setup-bench build
	scripts/bench.sh

fmt:
	gofmt -w $$(git ls-files '*.go')
