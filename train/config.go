package train

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/optim"
	"github.com/scl-dev/scl/train/multicrop"
	"github.com/scl-dev/scl/train/schedule"
)

// Precision is the arithmetic of the forward and backward passes.
type Precision int

const (
	// FP32 trains in float32 throughout.
	FP32 Precision = iota
	// FP16 autocasts to float16 with the dynamic loss scaler (CUDA).
	FP16
	// BF16 autocasts to bfloat16; no scaler is needed.
	BF16
	// FP64 trains in float64 throughout (parameters, buffers, optimizer state, views): slow,
	// for checking the trainer against the reference's float64 training steps and debugging.
	FP64
)

// String returns "fp32", "fp16", "bf16" or "fp64".
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case FP16:
		return "fp16"
	case BF16:
		return "bf16"
	case FP64:
		return "fp64"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// ParsePrecision parses "fp32", "fp16", "bf16" or "fp64" (also "float32", "float16",
// "bfloat16", "float64").
func ParsePrecision(s string) (Precision, error) {
	switch strings.ToLower(s) {
	case "fp32", "float32", "32":
		return FP32, nil
	case "fp16", "float16", "half", "16":
		return FP16, nil
	case "bf16", "bfloat16":
		return BF16, nil
	case "fp64", "float64", "double", "64":
		return FP64, nil
	}
	return FP32, fmt.Errorf("train: precision %q: want fp32, fp16, bf16 or fp64", s)
}

// Optimizers accepted in [Config].Optimizer (torch/optim's kinds, named here for callers).
const (
	// OptimizerAdam is Adam with coupled L2 weight decay (added to the gradient), the reference's.
	OptimizerAdam = optim.KindAdam
	// OptimizerAdamW is Adam with decoupled weight decay.
	OptimizerAdamW = optim.KindAdamW
	// OptimizerLARS is SGD with momentum and layer-wise adaptive rate scaling.
	OptimizerLARS = optim.KindLARS
)

// LR schedules accepted in [Config].LRSchedule (torch/optim's schedule kinds).
const (
	// LRConstant keeps the learning rate fixed (the reference's behaviour), after the optional warm-up.
	LRConstant = optim.ScheduleConstant
	// LRCosine decays the learning rate to 0 over the run with a half cosine, after the warm-up.
	LRCosine = optim.ScheduleCosine
	// LRWSD holds the learning rate after the warm-up and decays it linearly to 0 over the last
	// LRDecayFraction of the run (warm-up, stable, decay).
	LRWSD = optim.ScheduleWSD
)

// DefaultLRDecayFraction is the share of the run over which LRWSD decays the learning rate.
const DefaultLRDecayFraction = 0.2

// MemoryFormat is the memory layout of the networks' convolution weights and inputs.
type MemoryFormat string

const (
	// MemoryAuto is the layout measured faster for scl's step on this kind of device and
	// precision (bench/train): see AutoMemoryFormat.
	MemoryAuto MemoryFormat = "auto"
	// MemoryContiguous is libtorch's default NCHW layout.
	MemoryContiguous MemoryFormat = "contiguous"
	// MemoryChannelsLast is the NHWC layout.
	MemoryChannelsLast MemoryFormat = "channels-last"
)

// ParseMemoryFormat reads auto, contiguous or channels-last.
func ParseMemoryFormat(s string) (MemoryFormat, error) {
	switch m := MemoryFormat(strings.ToLower(s)); m {
	case MemoryAuto, MemoryContiguous, MemoryChannelsLast:
		return m, nil
	}
	return MemoryAuto, fmt.Errorf("train: memory format %q: want auto, contiguous or channels-last", s)
}

// ChannelsLast reports whether the run lays its convolutions out channels-last on a device
// of type dev (MemoryFormat; unset is auto, AutoMemoryFormat).
func (c Config) ChannelsLast(dev torch.DeviceType) bool {
	if c.MemoryFormat == "" || c.MemoryFormat == MemoryAuto {
		f, _ := AutoMemoryFormat(dev, c.Precision)
		return f == MemoryChannelsLast
	}
	return c.MemoryFormat == MemoryChannelsLast
}

