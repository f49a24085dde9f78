//go:build !notorch

package optim

import "github.com/scl-dev/scl/torch/nn"

// Config selects and configures the optimizer New builds.
type Config struct {
	Kind Kind
	// LR is the initial learning rate (a schedule sets it per step); WeightDecay the decay,
	// coupled for Adam and LARS, decoupled for AdamW.
	LR, WeightDecay float64
	// Momentum and TrustCoefficient are LARS's momentum and η.
	Momentum, TrustCoefficient float64
}

// New builds the optimizer cfg.Kind over params.
func New(params []*nn.Var, cfg Config) (Optimizer, error) {
	switch cfg.Kind {
	case KindAdam:
		return NewAdam(params, AdamConfig{LR: cfg.LR, WeightDecay: cfg.WeightDecay}), nil
	case KindAdamW:
		return NewAdamW(params, AdamConfig{LR: cfg.LR, WeightDecay: cfg.WeightDecay}), nil
	case KindLARS:
		return NewLARS(params, LARSConfig{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay, TrustCoefficient: cfg.TrustCoefficient}), nil
	}
	return nil, cfg.Kind.Validate()
}
