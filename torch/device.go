//go:build !notorch

package torch

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"

	"github.com/scl-dev/scl/device"
)

// ManualSeed seeds libtorch's default CPU and CUDA generators (torch.manual_seed): random ops
// after it are reproducible on the CPU.
func ManualSeed(seed uint64) error {
	var cerr *C.char
	C.scl_manual_seed(C.uint64_t(seed), &cerr)
	return takeError("ManualSeed", cerr)
}

// CUDAAvailable reports whether libtorch sees at least one CUDA device.
func CUDAAvailable() bool { return CUDADeviceCount() > 0 }

// ResolveDevice resolves a device spec against this libtorch ("auto" is CUDA device 0 when
// libtorch sees a GPU, the CPU otherwise; "cuda:N" needs N+1 visible GPUs) and converts it.
func ResolveDevice(s device.Spec) (Device, error) {
	r, err := s.Resolve(CUDADeviceCount)
	if err != nil {
		return CPU, fmt.Errorf("torch: %w", err)
	}
	return DeviceOf(r)
}

// CUDADeviceCount returns the number of CUDA devices (0 on a CPU-only libtorch).
func CUDADeviceCount() int { return int(C.scl_cuda_device_count()) }

// CUDASynchronize waits for all work queued on CUDA device index; it does nothing without CUDA.
func CUDASynchronize(index int) error {
	var cerr *C.char
	C.scl_cuda_synchronize(C.int(index), &cerr)
	return takeError("CUDASynchronize", cerr)
}

// SetNumThreads sets libtorch's intra-op CPU thread count (n > 0), process-wide: OpenMP keeps
// the setting per OS thread, so every later native call applies it to the thread it runs on.
func SetNumThreads(n int) { C.scl_set_num_threads(C.int(n)) }

// NumThreads returns libtorch's intra-op CPU thread count.
func NumThreads() int { return int(C.scl_num_threads()) }

// Version returns the libtorch version the binding was compiled against, e.g. "1.13.1".
func Version() string { return C.GoString(C.scl_version()) }
