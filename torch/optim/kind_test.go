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
	for in, want := range map[string]optim.ScheduleKind{"constant": optim.ScheduleConstant, "Cosine": optim.ScheduleCosine, " WSD": optim.ScheduleWSD} {
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
		// wsd, decay fraction 0.25 of 12 steps: peak until step 9, then base·(12−k)/3, then 0.
		{optim.ScheduleWSD, 0, 12, func(k int64) float64 {
			return base * math.Min(math.Max(float64(12-k)/3, 0), 1)
		}},
		{optim.ScheduleWSD, 3, 12, func(k int64) float64 {
			if k < 3 {
				return base * float64(k+1) / 3
			}
			return base * math.Min(math.Max(float64(12-k)/3, 0), 1)
		}},
		// The decay never reaches into the warm-up: 10 warm-up steps of 12 leave 2 to decay.
		{optim.ScheduleWSD, 10, 12, func(k int64) float64 {
			if k < 10 {
				return base * float64(k+1) / 10
			}
			return base * math.Max(float64(12-k)/2, 0)
		}},
	} {
		s, err := optim.NewSchedule(tt.kind, base, tt.warmup, tt.total, 0.25)
		if err != nil {
			t.Fatalf("NewSchedule(%s, warm-up %d, total %d): %v", tt.kind, tt.warmup, tt.total, err)
		}
		for k := int64(0); k < tt.total+3; k++ {
			if got, want := s.LR(k), tt.want(k); math.Abs(got-want) > 1e-15 {
				t.Errorf("%s warm-up %d total %d: LR(%d) = %v, want %v", tt.kind, tt.warmup, tt.total, k, got, want)
			}
		}
	}
	for _, tt := range []struct {
		name   string
		kind   optim.ScheduleKind
		warmup int64
		decay  float64
	}{
		{"unknown kind", "step", 0, 0.2},
		{"negative warm-up", optim.ScheduleConstant, -1, 0.2},
		{"wsd decay 0", optim.ScheduleWSD, 0, 0},
		{"wsd decay above 1", optim.ScheduleWSD, 0, 1.5},
		{"wsd decay NaN", optim.ScheduleWSD, 0, math.NaN()},
	} {
		if _, err := optim.NewSchedule(tt.kind, base, tt.warmup, 10, tt.decay); err == nil {
			t.Errorf("NewSchedule(%s): no error", tt.name)
		}
	}
}
