//go:build !notorch && nccl

package dist

// With -tags nccl (together with customtorch and a CUDA libtorch whose flags come from
// CGO_CXXFLAGS/CGO_LDFLAGS) the shim compiles ProcessGroupNCCL in.

// #cgo CXXFLAGS: -DSCL_WITH_NCCL
import "C"
