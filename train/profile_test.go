//go:build !notorch

package train

import (
	"strings"
	"testing"
	"time"
)

// TestStepProfilePartitionsTheStep times three steps of a tiny trainer from outside and checks
// that the profile's phases add up to that time (they are consecutive laps of one clock, so
// nothing may be lost or counted twice) and that every phase of the trainer ran.
func TestStepProfilePartitionsTheStep(t *testing.T) {
	c := tinyConfig(t)
	tr := newTrainer(t, c, 10)
	var p StepProfile
	tr.SetProfile(&p)
	var outside time.Duration
	for k := range 3 {
		b := syntheticBatch(c, k)
		t0 := time.Now()
		if _, err := tr.Step(b); err != nil {
			t.Fatal(err)
		}
		outside += time.Since(t0)
	}
	if p.Steps != 3 {
		t.Errorf("profile counted %d steps, want 3", p.Steps)
	}
	for ph := PhaseInput; ph < NumPhases; ph++ {
		if p.Time[ph] <= 0 {
			t.Errorf("phase %s took %v, want > 0", ph, p.Time[ph])
		}
	}
	if p.Time[PhaseData] != 0 {
		t.Errorf("data wait %v without a Runner, want 0", p.Time[PhaseData])
	}
	if total := p.Total(); total > outside || total < outside*9/10 {
		t.Errorf("phases sum to %v, the steps took %v from outside: want 90–100%% of it", total, outside)
	}
	tr.SetProfile(nil)
	if _, err := tr.Step(syntheticBatch(c, 3)); err != nil {
		t.Fatal(err)
	}
	if p.Steps != 3 {
		t.Errorf("profile counted a step after SetProfile(nil): %d steps", p.Steps)
	}
}

func TestStepProfileSinceAndTable(t *testing.T) {
	a := StepProfile{Steps: 2}
	a.Time[PhaseOnline], a.Time[PhaseBackward] = 30*time.Millisecond, 50*time.Millisecond
	b := a
	b.Steps = 4
	b.Time[PhaseOnline] += 10 * time.Millisecond
	b.Time[PhaseBackward] += 30 * time.Millisecond
	d := b.Since(a)
	if d.Steps != 2 || d.Time[PhaseOnline] != 10*time.Millisecond || d.Time[PhaseBackward] != 30*time.Millisecond || d.Total() != 40*time.Millisecond {
		t.Fatalf("Since = %+v, want 2 steps of 10 ms online and 30 ms backward", d)
	}
	if got := d.MeanMillis(PhaseBackward); got != 15 {
		t.Errorf("MeanMillis(backward) = %g, want 15", got)
	}
	tab := d.Table()
	rows := map[string]bool{}
	for _, line := range strings.Split(tab, "\n") {
		rows[strings.Join(strings.Fields(line), " ")] = true
	}
	for _, want := range []string{"online forward 5.00 25.0%", "backward 15.00 75.0%", "loss 0.00 0.0%", "total 20.00 100.0%"} {
		if !rows[want] {
			t.Errorf("table lacks the row %q:\n%s", want, tab)
		}
	}
	if got := Phase(99).String(); got != "phase(99)" {
		t.Errorf("Phase(99) = %q", got)
	}
}
