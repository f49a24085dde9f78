package optim_test

import (
	"math"
	"strings"
	"testing"

	"github.com/scl-dev/scl/torch/optim"
)

func TestParseKinds(t *testing.T) {
	for in, want := range map[string]optim.Kind{"adam": optim.KindAdam, "AdamW": optim.KindAdamW, " lars ": optim.KindLARS} {
		if got, err := optim.ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := optim.ParseKind("sgd"); err == nil || !strings.Contains(err.Error(), `"sgd"`) {
		t.Errorf("ParseKind(sgd) error %v, want one naming the value", err)
	}
	for in, want := range map[string]optim.ScheduleKind{"constant": optim.ScheduleConstant, "Cosine": optim.ScheduleCosine} {
		if got, err := optim.ParseScheduleKind(in); err != nil || got != want {
			t.Errorf("ParseScheduleKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := optim.ParseScheduleKind("step"); err == nil || !strings.Contains(err.Error(), `"step"`) {
		t.Errorf("ParseScheduleKind(step) error %v, want one naming the value", err)
	}
}

// TestNewSchedule checks the schedules against their closed forms: warm-up base·(k+1)/W, then
// constant or the half cosine base·(1+cos(π(k−W)/(T−W)))/2; the warm-up is clipped to the run.
func TestNewSchedule(t *testing.T) {
	const base = 1e-3
	for _, tt := range []struct {
		kind          optim.ScheduleKind
		warmup, total int64
		want          func(k int64) float64
	}{
		{optim.ScheduleConstant, 0, 10, func(int64) float64 { return base }},
		{optim.ScheduleConstant, 4, 10, func(k int64) float64 { return base * math.Min(float64(k+1)/4, 1) }},
		{optim.ScheduleConstant, 20, 5, func(k int64) float64 { return base * math.Min(float64(k+1)/5, 1) }},
		{optim.ScheduleCosine, 0, 8, func(k int64) float64 { return base * (1 + math.Cos(math.Pi*float64(min(k, 8))/8)) / 2 }},
		{optim.ScheduleCosine, 2, 6, func(k int64) float64 {
			if k < 2 {
				return base * float64(k+1) / 2
			}
			return base * (1 + math.Cos(math.Pi*float64(min(k, 6)-2)/4)) / 2
		}},
	} {
		s, err := optim.NewSchedule(tt.kind, base, tt.warmup, tt.total)
		if err != nil {
			t.Fatalf("NewSchedule(%s, warm-up %d, total %d): %v", tt.kind, tt.warmup, tt.total, err)
		}
		for k := int64(0); k < tt.total+3; k++ {
			if got, want := s.LR(k), tt.want(k); math.Abs(got-want) > 1e-15 {
				t.Errorf("%s warm-up %d total %d: LR(%d) = %v, want %v", tt.kind, tt.warmup, tt.total, k, got, want)
			}
		}
	}
	if _, err := optim.NewSchedule("step", base, 0, 10); err == nil {
		t.Error("NewSchedule(step): no error")
	}
	if _, err := optim.NewSchedule(optim.ScheduleConstant, base, -1, 10); err == nil {
		t.Error("NewSchedule(warm-up -1): no error")
	}
}
