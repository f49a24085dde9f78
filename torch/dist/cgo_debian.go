//go:build !notorch && !customtorch

package dist

// Default build: Debian's libtorch-dev (1.13.1, CPU) and Gloo's headers (libgloo-dev). With
// -tags customtorch the flags come from CGO_CXXFLAGS/CGO_LDFLAGS alone (scripts/torch-flags.sh).

// #cgo CXXFLAGS: -I/usr/include/torch/csrc/api/include
// #cgo LDFLAGS: -ltorch -ltorch_cpu -lc10
import "C"
