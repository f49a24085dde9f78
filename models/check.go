package models

import (
	"fmt"
	"slices"

	"github.com/scl-dev/scl/safetensors"
)

// CheckState verifies that tensors holds every parameter and buffer of net under prefix with
// the right shape and dtype, and nothing else under that prefix. Errors name the tensor, the
// expected and the found shape.
func CheckState(net *Network, prefix string, tensors map[string]*safetensors.Tensor) error {
	want := map[string]bool{}
	for _, p := range net.Params() {
		name := prefix + p.Name
		want[name] = true
		t, ok := tensors[name]
		if !ok {
			return fmt.Errorf("models: %s: tensor %q missing", net.Name, name)
		}
		if !slices.Equal(t.Shape, p.Shape) {
			return fmt.Errorf("models: %s: tensor %q has shape %v, want %v", net.Name, name, t.Shape, p.Shape)
		}
		if p.Int {
			if t.DType != safetensors.I64 {
				return fmt.Errorf("models: %s: tensor %q has dtype %s, want I64", net.Name, name, t.DType)
			}
		} else if t.DType != safetensors.F32 && t.DType != safetensors.F64 && t.DType != safetensors.F16 && t.DType != safetensors.BF16 {
			return fmt.Errorf("models: %s: tensor %q has dtype %s, want a float type (F32)", net.Name, name, t.DType)
		}
	}
	for name := range tensors {
		if len(name) > len(prefix) && name[:len(prefix)] == prefix && !want[name] {
			return fmt.Errorf("models: %s: unexpected tensor %q (checkpoint from another architecture or configuration?)", net.Name, name)
		}
	}
	return nil
}