// AutoMemoryFormat is the layout --memory-format auto picks for a device type and precision,
// with the reason (for the start-up message). On the CPU it is channels-last for fp32 and bf16:
// oneDNN's convolutions run NHWC without reordering their inputs and outputs, and scl's whole
// step ran 19–20% faster than NCHW on the 2-core AVX-512 development CPU, at width 16 bf16
// (the demo's) and width 64 fp32 (the reference's), measured alternating in one session
// (bench/train/README.md). float64, which oneDNN does not compute, and CUDA, which has not been
// measured, stay contiguous. Where it picks channels-last, the convolutions that
// ContiguousOnSmallWideMaps picks stay NCHW (Config.ContiguousConv).
func AutoMemoryFormat(dev torch.DeviceType, p Precision) (MemoryFormat, string) {
	switch {
	case dev != torch.CPUDevice:
		return MemoryContiguous, "contiguous (NCHW): channels-last is not measured on " + dev.String() + " yet; --memory-format channels-last to try it"
	case p == FP64:
		return MemoryContiguous, "contiguous (NCHW): float64 convolutions do not run on oneDNN"
	}
	return MemoryChannelsLast, "channels-last (NHWC): scl's step measured about 20% faster than NCHW on the CPU (bench/train), " +
		"except convolutions with ≥ 512 channels on maps of at most 4×4, which stay NCHW (oneDNN's NHWC kernel measured 1.8× slower on them); " +
		"--memory-format contiguous for NCHW, channels-last for NHWC throughout"
}

// ContiguousConv is the rule by which a run keeps some convolutions contiguous (NCHW) in a
// channels-last network (torchnet.Options.ContiguousConv), or nil for none. --memory-format auto
// applies ContiguousOnSmallWideMaps wherever it picks channels-last; an explicit channels-last
// lays out every convolution NHWC.
func (c Config) ContiguousConv(dev torch.DeviceType) func(models.ConvSpec, models.MapSize) bool {
	if (c.MemoryFormat == "" || c.MemoryFormat == MemoryAuto) && c.ChannelsLast(dev) {
		return ContiguousOnSmallWideMaps
	}
	return nil
}

// ContiguousConvNames names the encoder convolutions that the run keeps contiguous (NCHW) in
// its channels-last network on a device of type dev (ContiguousConv), in network order: none
// when no rule applies or no convolution qualifies.
func (c Config) ContiguousConvNames(dev torch.DeviceType) ([]string, error) {
	pick := c.ContiguousConv(dev)
	if pick == nil {
		return nil, nil
	}
	mcfg, err := c.ModelConfig()
	if err != nil {
		return nil, err
	}
	enc, err := models.Encoder(mcfg)
	if err != nil {
		return nil, err
	}
	marks, err := enc.ConvsWhere(c.ImageSize, c.ImageSize, pick)
	if err != nil {
		return nil, err
	}
	var names []string
	for i, marked := range marks {
		if marked {
			names = append(names, enc.Nodes[i].Name)
		}
	}
	return names, nil
}

// ContiguousOnSmallWideMaps picks the dense convolutions with at least 512 output channels
// whose output maps are at most 4×4 (ResNet-18's last stage at width 64 on 28-pixel views).
// On these, oneDNN 2.6 (libtorch 1.13's) runs NHWC inputs through its "brgconv" forward kernel,
// which took 22 ms per call against 12 ms for the blocked kernel it uses on NCHW inputs
// (64×512×4×4, 3×3; ONEDNN_VERBOSE in scl's step on the 2-core AVX-512 development CPU), and
// its NHWC backward-data kernel 17 against 10 ms; converting the small maps costs far less.
// oneDNN's time per step fell from 2.37 to 2.01 s at width 64 fp32. Narrower last stages
// (width 16 and 32: 128 and 256 channels) measured no gain or a loss, so they stay NHWC.
func ContiguousOnSmallWideMaps(c models.ConvSpec, out models.MapSize) bool {
	return c.Groups == 1 && c.Out >= 512 && out.H*out.W <= 16
}

// Horizon says where a schedule (the learning-rate decay, the β cosine) ends.
type Horizon string

