package train

import (
	"math"
	"strings"
	"testing"

	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/torch"
)

func TestDefaultConfigIsValidAndMatchesSpec(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v, want nil", err)
	}
	// SPEC §3–5 defaults.
	checks := []struct {
		name      string
		got, want float64
	}{
		{"lr", c.LR, 3e-4},
		{"weight decay", c.WeightDecay, 1e-5},
		{"alpha", c.Alpha, 1},
		{"gamma", c.Gamma.Initial, 1},
		{"gamma steps", float64(c.Gamma.Steps), 20000},
		{"beta", c.Beta, 0.995},
		{"update after", float64(c.UpdateBetaAfter), 1},
		// ln 5 rounded to float32, as the reference creates τ (TestGoldenTrainingSteps depends on it).
		{"tau0", c.InitTau, float64(float32(math.Log(5)))},
		{"b0", c.InitBias, -5},
		{"max scale", c.MaxScale, 5},
		{"filtering warm-up", float64(c.FilteringWarmupSteps), 5000},
		{"filtering threshold", c.FilteringThreshold, 0.05},
		{"proj hidden", float64(c.ProjHidden), 512},
		{"proj out", float64(c.ProjOut), 64},
		{"global views", float64(c.GlobalViews), 2},
		{"local views", float64(c.LocalViews), 4},
		{"batch", float64(c.BatchSize), 256},
		{"epochs", float64(c.Epochs), 100},
	}
	for _, ch := range checks {
		if math.Abs(ch.got-ch.want) > 1e-12*math.Abs(ch.want) {
			t.Errorf("default %s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if c.Optimizer != OptimizerAdam || c.LRSchedule != LRConstant || c.Precision != FP32 {
		t.Errorf("defaults optimizer %q schedule %q precision %v, want adam constant fp32", c.Optimizer, c.LRSchedule, c.Precision)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"single view", func(c *Config) { c.GlobalViews, c.LocalViews = 1, 0 }, "views"},
		{"indivisible batch", func(c *Config) { c.BatchSize, c.MiniBatchSize = 100, 48 }, "not divisible"},
		{"encoder", func(c *Config) { c.Encoder = "vit" }, "encoder"},
		{"optimizer", func(c *Config) { c.Optimizer = "sgd" }, "optimizer"},
		{"negative lr", func(c *Config) { c.LR = -1 }, "learning rate"},
		{"nan alpha", func(c *Config) { c.Alpha = math.NaN() }, "alpha"},
		{"beta", func(c *Config) { c.Beta = 2 }, "beta"},
		{"gamma steps", func(c *Config) { c.Gamma.Scaling, c.Gamma.Steps = true, 0 }, "gamma scaling steps"},
		{"device", func(c *Config) { c.Device = device.Spec{Kind: 7} }, "device"},
		{"cuda ordinal", func(c *Config) { c.Device = device.Spec{Kind: device.CUDA, Index: -1} }, "device"},
		{"schedule", func(c *Config) { c.LRSchedule = "step" }, "lr schedule"},
		{"stem", func(c *Config) { c.Stem = "big" }, "stem"},
		{"log every", func(c *Config) { c.LogEvery = 0 }, "log every"},
		{"time horizon without a budget", func(c *Config) { c.Horizon = HorizonTime }, "needs a time budget"},
		{"horizon", func(c *Config) { c.Horizon = "weeks" }, "schedule horizon"},
		{"beta time horizon without a budget", func(c *Config) { c.BetaHorizon = HorizonTime }, "beta horizon time needs a time budget"},
		{"beta horizon", func(c *Config) { c.BetaHorizon = "weeks" }, "beta horizon"},
		{"views", func(c *Config) { c.Views.LocalScale = [2]float64{0.5, 0.1} }, "local crop scale"},
		{"evaluation image size", func(c *Config) { c.EvalImageSize = 5 }, "evaluation image size 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestParsePrecisionAndStem(t *testing.T) {
	for in, want := range map[string]Precision{"fp32": FP32, "FP16": FP16, "bf16": BF16, "bfloat16": BF16, "fp64": FP64, "float64": FP64} {
		got, err := ParsePrecision(in)
		if err != nil || got != want {
			t.Errorf("ParsePrecision(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	if _, err := ParsePrecision("int8"); err == nil {
		t.Errorf("ParsePrecision(int8): got nil error, want one")
	}
	for in, want := range map[string]Stem{"auto": StemAuto, "CIFAR": StemCIFAR, "cifar-s2": StemCIFARStride2, "imagenet": StemImageNet} {
		if got, err := ParseStem(in); err != nil || got != want {
			t.Errorf("ParseStem(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	if _, err := ParseStem("big"); err == nil || !strings.Contains(err.Error(), `"big"`) {
		t.Errorf("ParseStem(big) error %v, want one naming the value", err)
	}
}

func TestStemAndLocalSize(t *testing.T) {
	tests := []struct {
		stem Stem
		size int
		want models.Stem
	}{
		{"auto", 28, models.StemCIFAR}, {"auto", 32, models.StemCIFAR}, {"auto", 64, models.StemImageNet},
		{"auto", 96, models.StemImageNet}, {"cifar", 96, models.StemCIFAR}, {"imagenet", 28, models.StemImageNet},
		{"cifar-s2", 28, models.StemCIFARStride2}, {"cifar-s2", 96, models.StemCIFARStride2},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		c.Stem, c.ImageSize = tt.stem, tt.size
		if got := c.ModelStem(); got != tt.want {
			t.Errorf("ModelStem(stem %s, size %d) = %v, want %v", tt.stem, tt.size, got, tt.want)
		}
	}
	// SPEC §6 table: local view sizes.
	for s, want := range map[int]int{32: 13, 96: 41, 64: 27, 192: 82, 28: 12} {
		c := DefaultConfig()
		c.ImageSize = s
		if got := c.LocalSize(); got != want {
			t.Errorf("LocalSize(%d) = %d, want %d", s, got, want)
		}
	}
}

// TestChannelsLastLayout checks which layout each --memory-format gives on each device and
// precision: auto is channels-last on the CPU for fp32 and bf16 (measured faster there), and
// contiguous for float64 and on CUDA (not measured); an explicit layout always wins.
func TestChannelsLastLayout(t *testing.T) {
	cases := []struct {
		format MemoryFormat
		dev    torch.DeviceType
		prec   Precision
		want   bool
		// mixed: some convolutions stay contiguous (ContiguousOnSmallWideMaps), auto's rule
		mixed bool
	}{
		{MemoryAuto, torch.CPUDevice, FP32, true, true},
		{MemoryAuto, torch.CPUDevice, BF16, true, true},
		{"", torch.CPUDevice, BF16, true, true},
		{MemoryAuto, torch.CPUDevice, FP64, false, false},
		{MemoryAuto, torch.CUDADevice, FP32, false, false},
		{MemoryAuto, torch.CUDADevice, BF16, false, false},
		{MemoryContiguous, torch.CPUDevice, BF16, false, false},
		{MemoryChannelsLast, torch.CUDADevice, FP16, true, false},
		{MemoryChannelsLast, torch.CPUDevice, FP64, true, false},
		{MemoryChannelsLast, torch.CPUDevice, FP32, true, false},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		cfg.MemoryFormat, cfg.Precision = c.format, c.prec
		if got := cfg.ChannelsLast(c.dev); got != c.want {
			t.Errorf("memory format %q on %v at %v: channels-last %v, want %v", c.format, c.dev, c.prec, got, c.want)
		}
		if got := cfg.ContiguousConv(c.dev) != nil; got != c.mixed {
			t.Errorf("memory format %q on %v at %v: some convolutions contiguous %v, want %v", c.format, c.dev, c.prec, got, c.mixed)
		}
		if c.format != MemoryAuto {
			continue
		}
		f, why := AutoMemoryFormat(c.dev, c.prec)
		if (f == MemoryChannelsLast) != c.want || !strings.HasPrefix(why, string(f)) {
			t.Errorf("AutoMemoryFormat(%v, %v) = %q, %q: want channels-last %v, the reason naming the layout", c.dev, c.prec, f, why, c.want)
		}
	}
}

// TestContiguousOnSmallWideMaps: the convolutions auto keeps NCHW are the dense ones with
// ≥ 512 output channels on maps of at most 4×4 — at width 64 on 28-pixel views, ResNet-18's
// last stage (4×4), not the third (7×7); at width 16 none.
func TestContiguousOnSmallWideMaps(t *testing.T) {
	cases := []struct {
		name string
		conv models.ConvSpec
		out  models.MapSize
		want bool
	}{
		{"width 64 last stage 3×3", models.ConvSpec{In: 512, Out: 512, Kernel: 3, Stride: 1, Groups: 1}, models.MapSize{H: 4, W: 4}, true},
		{"width 64 last stage shortcut", models.ConvSpec{In: 256, Out: 512, Kernel: 1, Stride: 2, Groups: 1}, models.MapSize{H: 4, W: 4}, true},
		{"local views 2×2", models.ConvSpec{In: 512, Out: 512, Kernel: 3, Stride: 1, Groups: 1}, models.MapSize{H: 2, W: 2}, true},
		{"width 64 third stage 7×7", models.ConvSpec{In: 256, Out: 256, Kernel: 3, Stride: 1, Groups: 1}, models.MapSize{H: 7, W: 7}, false},
		{"512 channels on 5×5", models.ConvSpec{In: 512, Out: 512, Kernel: 3, Stride: 1, Groups: 1}, models.MapSize{H: 5, W: 5}, false},
		{"width 32 last stage", models.ConvSpec{In: 256, Out: 256, Kernel: 3, Stride: 1, Groups: 1}, models.MapSize{H: 4, W: 4}, false},
		{"depthwise", models.ConvSpec{In: 960, Out: 960, Kernel: 3, Stride: 1, Groups: 960}, models.MapSize{H: 4, W: 4}, false},
	}
	for _, c := range cases {
		if got := ContiguousOnSmallWideMaps(c.conv, c.out); got != c.want {
			t.Errorf("%s: contiguous %v, want %v", c.name, got, c.want)
		}
	}
}
