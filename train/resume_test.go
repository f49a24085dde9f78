//go:build !notorch

package train

import (
	"reflect"
	"strings"
	"testing"

	"github.com/scl-dev/scl/models"
)

// resumeMechanics are the Config fields a resumed run may change freely: they do not change
// what the steps compute (InitTau and InitBias only matter before step 0; MaxSteps only as the
// horizon of a cosine learning rate, checked then).
var resumeMechanics = map[string]bool{
	"MaxSteps": true, "MaxDuration": true, "InitTau": true, "InitBias": true, "Device": true,
	"Threads": true, "OutDir": true, "CheckpointEvery": true, "CheckpointAt": true, "KeepCheckpoints": true,
	"Resume": true, "ResumeOverride": true, "LogEvery": true, "Plot": true, "EvalEvery": true,
	"EvalK": true,
	// The downstream input size changes what is evaluated and exported, not the training.
	"EvalImageSize": true,
	// The memory layout changes only rounding.
	"MemoryFormat": true,
}

// TestResumeDiffsCoverEveryField changes every result-changing Config field in turn and checks
// that ResumeDiffs names it; every field must be either checked or listed as mechanics, so a
// new field forces a decision.
func TestResumeDiffsCoverEveryField(t *testing.T) {
	base := DefaultConfig()
	base.Optimizer, base.LRSchedule, base.PenaltyFiltering = OptimizerLARS, LRWSD, true
	base.Gamma.Scaling = true
	perturb := map[string]struct {
		field string
		set   func(*Config)
	}{
		"Encoder":              {"encoder", func(c *Config) { c.Encoder = models.ResNet50 }},
		"Stem":                 {"stem", func(c *Config) { c.Stem = StemCIFAR }},
		"InChannels":           {"in-channels", func(c *Config) { c.InChannels = 1 }},
		"Width":                {"width", func(c *Config) { c.Width = 8 }},
		"LastStageWidth":       {"last-stage-width", func(c *Config) { c.LastStageWidth = 100 }},
		"ProjHidden":           {"proj-hidden", func(c *Config) { c.ProjHidden++ }},
		"ProjOut":              {"proj-out", func(c *Config) { c.ProjOut++ }},
		"ImageSize":            {"image-size", func(c *Config) { c.ImageSize++ }},
		"GlobalViews":          {"num-global-views", func(c *Config) { c.GlobalViews++ }},
		"LocalViews":           {"num-local-views", func(c *Config) { c.LocalViews++ }},
		"BatchSize":            {"batch-size", func(c *Config) { c.BatchSize *= 2 }},
		"MiniBatchSize":        {"mini-batch-size", func(c *Config) { c.MiniBatchSize = 64 }},
		"Epochs":               {"epochs", func(c *Config) { c.Epochs++ }},
		"Optimizer":            {"optimizer", func(c *Config) { c.Optimizer = OptimizerAdamW }},
		"LR":                   {"lr", func(c *Config) { c.LR *= 2 }},
		"WeightDecay":          {"weight-decay", func(c *Config) { c.WeightDecay *= 2 }},
		"LRSchedule":           {"lr-schedule", func(c *Config) { c.LRSchedule = LRConstant }},
		"WarmupSteps":          {"warmup-steps", func(c *Config) { c.WarmupSteps++ }},
		"LRDecayFraction":      {"lr-decay-fraction", func(c *Config) { c.LRDecayFraction = 0.5 }},
		"Momentum":             {"momentum", func(c *Config) { c.Momentum /= 2 }},
		"TrustCoefficient":     {"trust-coefficient", func(c *Config) { c.TrustCoefficient *= 2 }},
		"Alpha":                {"alpha", func(c *Config) { c.Alpha /= 2 }},
		"Gamma":                {"gamma", func(c *Config) { c.Gamma.Initial *= 2 }},
		"MaxScale":             {"max-scale", func(c *Config) { c.MaxScale++ }},
		"PenaltyFiltering":     {"use-penalty-filtering", func(c *Config) { c.PenaltyFiltering = false }},
		"FilteringWarmupSteps": {"filtering-warmup-steps", func(c *Config) { c.FilteringWarmupSteps++ }},
		"FilteringThreshold":   {"filtering-threshold", func(c *Config) { c.FilteringThreshold *= 2 }},
		"Beta":                 {"beta", func(c *Config) { c.Beta = 0.99 }},
		"UpdateBetaAfter":      {"update-beta-after-step", func(c *Config) { c.UpdateBetaAfter++ }},
		"UpdateBetaEvery":      {"update-beta-every-n-steps", func(c *Config) { c.UpdateBetaEvery++ }},
		"EMASkipFloat64":       {"ema-skip-float64", func(c *Config) { c.EMASkipFloat64 = true }},
		"Precision":            {"precision", func(c *Config) { c.Precision = BF16 }},
		"Seed":                 {"seed", func(c *Config) { c.Seed++ }},
		"Views":                {"views", func(c *Config) { c.Views.LocalSize = 5 }},
		"Horizon":              {"schedule-horizon", func(c *Config) { c.Horizon = HorizonTime }},
		"BetaHorizon":          {"beta-horizon", func(c *Config) { c.BetaHorizon = HorizonTime }},
	}
	extra := map[string]func(*Config){
		"gamma-scaling-steps": func(c *Config) { c.Gamma.Steps++ },
		"use-gamma-scaling":   func(c *Config) { c.Gamma.Scaling = false },
		"max-steps":           func(c *Config) { c.MaxSteps = 1000 }, // with a decaying schedule
	}
	rt := reflect.TypeOf(Config{})
	for i := 0; i < rt.NumField(); i++ {
		name := rt.Field(i).Name
		p, checked := perturb[name]
		if checked == resumeMechanics[name] {
			t.Errorf("Config.%s: classify it as checked on resume (ResumeDiffs) or as mechanics", name)
			continue
		}
		if checked {
			extra[p.field] = p.set
		}
	}
	for field, set := range extra {
		cur := base
		set(&cur)
		diffs := ResumeDiffs(base, cur)
		if len(diffs) != 1 || diffs[0].Field != field {
			t.Errorf("changing %s: ResumeDiffs = %v, want only %q", field, diffs, field)
		}
	}
	// Mechanics change nothing.
	cur := base
	cur.Threads, cur.OutDir, cur.LogEvery, cur.EvalEvery, cur.Plot = 7, "elsewhere", 9, 3, !base.Plot
	if d := ResumeDiffs(base, cur); len(d) != 0 {
		t.Errorf("mechanics changed: ResumeDiffs = %v, want none", d)
	}
}