const (
	// HorizonEpochs ends them after Epochs (or MaxSteps), the reference's behaviour.
	HorizonEpochs Horizon = "epochs"
	// HorizonTime ends them at the step MaxDuration is expected to stop at, re-estimated from
	// the measured step rate while training: a time-bounded run gets whole schedules.
	HorizonTime Horizon = "time"
)

// lrDecayFraction returns c.LRDecayFraction, DefaultLRDecayFraction when unset.
func (c Config) lrDecayFraction() float64 {
	if c.LRDecayFraction == 0 {
		return DefaultLRDecayFraction
	}
	return c.LRDecayFraction
}

// horizon returns c.Horizon, HorizonEpochs when unset (configurations saved before it existed).
func (c Config) horizon() Horizon {
	if c.Horizon == "" {
		return HorizonEpochs
	}
	return c.Horizon
}

// betaHorizon returns where the β schedule ends: c.BetaHorizon, or the learning rate's horizon
// when unset.
func (c Config) betaHorizon() Horizon {
	if c.BetaHorizon == "" {
		return c.horizon()
	}
	return c.BetaHorizon
}

// timeHorizon reports whether either schedule ends with the time budget.
func (c Config) timeHorizon() bool {
	return c.horizon() == HorizonTime || c.betaHorizon() == HorizonTime
}

// ParseHorizon reads "epochs" or "time".
func ParseHorizon(s string) (Horizon, error) {
	switch h := Horizon(strings.ToLower(s)); h {
	case HorizonEpochs, HorizonTime:
		return h, nil
	}
	return HorizonEpochs, fmt.Errorf("train: schedule horizon %q: want epochs or time", s)
}

// Stem selects the ResNet input stem, or lets the image size choose it.
type Stem string

// Stems accepted in [Config].Stem.
const (
	// StemAuto picks the CIFAR stem for images of at most 32 pixels a side (cifar10 as in the
	// reference, and fashion_mnist), the ImageNet stem otherwise.
	StemAuto Stem = "auto"
	// StemCIFAR is the 3×3 stride-1 conv without max-pool.
	StemCIFAR Stem = "cifar"
	// StemImageNet is the 7×7 stride-2 conv with a max-pool.
	StemImageNet Stem = "imagenet"
	// StemCIFARStride2 is the CIFAR stem's conv with stride 2: full-resolution input, stages at
	// half resolution (a quarter of the CIFAR stem's cost at equal width).
	StemCIFARStride2 Stem = "cifar-s2"
)

// ParseStem reads "auto", "cifar", "cifar-s2" or "imagenet" (in any case).
func ParseStem(s string) (Stem, error) {
	st := Stem(strings.ToLower(strings.TrimSpace(s)))
	if err := st.Validate(); err != nil {
		return "", err
	}
	return st, nil
}

// Validate reports an unknown stem.
func (s Stem) Validate() error {
	switch s {
	case StemAuto, StemCIFAR, StemCIFARStride2, StemImageNet:
		return nil
	}
	return fmt.Errorf("train: stem %q: want auto, cifar, cifar-s2 or imagenet", string(s))
}

