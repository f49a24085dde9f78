// Package buildinfo reports which scl this is: the version and commit stamped into the binary
// at build time, plus the Go toolchain and platform it was built for.
//
// The Makefile and deploy/Dockerfile set the two variables with the linker:
//
//	go build -ldflags "-X github.com/scl-dev/scl/internal/buildinfo.version=v1.2.0 \
//	    -X github.com/scl-dev/scl/internal/buildinfo.commit=$(git rev-parse HEAD)" ./cmd/scl
//
// A binary built without them (plain `go build`, `go test`) falls back to the commit Go itself
// records from the version control checkout (vcs.revision, when -buildvcs is on) and reports
// the version "dev".
package buildinfo
