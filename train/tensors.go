//go:build !notorch

package train

import (
	"fmt"

	"github.com/scl-dev/scl/safetensors"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
)

var toSafeDType = map[torch.DType]safetensors.DType{
	torch.Float32: safetensors.F32, torch.Float64: safetensors.F64, torch.Float16: safetensors.F16,
	torch.BFloat16: safetensors.BF16, torch.Int64: safetensors.I64, torch.Int32: safetensors.I32,
	torch.Int8: safetensors.I8, torch.Uint8: safetensors.U8, torch.Bool: safetensors.Bool,
}

var fromSafeDType = map[safetensors.DType]torch.DType{}

func init() {
	for k, v := range toSafeDType {
		fromSafeDType[v] = k
	}
}

// toSafe copies a tensor (any device) into a safetensors tensor, bit for bit.
func toSafe(t *torch.Tensor) (*safetensors.Tensor, error) {
	dt, ok := toSafeDType[t.DType()]
	if !ok {
		return nil, fmt.Errorf("train: tensor of type %v cannot be stored", t.DType())
	}
	b, err := t.Bytes()
	if err != nil {
		return nil, err
	}
	return &safetensors.Tensor{DType: dt, Shape: append([]int64{}, t.Shape()...), Data: b}, nil
}

// fromSafe creates a CPU tensor in s holding a copy of t.
func fromSafe(s *torch.Scope, t *safetensors.Tensor) (*torch.Tensor, error) {
	dt, ok := fromSafeDType[t.DType]
	if !ok {
		return nil, fmt.Errorf("train: tensor of type %q cannot be loaded", t.DType)
	}
	x := s.FromBytes(t.Data, dt, t.Shape...)
	if err := s.Err(); err != nil {
		return nil, err
	}
	return x, nil
}

// loadStore copies m[prefix + name] into every variable of st (values converted to the store's
// dtype and device). Every variable must be present; entries of m outside st are ignored.
func loadStore(st *nn.Store, prefix string, m map[string]*safetensors.Tensor) error {
	s := torch.NewScope()
	defer s.Close()
	state := map[string]*torch.Tensor{}
	for _, v := range st.Vars() {
		src, ok := m[prefix+v.Name]
		if !ok {
			return fmt.Errorf("train: checkpoint has no tensor %q", prefix+v.Name)
		}
		x, err := fromSafe(s, src)
		if err != nil {
			return fmt.Errorf("train: load %q: %w", prefix+v.Name, err)
		}
		state[v.Name] = x
	}
	if err := st.Load(state); err != nil {
		return fmt.Errorf("train: load: %w", err)
	}
	return nil
}

// tensorsToSafe converts a name → tensor map (optimizer state).
func tensorsToSafe(in map[string]*torch.Tensor) (map[string]*safetensors.Tensor, error) {
	out := make(map[string]*safetensors.Tensor, len(in))
	for name, t := range in {
		st, err := toSafe(t)
		if err != nil {
			return nil, fmt.Errorf("train: save %s: %w", name, err)
		}
		out[name] = st
	}
	return out, nil
}

// safeToTensors converts back, creating the tensors in s.
func safeToTensors(s *torch.Scope, in map[string]*safetensors.Tensor) (map[string]*torch.Tensor, error) {
	out := make(map[string]*torch.Tensor, len(in))
	for name, t := range in {
		x, err := fromSafe(s, t)
		if err != nil {
			return nil, fmt.Errorf("train: load %s: %w", name, err)
		}
		out[name] = x
	}
	return out, nil
}