// Config is everything a training run needs besides its data. Build one with [DefaultConfig]
// and change fields; zero values are not defaults (γ = 0 and α = 0 are meaningful).
type Config struct {
	// Encoder is the backbone (read names with ParseEncoder: "efficientnet" is the reference's
	// name for EfficientNetV2-S).
	Encoder models.Arch
	// Stem is StemCIFAR (3×3/1 conv, no max-pool), StemCIFARStride2 (3×3/2 conv, no max-pool),
	// StemImageNet (7×7/2 + max-pool) or StemAuto (CIFAR stem for CIFAR-sized images, at most 32 pixels a side:
	// cifar10 as in the reference, and fashion_mnist).
	Stem Stem
	// InChannels is the number of input channels of the encoder (3: grey images are replicated).
	InChannels int
	// Width is a ResNet's base width, the channels of its stem and first stage (64 is the
	// torchvision network; smaller values make CPU tests fast). Ignored by EfficientNets.
	Width int
	// LastStageWidth is a ResNet's fourth-stage planes (0: 8·Width, torchvision's): the
	// feature dimension of a ResNet-18.
	LastStageWidth int
	// ProjHidden and ProjOut are the projector's hidden and output sizes (512, 64).
	ProjHidden, ProjOut int
	// ImageSize is the global view size s in pixels; the local views are int(s·3/7).
	ImageSize int
	// EvalImageSize is the encoder's input size downstream (0: ImageSize): the kNN monitor's
	// and the probe's images are resized to it, and it is the preprocessing checkpoints record
	// for scl export and scl embed. Training on views smaller than the images and encoding
	// the images at their own size is cheaper per step and sees objects at the apparent size
	// the random crops made them (Touvron et al. 2019, "Fixing the train-test resolution
	// discrepancy").
	EvalImageSize int `json:",omitzero"`

	// GlobalViews and LocalViews are G and Lc (2 and 4).
	GlobalViews, LocalViews int
	// Views changes the views' crops, local size, blur, solarize and jitter (zero: SPEC §6).
	Views augment.Recipe `json:",omitzero"`
	// BatchSize is B (256); MiniBatchSize is mb (0: no mini-batching). B must be divisible by mb.
	BatchSize, MiniBatchSize int
	// Epochs is the number of passes over the data set (100).
	Epochs int
	// MaxSteps, when positive, stops after that many optimizer steps in all (a bounded budget);
	// schedules still use Epochs for their horizons.
	MaxSteps int
	// MaxDuration, when positive, stops (with a checkpoint) after that much training time: the
	// wall-clock time of this process's training loop less the pauses for the periodic kNN
	// monitor (EvalEvery) and for checkpoints, so that watching or saving a run does not
	// shorten it.
	MaxDuration time.Duration

	// Optimizer is adam (coupled L2, the reference's), adamw or lars.
	Optimizer optim.Kind
	// LR is the peak learning rate (3e-4); WeightDecay the decay (1e-5).
	LR, WeightDecay float64
	// LRSchedule is constant (the reference's), cosine or wsd; WarmupSteps a linear warm-up from
	// 0 to LR before it (0: none).
	LRSchedule  optim.ScheduleKind
	WarmupSteps int
	// LRDecayFraction is the share of the run over which wsd decays the learning rate to 0, in
	// (0, 1] (0: DefaultLRDecayFraction).
	LRDecayFraction float64 `json:",omitempty"`
	// Horizon is where the learning-rate schedule ends, and the β schedule unless BetaHorizon
	// is set: after Epochs (HorizonEpochs, the default) or at the end of MaxDuration
	// (HorizonTime, estimated from the step rate).
	Horizon Horizon `json:",omitempty"`
	// BetaHorizon is where the β cosine ends when it should differ from Horizon's (empty: where
	// Horizon says). A wsd decay at the end of a time budget with β's horizon left at the
	// epochs keeps the target following the online network through the decay.
	BetaHorizon Horizon `json:",omitempty"`
	// Momentum is LARS's momentum (0.9); TrustCoefficient LARS's η (0.001).
	Momentum, TrustCoefficient float64

	// Alpha is the weight α of the KL invariance term (1.0).
	Alpha float64
	// Gamma is the confidence-penalty schedule (γ₀ = 1.0, constant unless scaling is on over
	// 20000 steps).
	Gamma schedule.Gamma
	// InitTau and InitBias are τ₀ = ln 5 and b₀ = −5; MaxScale is the clamp on exp(τ) (5).
	// The default τ₀ is ln 5 rounded to float32, the reference's value in every precision (it
	// creates τ as a float32 scalar): exp(τ₀) is then just above 5, so the clamp gives τ no
	// gradient from the loss until weight decay has pulled it below ln 5.
	InitTau, InitBias, MaxScale float64
	// PenaltyFiltering turns on hard filtering of off-diagonal entries after
	// FilteringWarmupSteps (5000) steps, keeping entries with weight above FilteringThreshold (0.05).
	PenaltyFiltering     bool
	FilteringWarmupSteps int
	FilteringThreshold   float64

	// Beta is β₀ (0.995); UpdateBetaAfter the last hard-copy step (1); UpdateBetaEvery the EMA
	// period (1).
	Beta            float64
	UpdateBetaAfter int
	UpdateBetaEvery int
	// EMASkipFloat64 leaves float64 tensors out of the EMA update, as the reference's does (it
	// moves only float32 and float16 tensors): with precision fp64 the target network then stays
	// at its last hard copy. Only for reproducing the reference's float64 training steps.
	EMASkipFloat64 bool `json:",omitempty"`

	// Precision is fp32, fp16 (CUDA, with the loss scaler), bf16 or fp64 (reference checks).
	Precision Precision
	// Device is auto (CUDA if libtorch sees a GPU), cpu, cuda or cuda:N.
	Device device.Spec
	// Threads, when positive, sets libtorch's CPU thread count.
	Threads int
	// MemoryFormat lays convolution weights and inputs out contiguous or channels-last (auto,
	// the default: see MemoryAuto). A mechanic of the run: results agree to rounding.
	MemoryFormat MemoryFormat `json:",omitempty"`
	// Seed seeds parameter initialisation, the data order and the augmentations (42).
	Seed int64

	// OutDir receives checkpoints (OutDir/checkpoints/step-NNNNNNNN) and metrics.jsonl.
	OutDir string
	// CheckpointEvery writes a checkpoint every N optimizer steps (0: only at the end and on
	// interruption); KeepCheckpoints keeps the newest K (3; 0 keeps all).
	CheckpointEvery, KeepCheckpoints int
	// CheckpointAt writes a checkpoint after the first step at or past each of these times of
	// the run (training time, measured like MaxDuration from the start of this process's
	// training loop), and
	// a metrics record naming it: one run leaves the states a set of shorter wall-clock budgets
	// would have ended at. They are pruned like the others unless KeepCheckpoints is 0.
	CheckpointAt []time.Duration `json:",omitempty"`
	// Resume names a checkpoint directory to continue from, or "auto" for the newest checkpoint
	// under OutDir ("" starts afresh).
	Resume string
	// ResumeOverride names settings (as ResumeDiffs reports them, "all" for every one) that a
	// resumed run may change from its checkpoint's; any other difference refuses the resume.
	ResumeOverride []string `json:"-"`
	// LogEvery writes a metrics record every N steps (10; the last step is always recorded).
	LogEvery int
	// Plot renders the curves of metrics.jsonl to curves.png at the end of the run (true).
	Plot bool
	// EvalEvery runs the kNN monitor every N steps when an evaluation split is given (0: only at
	// the end); EvalK is its k (200).
	EvalEvery, EvalK int
}

