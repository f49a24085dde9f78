package infer

import "github.com/scl-dev/scl/device"

// Device is the device a session runs on, the project's one device spec (parse it with
// device.Parse). The zero value is DeviceAuto on GPU 0: ONNX Runtime's CUDA execution provider
// when it can be created, otherwise the CPU (with one warning through SessionConfig.Warn).
type Device = device.Spec

// DeviceKind says where a session runs.
type DeviceKind = device.Kind

// Device kinds, as OpenSession treats them.
const (
	// DeviceAuto uses CUDA when the library and a GPU allow it, otherwise the CPU.
	DeviceAuto = device.Auto
	// DeviceCPU uses ONNX Runtime's CPU execution provider.
	DeviceCPU = device.CPU
	// DeviceCUDA uses the CUDA execution provider and fails when it cannot be created.
	DeviceCUDA = device.CUDA
)
