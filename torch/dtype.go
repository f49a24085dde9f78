package torch

import (
	"fmt"

	"github.com/scl-dev/scl/device"
)

// DType is a tensor element type. The zero value, Default, means Float32 wherever a DType is an
// option.
type DType int8

// Element types.
const (
	Default DType = iota
	Float32
	Float64
	Float16
	BFloat16
	Int64
	Int32
	Int8
	Uint8
	Bool
)

var dtypeNames = [...]string{"default", "float32", "float64", "float16", "bfloat16", "int64", "int32", "int8", "uint8", "bool"}

// c10::ScalarType codes, stable across libtorch versions.
var dtypeCodes = [...]int{6, 6, 7, 5, 15, 4, 3, 1, 0, 11}

var dtypeSizes = [...]int{4, 4, 8, 2, 2, 8, 4, 1, 1, 1}

// String returns the PyTorch name of the type, e.g. "float32".
func (d DType) String() string {
	if d < 0 || int(d) >= len(dtypeNames) {
		return fmt.Sprintf("DType(%d)", int(d))
	}
	return dtypeNames[d]
}

// Size returns the element size in bytes.
func (d DType) Size() int {
	if d < 0 || int(d) >= len(dtypeSizes) {
		return 0
	}
	return dtypeSizes[d]
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool {
	switch d {
	case Default, Float32, Float64, Float16, BFloat16:
		return true
	}
	return false
}

func (d DType) code() int64 {
	if d < 0 || int(d) >= len(dtypeCodes) {
		return 6
	}
	return int64(dtypeCodes[d])
}

func dtypeFromCode(c int) DType {
	for d := Float32; d <= Bool; d++ {
		if dtypeCodes[d] == c {
			return d
		}
	}
	return Default
}

// DeviceType is the kind of device a tensor lives on.
type DeviceType int8

// Device types; values match c10::DeviceType.
const (
	CPUDevice  DeviceType = 0
	CUDADevice DeviceType = 1
)

// String returns "cpu" or "cuda".
func (t DeviceType) String() string {
	switch t {
	case CPUDevice:
		return "cpu"
	case CUDADevice:
		return "cuda"
	}
	return fmt.Sprintf("DeviceType(%d)", int(t))
}

// Device is a device type and index. The zero value is the CPU.
type Device struct {
	Type  DeviceType
	Index int
}

// CPU is the host device.
var CPU = Device{Type: CPUDevice}

// CUDA returns the CUDA device with the given index.
func CUDA(index int) Device { return Device{Type: CUDADevice, Index: index} }

// String returns "cpu" or "cuda:N".
func (d Device) String() string {
	if d.Type == CPUDevice {
		return "cpu"
	}
	return fmt.Sprintf("%s:%d", d.Type, d.Index)
}

// DeviceOf converts a resolved device spec (cpu or cuda:N) to a torch device. An "auto" spec
// must be resolved first (ResolveDevice, or device.Spec.Resolve with CUDADeviceCount).
func DeviceOf(s device.Spec) (Device, error) {
	if err := s.Validate(); err != nil {
		return CPU, fmt.Errorf("torch: %w", err)
	}
	switch s.Kind {
	case device.CPU:
		return CPU, nil
	case device.CUDA:
		return CUDA(s.Index), nil
	}
	return CPU, fmt.Errorf("torch: device %s is not resolved: want cpu or cuda:N (see ResolveDevice)", s)
}

// Spec returns the device as a device spec ("cpu" or "cuda:N").
func (d Device) Spec() device.Spec {
	if d.Type == CUDADevice {
		return device.CUDASpec(d.Index)
	}
	return device.CPUSpec
}

// Opts selects the element type and device of a new tensor. The zero value is float32 on the CPU.
type Opts struct {
	DType  DType
	Device Device
}
