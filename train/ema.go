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

// hardCopy copies every parameter and buffer online → target (SPEC §4), integer counters
// such as num_batches_tracked included, as the reference's load_state_dict does.
func hardCopy(pairs [][2]*nn.Var) error {
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	for _, p := range pairs {
		ng.CopyInPlace(p[1].T, p[0].T)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("train: copy online → target: %w", err)
	}
	return nil
}

// emaUpdate moves the target towards the online network, θₜ ← β·θₜ + (1−β)·θₒ, for parameters
// and float buffers (float64 ones left alone when skip64 is set): one pass over each tensor on the
// CPU (torch.FusedLerp), elsewhere two multi-tensor ops (one native call each; fused kernels on
// CUDA).
func emaUpdate(pairs [][2]*nn.Var, beta float64, skip64 bool) error {
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	var ts, os []*torch.Tensor
	for _, p := range pairs {
		if dt := p[0].T.DType(); dt.IsFloat() && !(skip64 && dt == torch.Float64) {
			os = append(os, p[0].T)
			ts = append(ts, p[1].T)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	if ng.FusedLerp(ts, os, beta) {
		return nil
	}
	ng.ForeachMulScalarInPlace(ts, beta)
	ng.ForeachAddInPlace(ts, os, 1-beta)
	if err := s.Err(); err != nil {
		return fmt.Errorf("train: EMA update: %w", err)
	}
	return nil
}
