package infer

import (
	"fmt"
	"strconv"
	"strings"
)

// DeviceKind says where a session runs.
type DeviceKind int

// Device kinds.
const (
	// DeviceAuto uses CUDA when the library and a GPU allow it, otherwise the CPU (with one
	// warning through SessionConfig.Warn).
	DeviceAuto DeviceKind = iota
	// DeviceCPU uses ONNX Runtime's CPU execution provider.
	DeviceCPU
	// DeviceCUDA uses the CUDA execution provider and fails when it cannot be created.
	DeviceCUDA
)

// String returns "auto", "cpu" or "cuda".
func (k DeviceKind) String() string {
	switch k {
	case DeviceAuto:
		return "auto"
	case DeviceCPU:
		return "cpu"
	case DeviceCUDA:
		return "cuda"
	}
	return fmt.Sprintf("DeviceKind(%d)", int(k))
}

// Device is a parsed --device value. The zero value is DeviceAuto on GPU 0.
type Device struct {
	Kind  DeviceKind
	Index int // GPU ordinal for DeviceCUDA and DeviceAuto
}

// String formats the device the way ParseDevice reads it.
func (d Device) String() string {
	if d.Kind == DeviceCUDA && d.Index != 0 {
		return fmt.Sprintf("cuda:%d", d.Index)
	}
	return d.Kind.String()
}

// ParseDevice reads "auto", "cpu", "cuda" or "cuda:N" (N ≥ 0).
func ParseDevice(s string) (Device, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "auto":
		return Device{Kind: DeviceAuto}, nil
	case "cpu":
		return Device{Kind: DeviceCPU}, nil
	case "cuda", "gpu":
		return Device{Kind: DeviceCUDA}, nil
	}
	if rest, ok := strings.CutPrefix(s, "cuda:"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return Device{}, fmt.Errorf("infer: device %q: want a GPU ordinal >= 0 after cuda:", s)
		}
		return Device{Kind: DeviceCUDA, Index: n}, nil
	}
	return Device{}, fmt.Errorf("infer: device %q: want auto, cpu, cuda or cuda:N", s)
}