// DefaultConfig returns the reference's defaults (SPEC §3–5) on a ResNet-18 at 96 pixels.
func DefaultConfig() Config {
	return Config{
		Encoder:              models.ResNet18,
		Stem:                 StemAuto,
		InChannels:           3,
		Width:                64,
		ProjHidden:           512,
		ProjOut:              64,
		ImageSize:            96,
		GlobalViews:          2,
		LocalViews:           4,
		BatchSize:            256,
		Epochs:               100,
		Optimizer:            OptimizerAdam,
		LR:                   3e-4,
		WeightDecay:          1e-5,
		LRSchedule:           LRConstant,
		Momentum:             0.9,
		TrustCoefficient:     0.001,
		Alpha:                1.0,
		Gamma:                schedule.Gamma{Initial: 1.0, Steps: 20000},
		InitTau:              float64(float32(math.Log(5))),
		InitBias:             -5,
		MaxScale:             5,
		FilteringWarmupSteps: 5000,
		FilteringThreshold:   0.05,
		Beta:                 0.995,
		UpdateBetaAfter:      1,
		UpdateBetaEvery:      1,
		Precision:            FP32,
		Device:               device.AutoSpec,
		Seed:                 42,
		OutDir:               "runs/scl",
		CheckpointEvery:      1000,
		KeepCheckpoints:      3,
		LogEvery:             10,
		EvalK:                200,
		Plot:                 true,
	}
}