// TestResumeRefusesChangedSettings resumes a checkpoint with a different seed and learning
// rate: refused, naming both fields, unless --resume-override names them.
func TestResumeRefusesChangedSettings(t *testing.T) {
	c := tinyConfig(t)
	a := newTrainer(t, c, 4)
	if _, err := a.Step(syntheticBatch(c, 0)); err != nil {
		t.Fatal(err)
	}
	dir, err := a.Save(c.OutDir, "synthetic", 0)
	if err != nil {
		t.Fatal(err)
	}
	c2 := c
	c2.Seed, c2.LR, c2.Threads = c.Seed+1, c.LR*2, 2
	b := newTrainer(t, c2, 4)
	err = b.Restore(dir)
	if err == nil || !strings.Contains(err.Error(), "seed 42 (now 43)") || !strings.Contains(err.Error(), "lr 0.0003 (now 0.0006)") || strings.Contains(err.Error(), "threads") {
		t.Fatalf("resume with another seed and lr: %v, want a refusal naming seed and lr only", err)
	}
	if b.Steps() != 0 {
		t.Errorf("refused resume moved the step to %d", b.Steps())
	}
	c2.ResumeOverride = []string{"lr"}
	if err := newTrainer(t, c2, 4).Restore(dir); err == nil || strings.Contains(err.Error(), "lr ") || !strings.Contains(err.Error(), "seed") {
		t.Fatalf("resume overriding lr only: %v, want a refusal naming seed only", err)
	}
	c2.ResumeOverride = []string{"lr", "seed"}
	r := newTrainer(t, c2, 4)
	if err := r.Restore(dir); err != nil {
		t.Fatalf("resume overriding lr and seed: %v", err)
	}
	if r.Steps() != 1 {
		t.Errorf("resumed at step %d, want 1", r.Steps())
	}
}
