# scl — see README.md. Every target installs what it needs first (scripts/setup.sh).
SHELL := /bin/bash
export SCL_ORT_LIB ?= $(CURDIR)/.deps/lib/libonnxruntime.so.1
GO ?= go

.PHONY: setup setup-bench build test demo bench vet fmt

setup:
	@scripts/setup.sh

setup-bench:
	@scripts/setup.sh --bench

build: setup
	$(GO) build -o bin/scl ./cmd/scl

test: setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

demo: build
	scripts/demo.sh

bench: setup-bench build
	scripts/bench.sh

fmt:
	gofmt -w $$(git ls-files '*.go')
