//go:build !notorch && !customtorch

package torch

// Default build: Debian's libtorch-dev (1.13.1, CPU). Build with -tags customtorch to drop these
// flags and take CGO_CXXFLAGS/CGO_LDFLAGS from the environment (scripts/torch-flags.sh).

// #cgo CXXFLAGS: -I/usr/include/torch/csrc/api/include
// #cgo LDFLAGS: -ltorch -ltorch_cpu -lc10
import "C"
