//go:build !notorch

package export

import (
	"fmt"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/models/torchnet"
	"github.com/scl-dev/scl/safetensors"
	"github.com/scl-dev/scl/torch"
)

func init() { defaultReference = LibtorchReference }

// LibtorchReference returns a Reference running the checkpoint network in libtorch (CPU,
// eval mode, no grad), built from the same models IR as the training modules.
func LibtorchReference(cfg *checkpoint.Config, tensors map[string]*safetensors.Tensor, withProjector bool) (Reference, error) {
	m, err := torchnet.New(cfg.Model, torch.CPU)
	if err != nil {
		return nil, fmt.Errorf("export: libtorch reference: %w", err)
	}
	if err := torchnet.LoadState(m.Store, tensors); err != nil {
		m.Close()
		return nil, fmt.Errorf("export: libtorch reference: %w", err)
	}
	m.Store.SetTraining(false)
	return &torchReference{m: m, cfg: cfg, withProj: withProjector}, nil
}

type torchReference struct {
	m        *torchnet.Model
	cfg      *checkpoint.Config
	withProj bool
}

func (r *torchReference) Name() string { return "libtorch " + torch.Version() + " (cpu, eval mode)" }

func (r *torchReference) Close() error {
	err := r.m.Close()
	r.m = nil
	return err
}

func (r *torchReference) Forward(x []float32, batch int) ([]float32, []float32, error) {
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	size := int64(r.cfg.Data.Height)
	c := int64(r.cfg.Model.WithDefaults().InChannels)
	in := ng.FromFloat32s(x, int64(batch), c, size, size)
	f := r.m.Encoder.Forward(ng, in)
	var p *torch.Tensor
	if r.withProj {
		p = r.m.Projector.Forward(ng, f)
	}
	if err := s.Err(); err != nil {
		return nil, nil, err
	}
	feat, err := f.Float32s()
	if err != nil || p == nil {
		return feat, nil, err
	}
	proj, err := p.Float32s()
	return feat, proj, err
}