// ModelStem returns the stem the configuration builds: StemCIFAR, StemCIFARStride2 and
// StemImageNet as they say, StemAuto the CIFAR stem for images of at most 32 pixels a side and
// the ImageNet stem otherwise.
func (c Config) ModelStem() models.Stem {
	switch c.Stem {
	case StemCIFAR:
		return models.StemCIFAR
	case StemCIFARStride2:
		return models.StemCIFARStride2
	case StemImageNet:
		return models.StemImageNet
	}
	if c.ImageSize <= 32 {
		return models.StemCIFAR
	}
	return models.StemImageNet
}

// DownstreamImageSize is the input size the encoder is evaluated and exported at:
// EvalImageSize, or ImageSize when that is 0.
func (c Config) DownstreamImageSize() int {
	if c.EvalImageSize > 0 {
		return c.EvalImageSize
	}
	return c.ImageSize
}

// LocalSize returns the local view size: int(s·3/7) (SPEC §6) unless Views sets it.
func (c Config) LocalSize() int { return c.Views.LocalSide(c.ImageSize) }

// Validate checks every field and returns all problems at once, each naming the field and
// the expected value.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("train: "+format, args...)) }
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

	if _, err := ParseEncoder(string(c.Encoder)); err != nil {
		errs = append(errs, err)
	}
	if err := c.Stem.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.InChannels < 1 {
		bad("input channels %d: want ≥ 1", c.InChannels)
	}
	if c.Width < 1 {
		bad("width %d: want ≥ 1 (64 is the torchvision ResNet)", c.Width)
	}
	if c.LastStageWidth < 0 {
		bad("last stage width %d: want ≥ 1 (0: 8·width)", c.LastStageWidth)
	}
	if c.ProjHidden < 1 || c.ProjOut < 1 {
		bad("projector dims %d→%d: want both ≥ 1", c.ProjHidden, c.ProjOut)
	}
	if c.ImageSize < 7 {
		bad("image size %d: want ≥ 7 (local views are int(s·3/7) pixels)", c.ImageSize)
	}
	if c.EvalImageSize != 0 && c.EvalImageSize < 7 {
		bad("evaluation image size %d: want ≥ 7, or 0 for the image size", c.EvalImageSize)
	}
	if _, err := multicrop.Pairs(c.GlobalViews, c.LocalViews); err != nil {
		errs = append(errs, fmt.Errorf("train: views: %w", err))
	}
	if err := c.Views.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("train: views: %w", err))
	}
	if _, err := multicrop.Slices(c.BatchSize, c.MiniBatchSize); err != nil {
		errs = append(errs, fmt.Errorf("train: batch: %w", err))
	}
	if c.Epochs < 1 {
		bad("epochs %d: want ≥ 1", c.Epochs)
	}
	if c.MaxSteps < 0 {
		bad("max steps %d: want ≥ 0 (0: no limit)", c.MaxSteps)
	}
	if err := c.Optimizer.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("train: %w", err))
	}
	if !(c.LR > 0) || !finite(c.LR) {
		bad("learning rate %v: want > 0", c.LR)
	}
	if !(c.WeightDecay >= 0) || !finite(c.WeightDecay) {
		bad("weight decay %v: want ≥ 0", c.WeightDecay)
	}
	if err := c.LRSchedule.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("train: %w", err))
	}
	if f := c.LRDecayFraction; !(f >= 0 && f <= 1) {
		bad("lr decay fraction %v: want in (0, 1] (0: %v)", f, DefaultLRDecayFraction)
	}
	if c.WarmupSteps < 0 {
		bad("warm-up steps %d: want ≥ 0", c.WarmupSteps)
	}
	switch c.MemoryFormat {
	case "", MemoryAuto, MemoryContiguous, MemoryChannelsLast:
	default:
		bad("memory format %q: want auto, contiguous or channels-last", c.MemoryFormat)
	}
	for _, h := range []struct {
		name  string
		value Horizon
	}{{"schedule horizon", c.Horizon}, {"beta horizon", c.BetaHorizon}} {
		switch h.value {
		case "", HorizonEpochs:
		case HorizonTime:
			if c.MaxDuration <= 0 {
				bad("%s time needs a time budget (max-time > 0)", h.name)
			}
		default:
			bad("%s %q: want epochs or time", h.name, h.value)
		}
	}
	if c.Optimizer == OptimizerLARS {
		if !(c.Momentum >= 0 && c.Momentum < 1) {
			bad("momentum %v: want in [0, 1)", c.Momentum)
		}
		if !(c.TrustCoefficient > 0) || !finite(c.TrustCoefficient) {
			bad("LARS trust coefficient %v: want > 0", c.TrustCoefficient)
		}
	}
	if !(c.Alpha >= 0) || !finite(c.Alpha) {
		bad("alpha %v: want a finite value ≥ 0", c.Alpha)
	}
	if err := c.Gamma.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("train: %w", err))
	}
	if !finite(c.InitTau) || !finite(c.InitBias) {
		bad("initial τ %v and b %v: want finite values", c.InitTau, c.InitBias)
	}
	if !(c.MaxScale > 0) || !finite(c.MaxScale) {
		bad("max scale %v: want > 0", c.MaxScale)
	}
	if c.PenaltyFiltering {
		if c.FilteringWarmupSteps < 0 {
			bad("filtering warm-up steps %d: want ≥ 0", c.FilteringWarmupSteps)
		}
		if !(c.FilteringThreshold >= 0 && c.FilteringThreshold <= 1) {
			bad("filtering threshold %v: want in [0, 1]", c.FilteringThreshold)
		}
	}
	ema := schedule.EMA{Base: c.Beta, UpdateAfter: c.UpdateBetaAfter, Every: c.UpdateBetaEvery, Total: 1}
	if err := ema.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("train: %w", err))
	}
	switch c.Precision {
	case FP32, FP16, BF16, FP64:
	default:
		bad("precision %v: want fp32, fp16, bf16 or fp64", c.Precision)
	}
	if err := c.Device.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("train: %w", err))
	}
	if c.OutDir == "" {
		bad("output directory is empty: want a path")
	}
	if c.CheckpointEvery < 0 || c.KeepCheckpoints < 0 {
		bad("checkpoint every %d, keep %d: want both ≥ 0", c.CheckpointEvery, c.KeepCheckpoints)
	}
	for i, at := range c.CheckpointAt {
		if at <= 0 || (i > 0 && at <= c.CheckpointAt[i-1]) {
			bad("checkpoint times %v: want positive durations in increasing order", c.CheckpointAt)
			break
		}
	}
	if c.LogEvery < 1 {
		bad("log every %d steps: want ≥ 1", c.LogEvery)
	}
	if c.EvalEvery < 0 || c.EvalK < 1 {
		bad("eval every %d, k %d: want every ≥ 0 and k ≥ 1", c.EvalEvery, c.EvalK)
	}
	return errors.Join(errs...)
}

