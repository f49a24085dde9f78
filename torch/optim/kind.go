package optim

import (
	"fmt"
	"math"
	"strings"
)

// Kind names an optimizer New builds.
type Kind string

// Optimizers.
const (
	// KindAdam is Adam with coupled L2 weight decay (added to the gradient), the reference's.
	KindAdam Kind = "adam"
	// KindAdamW is Adam with decoupled weight decay.
	KindAdamW Kind = "adamw"
	// KindLARS is SGD with momentum and layer-wise adaptive rate scaling.
	KindLARS Kind = "lars"
)

// ParseKind reads "adam", "adamw" or "lars" (in any case).
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if err := k.Validate(); err != nil {
		return "", err
	}
	return k, nil
}

// Validate reports an unknown optimizer.
func (k Kind) Validate() error {
	switch k {
	case KindAdam, KindAdamW, KindLARS:
		return nil
	}
	return fmt.Errorf("optim: optimizer %q: want adam, adamw or lars", string(k))
}

// ScheduleKind names a learning-rate schedule NewSchedule builds.
type ScheduleKind string

// Learning-rate schedules.
const (
	// ScheduleConstant keeps the learning rate fixed after the optional warm-up (the reference's).
	ScheduleConstant ScheduleKind = "constant"
	// ScheduleCosine decays the learning rate to 0 at the last step along a half cosine, after
	// the warm-up.
	ScheduleCosine ScheduleKind = "cosine"
	// ScheduleWSD (warm-up, stable, decay) holds the learning rate at its peak after the warm-up
	// and decays it linearly to 0 over the last fraction of the run.
	ScheduleWSD ScheduleKind = "wsd"
)

// ParseScheduleKind reads "constant", "cosine" or "wsd" (in any case).
func ParseScheduleKind(s string) (ScheduleKind, error) {
	k := ScheduleKind(strings.ToLower(strings.TrimSpace(s)))
	if err := k.Validate(); err != nil {
		return "", err
	}
	return k, nil
}

// Validate reports an unknown schedule.
func (k ScheduleKind) Validate() error {
	switch k {
	case ScheduleConstant, ScheduleCosine, ScheduleWSD:
		return nil
	}
	return fmt.Errorf("optim: lr schedule %q: want constant, cosine or wsd", string(k))
}

// NewSchedule builds the schedule k peaking at base after a linear warm-up of warmup steps
// (clipped to total), for a run of total optimizer steps. decay is the fraction of the run
// over which ScheduleWSD decays (in (0, 1]; the other kinds ignore it).
func NewSchedule(k ScheduleKind, base float64, warmup, total int64, decay float64) (Schedule, error) {
	if warmup > total {
		warmup = total
	}
	switch k {
	case ScheduleConstant:
		if warmup < 0 {
			return nil, fmt.Errorf("optim: warm-up %d steps: want ≥ 0", warmup)
		}
		return WarmupConstant{Base: base, Warmup: warmup}, nil
	case ScheduleCosine:
		wc := WarmupCosine{Base: base, Warmup: warmup, Total: total}
		if err := wc.Validate(); err != nil {
			return nil, err
		}
		return wc, nil
	case ScheduleWSD:
		if !(decay > 0 && decay <= 1) {
			return nil, fmt.Errorf("optim: wsd decay fraction %v: want in (0, 1]", decay)
		}
		steps := max(int64(math.Round(decay*float64(total))), 1)
		wsd := WarmupStableDecay{Base: base, Warmup: warmup, DecayStart: max(total-steps, warmup), Total: total}
		if err := wsd.Validate(); err != nil {
			return nil, err
		}
		return wsd, nil
	}
	return nil, k.Validate()
}
