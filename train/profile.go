package train

import (
	"fmt"
	"strings"
	"time"
)

// Phase is a part of a training step that a [StepProfile] times.
type Phase int

// The phases of a step, in the order they run.
const (
	// PhaseData is the wait for the next batch of views (the Runner's loader).
	PhaseData Phase = iota
	// PhaseInput copies the views into tensors on the device and of the compute type.
	PhaseInput
	// PhaseSetup zeroes the gradients and snapshots the BatchNorm statistics.
	PhaseSetup
	// PhaseOnline is the online network's forward passes over every view.
	PhaseOnline
	// PhaseTarget is the target network's forward passes (no gradient) over the global views.
	PhaseTarget
	// PhaseLoss is the pair losses and their mean, read back to the host.
	PhaseLoss
	// PhaseBackward is the backward pass.
	PhaseBackward
	// PhaseOptimizer is the gradient all-reduce (data-parallel), the loss scaler and the
	// optimizer step.
	PhaseOptimizer
	// PhaseEMA is the target update (hard copy or EMA).
	PhaseEMA
	// PhaseScalars reads exp(τ) and b back for the step's record.
	PhaseScalars
	// NumPhases is the number of phases.
	NumPhases
)

var phaseNames = [NumPhases]string{"data wait", "input", "setup", "online forward", "target forward",
	"loss", "backward", "optimizer", "ema", "scalars"}

// String returns the phase's name as profiles print it.
func (p Phase) String() string {
	if p < 0 || p >= NumPhases {
		return fmt.Sprintf("phase(%d)", int(p))
	}
	return phaseNames[p]
}

// StepProfile accumulates the wall time of each phase over steps. On the CPU libtorch runs each
// operation before returning, so a phase's wall time is its compute; on CUDA, kernels run
// asynchronously and the time lands in whichever later phase waits for them (the loss and
// scalars reads), so only the total is meaningful there.
type StepProfile struct {
	// Steps is the number of steps accumulated (counted by Trainer.Step).
	Steps int
	// Time is the total wall time per phase.
	Time [NumPhases]time.Duration
}

// Total returns the time of every phase together.
func (p *StepProfile) Total() time.Duration {
	var t time.Duration
	for _, d := range p.Time {
		t += d
	}
	return t
}

// Since returns the steps and times accumulated after earlier, a copy taken from p before.
func (p *StepProfile) Since(earlier StepProfile) StepProfile {
	out := StepProfile{Steps: p.Steps - earlier.Steps}
	for i := range p.Time {
		out.Time[i] = p.Time[i] - earlier.Time[i]
	}
	return out
}

// MeanMillis returns the mean milliseconds per step spent in phase (0 before any step).
func (p *StepProfile) MeanMillis(phase Phase) float64 {
	return msPerStep(p.Time[phase], max(p.Steps, 1))
}

// Table renders the mean milliseconds per step of each phase and its share of the total.
func (p *StepProfile) Table() string {
	var b strings.Builder
	total := p.Total()
	steps := max(p.Steps, 1)
	fmt.Fprintf(&b, "%-16s %10s %7s\n", "phase", "ms/step", "share")
	for i, d := range p.Time {
		share := 0.0
		if total > 0 {
			share = float64(d) / float64(total)
		}
		fmt.Fprintf(&b, "%-16s %10.2f %6.1f%%\n", Phase(i), p.MeanMillis(Phase(i)), 100*share)
	}
	fmt.Fprintf(&b, "%-16s %10.2f %6.1f%%\n", "total", msPerStep(total, steps), 100.0)
	return b.String()
}

func msPerStep(d time.Duration, steps int) float64 {
	return float64(d) / float64(time.Millisecond) / float64(steps)
}

// phaseClock times consecutive phases into a profile; with a nil profile it does nothing.
type phaseClock struct {
	p    *StepProfile
	last time.Time
}

// lap charges the time since the previous lap (or the clock's start) to phase.
func (c *phaseClock) lap(phase Phase) {
	if c.p == nil {
		return
	}
	now := time.Now()
	c.p.Time[phase] += now.Sub(c.last)
	c.last = now
}
