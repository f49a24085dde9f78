//go:build !notorch

package train

import (
	"fmt"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
)

// pairVars matches the variables of the online and target stores by name (both are built from
// the same description, so the orders agree; the names are checked anyway).
func pairVars(online, target *nn.Store) ([][2]*nn.Var, error) {
	ov, tv := online.Vars(), target.Vars()
	if len(ov) != len(tv) {
		return nil, fmt.Errorf("train: online network has %d variables, target %d", len(ov), len(tv))
	}
	out := make([][2]*nn.Var, len(ov))
	for i := range ov {
		if ov[i].Name != tv[i].Name {
			return nil, fmt.Errorf("train: variable %d is %q online but %q in the target", i, ov[i].Name, tv[i].Name)
		}
		out[i] = [2]*nn.Var{ov[i], tv[i]}
	}
	return out, nil
}

// hardCopy copies every parameter and float buffer online → target (SPEC §4; integer counters
// such as num_batches_tracked are left alone).
func hardCopy(pairs [][2]*nn.Var) error {
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	for _, p := range pairs {
		if p[0].T.DType().IsFloat() {
			ng.CopyInPlace(p[1].T, p[0].T)
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("train: copy online → target: %w", err)
	}
	return nil
}

// emaUpdate moves the target towards the online network, θₜ ← β·θₜ + (1−β)·θₒ, for parameters
// and float buffers, as two multi-tensor ops (one native call each; fused kernels on CUDA).
func emaUpdate(pairs [][2]*nn.Var, beta float64) error {
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	var ts, os []*torch.Tensor
	for _, p := range pairs {
		if p[0].T.DType().IsFloat() {
			os = append(os, p[0].T)
			ts = append(ts, p[1].T)
		}
	}
	ng.ForeachMulScalarInPlace(ts, beta)
	ng.ForeachAddInPlace(ts, os, 1-beta)
	if err := s.Err(); err != nil {
		return fmt.Errorf("train: EMA update: %w", err)
	}
	return nil
}