// ParseEncoder maps an encoder name to its architecture: "resnet18", "resnet50", and
// "efficientnet" (the reference's name for torchvision's efficientnet_v2_s), "efficientnet_v2_s",
// "efficientnet_b0".
func ParseEncoder(name string) (models.Arch, error) {
	switch strings.ToLower(name) {
	case "resnet18":
		return models.ResNet18, nil
	case "resnet50":
		return models.ResNet50, nil
	case "efficientnet", "efficientnet_v2_s", "efficientnetv2s":
		return models.EfficientNetV2S, nil
	case "efficientnet_b0", "efficientnetb0":
		return models.EfficientNetB0, nil
	}
	return "", fmt.Errorf("train: encoder %q: want resnet18, resnet50, efficientnet (v2-s) or efficientnet_b0", name)
}

// ModelConfig returns the architecture of the networks the configuration trains.
func (c Config) ModelConfig() (models.Config, error) {
	arch, err := ParseEncoder(string(c.Encoder))
	if err != nil {
		return models.Config{}, err
	}
	m := models.Config{Arch: arch, Stem: c.ModelStem(), InChannels: c.InChannels, Width: c.Width,
		LastStageWidth: c.LastStageWidth, ProjectorHidden: c.ProjHidden, ProjectorOut: c.ProjOut}.WithDefaults()
	return m, m.Validate()
}
