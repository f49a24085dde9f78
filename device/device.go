package device

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind says where work runs.
type Kind int

// Device kinds.
const (
	// Auto uses CUDA when a GPU is available, otherwise the CPU.
	Auto Kind = iota
	// CPU runs on the host.
	CPU
	// CUDA runs on a CUDA GPU and fails when none can be used.
	CUDA
)

// String returns "auto", "cpu" or "cuda".
func (k Kind) String() string {
	switch k {
	case Auto:
		return "auto"
	case CPU:
		return "cpu"
	case CUDA:
		return "cuda"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Spec is a parsed device value. The zero value is Auto on GPU 0.
type Spec struct {
	Kind Kind
	// Index is the GPU ordinal for CUDA (and the one Auto picks when a GPU is available).
	Index int
}

// Specs of the devices without an index.
var (
	AutoSpec = Spec{Kind: Auto}
	CPUSpec  = Spec{Kind: CPU}
)

// CUDASpec returns the spec of CUDA device index.
func CUDASpec(index int) Spec { return Spec{Kind: CUDA, Index: index} }

// Parse reads "auto" (or ""), "cpu", "cuda" (or "gpu": device 0) or "cuda:N" (N ≥ 0), in any
// case, surrounding spaces ignored.
func Parse(s string) (Spec, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "", "auto":
		return AutoSpec, nil
	case "cpu":
		return CPUSpec, nil
	case "cuda", "gpu":
		return CUDASpec(0), nil
	}
	if rest, ok := strings.CutPrefix(v, "cuda:"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 || strconv.Itoa(n) != rest {
			return Spec{}, fmt.Errorf("device %q: want cuda:N with a GPU ordinal N ≥ 0", s)
		}
		return CUDASpec(n), nil
	}
	return Spec{}, fmt.Errorf("device %q: want auto, cpu, cuda or cuda:N", s)
}

// String formats the spec the way Parse reads it: "auto", "cpu", "cuda" (device 0) or "cuda:N".
func (s Spec) String() string {
	if s.Kind == CUDA && s.Index != 0 {
		return fmt.Sprintf("cuda:%d", s.Index)
	}
	return s.Kind.String()
}

// Validate checks the kind and the index.
func (s Spec) Validate() error {
	switch {
	case s.Kind != Auto && s.Kind != CPU && s.Kind != CUDA:
		return fmt.Errorf("device %v: want auto, cpu or cuda", s.Kind)
	case s.Index < 0:
		return fmt.Errorf("device %s: GPU ordinal %d: want ≥ 0", s.Kind, s.Index)
	}
	return nil
}

// MarshalText returns String's form (JSON configurations store the device as a string).
func (s Spec) MarshalText() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return []byte(s.String()), nil
}

// UnmarshalText parses text with Parse.
func (s *Spec) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Probe returns the number of CUDA devices the caller's library can use (0 without CUDA).
type Probe func() int

// Resolve turns the spec into a concrete device (CPU or CUDA, never Auto): Auto becomes CUDA
// device Index when cudaDevices reports at least Index+1 GPUs and the CPU otherwise; CUDA
// fails when device Index is not among those cudaDevices reports. A nil probe means no GPU.
func (s Spec) Resolve(cudaDevices Probe) (Spec, error) {
	if err := s.Validate(); err != nil {
		return CPUSpec, err
	}
	n := 0
	if cudaDevices != nil && s.Kind != CPU {
		n = cudaDevices()
	}
	switch s.Kind {
	case CPU:
		return CPUSpec, nil
	case Auto:
		if s.Index < n {
			return CUDASpec(s.Index), nil
		}
		return CPUSpec, nil
	}
	if s.Index >= n {
		return CPUSpec, fmt.Errorf("device %s: %d CUDA devices visible", s, n)
	}
	return s, nil
}

// IsCUDA reports whether the spec resolves to a CUDA device under cudaDevices (false when it
// cannot be resolved).
func (s Spec) IsCUDA(cudaDevices Probe) bool {
	r, err := s.Resolve(cudaDevices)
	return err == nil && r.Kind == CUDA
}
