//go:build !notorch

package train

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/models/torchnet"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/amp"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/optim"
	"github.com/scl-dev/scl/train/loss"
	"github.com/scl-dev/scl/train/multicrop"
	"github.com/scl-dev/scl/train/parallel"
	"github.com/scl-dev/scl/train/schedule"
)

// Trainer holds the networks, the optimizer and the schedules' position of one run. Build it
// with NewTrainer (fresh) and optionally Restore a checkpoint; Step takes one optimizer step.
// Not safe for concurrent use. The caller must Close it.
type Trainer struct {
	cfg    Config
	dev    torch.Device
	online *torchnet.Model
	target *torchnet.Model
	// lossStore holds the loss's learnable scalars "tau" and "bias".
	lossStore *nn.Store
	tau, bias *torch.Tensor
	params    []*nn.Var // online parameters, then τ and b
	varPairs  [][2]*nn.Var
	opt       optim.Optimizer
	lr        optim.Schedule
	scaler    *amp.Scaler
	pairs     []multicrop.Pair
	slices    []multicrop.Slice
	ema       schedule.EMA

	// autocast is the low-precision type of the forward passes (Default: none); dtype the type
	// of the parameters, buffers and inputs (Float64 with precision fp64, else Float32).
	autocast torch.DType
	dtype    torch.DType
	// channelsLast lays convolution weights and inputs out NHWC (Config.ChannelsLast).
	channelsLast bool
	// profile receives the phase times of each Step (SetProfile; nil: not timed), clk times
	// the step in progress.
	profile *StepProfile
	clk     phaseClock
	// sess is the data-parallel job (nil: one process); localBatch the rows of a batch this
	// process holds (the batch size divided by the world size).
	sess       *parallel.Session
	localBatch int

	// Position: optimizer steps completed, and where the next batch comes from.
	step, epoch, batch int
	stepsPerEpoch      int
	beta               float64
}

// ErrNonFinite is returned (wrapped) by Step when the loss is NaN or infinite in fp32 or bf16.
// The parameters are left as they were before the step.
var ErrNonFinite = errors.New("train: loss is not finite")

// StepResult describes one optimizer step.
type StepResult struct {
	// Step is the number of optimizer steps completed after this one.
	Step int
	// Loss and KL are the step loss (mean over pairs, summed over mini-batch slices divided by
	// their number) and its KL part.
	Loss, KL float64
	// Gamma and LR are the values the step used; Beta is β after the step's EMA update.
	Gamma, LR, Beta float64
	// Scale is exp(τ) and Bias is b after the step.
	Scale, Bias float64
	// LossScale is the fp16 loss scale after the step (1 otherwise); Skipped reports a step the
	// scaler skipped because of inf/NaN gradients.
	LossScale float64
	Skipped   bool
	// EMA is what happened to the target network.
	EMA schedule.EMAAction
	// Filtering reports that the loss used penalty filtering (on, and past its warm-up).
	Filtering bool
}

// NewTrainer builds freshly initialised online and target networks (torchvision's rules,
// libtorch's generator seeded with cfg.Seed), τ₀ and b₀, and the optimizer, for a data set
// giving stepsPerEpoch batches per epoch.
func NewTrainer(cfg Config, stepsPerEpoch int) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stepsPerEpoch < 1 {
		return nil, fmt.Errorf("train: %d batches per epoch: want ≥ 1 (the data set must hold at least one batch of %d images)", stepsPerEpoch, cfg.BatchSize)
	}
	dev, err := torch.ResolveDevice(cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if cfg.Precision == FP16 && dev.Type != torch.CUDADevice {
		return nil, fmt.Errorf("train: precision fp16 needs a CUDA device (device %s): use fp32 or bf16", dev)
	}
	if cfg.Threads > 0 {
		torch.SetNumThreads(cfg.Threads)
	}
	// Keep the step's activation buffers in malloc's heap rather than mapping them afresh every
	// step (torch.KeepAllocations).
	torch.KeepAllocations()
	mcfg, err := cfg.ModelConfig()
	if err != nil {
		return nil, err
	}
	t := &Trainer{cfg: cfg, dev: dev, stepsPerEpoch: stepsPerEpoch, beta: cfg.Beta, localBatch: cfg.BatchSize, dtype: torch.Float32}
	if cfg.Precision == FP64 {
		t.dtype = torch.Float64
	}
	ok := false
	defer func() {
		if !ok {
			t.Close()
		}
	}()
	if err := torch.ManualSeed(uint64(cfg.Seed)); err != nil {
		return nil, err
	}
	t.channelsLast = cfg.ChannelsLast(dev.Type)
	netOpts := torchnet.Options{DType: t.dtype, ChannelsLast: t.channelsLast,
		ContiguousConv: cfg.ContiguousConv(dev.Type), ViewSize: cfg.ImageSize}
	if t.online, err = torchnet.NewWith(mcfg, dev, netOpts); err != nil {
		return nil, fmt.Errorf("train: online network: %w", err)
	}
	if t.target, err = torchnet.NewWith(mcfg, dev, netOpts); err != nil {
		return nil, fmt.Errorf("train: target network: %w", err)
	}
	if err := t.target.Store.CopyFrom(t.online.Store); err != nil {
		return nil, fmt.Errorf("train: target network: %w", err)
	}
	for _, v := range t.target.Store.Params() {
		if err := v.T.SetRequiresGrad(false); err != nil {
			return nil, err
		}
	}
	if t.varPairs, err = pairVars(t.online.Store, t.target.Store); err != nil {
		return nil, err
	}
	t.lossStore = nn.NewStoreOf(dev, t.dtype)
	t.tau = t.lossStore.Root().Param("tau", nn.Const(cfg.InitTau))
	t.bias = t.lossStore.Root().Param("bias", nn.Const(cfg.InitBias))
	if err := t.lossStore.Err(); err != nil {
		return nil, fmt.Errorf("train: loss parameters: %w", err)
	}
	t.params = append(t.online.Store.Params(), t.lossStore.Params()...)
	if t.opt, t.lr, err = newOptimizer(cfg, t.params, stepsPerEpoch); err != nil {
		return nil, err
	}
	t.scaler = amp.NewScaler(amp.Config{Disabled: cfg.Precision != FP16})
	switch cfg.Precision {
	case FP16:
		t.autocast = torch.Float16
	case BF16:
		t.autocast = torch.BFloat16
	}
	if t.pairs, err = multicrop.Pairs(cfg.GlobalViews, cfg.LocalViews); err != nil {
		return nil, err
	}
	if t.slices, err = multicrop.Slices(cfg.BatchSize, cfg.MiniBatchSize); err != nil {
		return nil, err
	}
	t.ema = schedule.EMA{Base: cfg.Beta, UpdateAfter: cfg.UpdateBetaAfter, Every: cfg.UpdateBetaEvery,
		Total: schedule.TotalSteps(stepsPerEpoch, cfg.Epochs, cfg.UpdateBetaAfter)}
	if err := t.ema.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	ok = true
	return t, nil
}

// SetLRHorizon moves the end of the learning-rate decay (cosine or wsd) to step last. The
// steps already taken keep their values; the Runner calls it as a time-bounded run's estimate
// of its last step improves (Config.Horizon).
func (t *Trainer) SetLRHorizon(last int) error {
	if err := t.checkHorizon(last); err != nil {
		return err
	}
	sched, err := optim.NewSchedule(t.cfg.LRSchedule, t.cfg.LR, int64(t.cfg.WarmupSteps), int64(max(last, t.cfg.WarmupSteps)),
		t.cfg.lrDecayFraction())
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	t.lr = sched
	return nil
}

// SetBetaHorizon moves the end of the β cosine to step last: its K becomes last + 2·(steps per
// epoch) − update-after, the reference's relation between K and the last step
// (Config.BetaHorizon).
func (t *Trainer) SetBetaHorizon(last int) error {
	if err := t.checkHorizon(last); err != nil {
		return err
	}
	t.ema.Total = schedule.TotalSteps(t.stepsPerEpoch, 0, t.cfg.UpdateBetaAfter) + last
	return t.ema.Validate()
}

// checkHorizon refuses a schedule end before the current step.
func (t *Trainer) checkHorizon(last int) error {
	if last < max(t.step, 1) {
		return fmt.Errorf("train: schedule horizon %d: want ≥ the current step %d", last, t.step)
	}
	return nil
}

// newOptimizer builds the optimizer over params and its learning-rate schedule, whose horizon
// is the run's last step (Epochs of stepsPerEpoch, or MaxSteps when smaller).
func newOptimizer(cfg Config, params []*nn.Var, stepsPerEpoch int) (optim.Optimizer, optim.Schedule, error) {
	total := int64(stepsPerEpoch) * int64(cfg.Epochs)
	if cfg.MaxSteps > 0 && int64(cfg.MaxSteps) < total {
		total = int64(cfg.MaxSteps)
	}
	sched, err := optim.NewSchedule(cfg.LRSchedule, cfg.LR, int64(cfg.WarmupSteps), total, cfg.lrDecayFraction())
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	opt, err := optim.New(params, optim.Config{Kind: cfg.Optimizer, LR: cfg.LR, WeightDecay: cfg.WeightDecay,
		Momentum: cfg.Momentum, TrustCoefficient: cfg.TrustCoefficient})
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	return opt, sched, nil
}

// Attach joins the trainer to a data-parallel job (nil: one process, nothing to do): rank 0's
// state — both networks with their buffers, τ and b — is broadcast to every process, gradients
// are averaged over the processes before each optimizer step, and the loss scores this
// process's rows against the whole global batch (parallel.StepLoss). Batches given to Step then
// hold batch-size/world rows (the loader's share for this rank), and mini-batch slices
// mini-batch-size/world rows. Call it after Restore when resuming, before the first Step; the
// session stays owned by the caller.
func (t *Trainer) Attach(sess *parallel.Session) error {
	if sess == nil {
		return nil
	}
	lb, lmb, err := sess.LocalSizes(t.cfg.BatchSize, t.cfg.MiniBatchSize)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if lmb == 0 {
		lmb = lb
	}
	slices := make([]multicrop.Slice, 0, lb/lmb)
	for start := 0; start < lb; start += lmb {
		slices = append(slices, multicrop.Slice{Start: start, End: start + lmb})
	}
	var state, params []*torch.Tensor
	for _, st := range []*nn.Store{t.online.Store, t.target.Store, t.lossStore} {
		for _, v := range st.Vars() {
			state = append(state, v.T)
		}
	}
	for _, v := range t.params {
		params = append(params, v.T)
	}
	if err := sess.Attach(state, params); err != nil {
		return fmt.Errorf("train: join the data-parallel job: %w", err)
	}
	t.sess, t.slices, t.localBatch = sess, slices, lb
	return nil
}

// Close frees the networks and the optimizer state. Idempotent.
func (t *Trainer) Close() error {
	if t == nil {
		return nil
	}
	if t.opt != nil {
		t.opt.Close()
		t.opt = nil
	}
	for _, m := range []*torchnet.Model{t.online, t.target} {
		m.Close()
	}
	t.online, t.target = nil, nil
	t.lossStore.Close()
	t.lossStore = nil
	return nil
}

// Device returns the device the trainer runs on.
func (t *Trainer) Device() torch.Device { return t.dev }

// Steps returns the number of optimizer steps completed.
func (t *Trainer) Steps() int { return t.step }

// Position returns the epoch and the batch index within it of the next batch.
func (t *Trainer) Position() (epoch, batch int) { return t.epoch, t.batch }

// Beta returns the EMA coefficient the next update uses.
func (t *Trainer) Beta() float64 { return t.beta }

// Online and Target return the networks (owned by the trainer).
func (t *Trainer) Online() *torchnet.Model { return t.online }

// Target returns the EMA target network (owned by the trainer).
func (t *Trainer) Target() *torchnet.Model { return t.target }

// Batch is one batch of multi-crop views: per view a contiguous float32 NCHW buffer of N rows.
type Batch struct {
	Views  [][]float32
	Shapes []augment.Shape
	N      int
}

// stepSeed derives the libtorch generator's seed for a step, so random ops inside the networks
// (stochastic depth) depend only on (seed, step) and a resumed run draws what an uninterrupted
// one would.
func stepSeed(seed int64, step int) uint64 {
	x := uint64(seed)*0x9E3779B97F4A7C15 + uint64(step)*0xBF58476D1CE4E5B9 + 1
	x ^= x >> 31
	x *= 0x94D049BB133111EB
	x ^= x >> 29
	return x
}

// Step takes one optimizer step on a batch: per mini-batch slice the online network on every
// view and the target network (no gradient) on the global views, both in BatchNorm training
// mode, the mean of the pair losses divided by the number of slices back-propagated; then the
// optimizer (through the loss scaler), the EMA target update and the step counter. The batch
// position advances by one.
func (t *Trainer) Step(b Batch) (StepResult, error) {
	cfg := t.cfg
	nViews := cfg.GlobalViews + cfg.LocalViews
	if len(b.Views) != nViews || len(b.Shapes) != nViews {
		return StepResult{}, fmt.Errorf("train: batch has %d views: want %d global + %d local", len(b.Views), cfg.GlobalViews, cfg.LocalViews)
	}
	if b.N != t.localBatch {
		return StepResult{}, fmt.Errorf("train: batch has %d rows: want %d (batch size %d over %d processes)", b.N, t.localBatch, cfg.BatchSize, t.sess.World())
	}
	for v, sh := range b.Shapes {
		if len(b.Views[v]) != b.N*sh.Len() {
			return StepResult{}, fmt.Errorf("train: view %d holds %d values: want %d×%d×%d×%d", v, len(b.Views[v]), b.N, sh.C, sh.H, sh.W)
		}
	}
	t.clk = t.clock()
	defer func() {
		if t.clk.p != nil {
			t.clk.p.Steps++
		}
		t.clk = phaseClock{}
	}()
	s := torch.NewScope()
	defer s.Close()
	views := make([]*torch.Tensor, nViews)
	for v, sh := range b.Shapes {
		x := s.FromFloat32s(b.Views[v], int64(b.N), int64(sh.C), int64(sh.H), int64(sh.W))
		if t.dev.Type != torch.CPUDevice {
			x = s.ToDevice(x, t.dev, false)
		}
		if t.dtype != torch.Float32 {
			x = s.To(x, t.dtype)
		}
		views[v] = x
	}
	if err := s.Err(); err != nil {
		return StepResult{}, fmt.Errorf("train: batch to %s: %w", t.dev, err)
	}
	t.clk.lap(PhaseInput)
	return t.stepViews(views)
}

// stepViews is Step on the views as tensors ([N, C, H, W] each, global views first, on the
// trainer's device and of its type).
func (t *Trainer) stepViews(views []*torch.Tensor) (StepResult, error) {
	cfg := t.cfg
	if len(views) != cfg.GlobalViews+cfg.LocalViews {
		return StepResult{}, fmt.Errorf("train: batch has %d views: want %d global + %d local", len(views), cfg.GlobalViews, cfg.LocalViews)
	}
	for v, x := range views {
		if sh := x.Shape(); len(sh) != 4 || sh[0] != int64(t.localBatch) || x.DType() != t.dtype {
			return StepResult{}, fmt.Errorf("train: view %d is %v %v: want %d rows of %v", v, x.DType(), sh, t.localBatch, t.dtype)
		}
	}
	if err := torch.ManualSeed(stepSeed(cfg.Seed, t.step)); err != nil {
		return StepResult{}, err
	}
	res := StepResult{Step: t.step + 1, Gamma: cfg.Gamma.At(t.step), LR: t.lr.LR(int64(t.step))}
	res.Filtering = cfg.PenaltyFiltering && t.step > cfg.FilteringWarmupSteps
	lcfg := loss.Config{Alpha: cfg.Alpha, Gamma: res.Gamma, MaxScale: cfg.MaxScale,
		Filter: res.Filtering, FilterThreshold: cfg.FilteringThreshold}
	t.opt.SetLR(res.LR)
	for _, v := range t.params {
		if err := v.T.ZeroGrad(); err != nil {
			return res, err
		}
	}
	t.online.Store.SetTraining(true)
	t.target.Store.SetTraining(true)
	// BatchNorm running statistics change in the forward pass; keep a copy so that a step
	// refused for a non-finite loss (fp32/bf16) or skipped by the loss scaler (fp16) leaves no
	// NaN in them (they are what evaluation and export use).
	snap, err := t.snapshotBuffers()
	if err != nil {
		snap.Close()
		return res, err
	}
	defer snap.Close()
	t.clk.lap(PhaseSetup)
	m := float64(len(t.slices))
	for _, sl := range t.slices {
		l, kl, err := t.sliceLoss(views, sl, lcfg, m)
		if err != nil {
			return res, err
		}
		res.Loss += l
		res.KL += kl
	}
	// Every process sees the same global loss, so all take the same branch below.
	finite := !math.IsNaN(res.Loss) && !math.IsInf(res.Loss, 0)
	if !finite && cfg.Precision != FP16 {
		for _, v := range t.params {
			v.T.ZeroGrad()
		}
		if err := t.restoreBuffers(snap); err != nil {
			return res, err
		}
		return res, fmt.Errorf("%w: loss %v at step %d (epoch %d, batch %d)", ErrNonFinite, res.Loss, t.step+1, t.epoch, t.batch)
	}
	if finite || cfg.Precision == FP16 {
		if err := t.sess.SyncGrads(); err != nil {
			return res, fmt.Errorf("train: step %d: %w", t.step+1, err)
		}
	}
	stepped, err := t.scaler.Step(t.opt, t.params)
	if err != nil {
		return res, fmt.Errorf("train: optimizer step %d: %w", t.step+1, err)
	}
	res.Skipped = !stepped
	if res.Skipped {
		if err := t.restoreBuffers(snap); err != nil {
			return res, err
		}
	}
	t.clk.lap(PhaseOptimizer)
	res.LossScale = t.scaler.Value()
	res.EMA = t.ema.Action(t.step)
	switch res.EMA {
	case schedule.EMACopy:
		err = hardCopy(t.varPairs)
	case schedule.EMAUpdate:
		err = emaUpdate(t.varPairs, t.beta, cfg.EMASkipFloat64)
		t.beta = t.ema.Next(t.step)
	}
	if err != nil {
		return res, err
	}
	t.clk.lap(PhaseEMA)
	t.step++
	t.batch++
	if t.batch >= t.stepsPerEpoch {
		t.epoch++
		t.batch = 0
	}
	res.Beta = t.beta
	res.Scale, res.Bias, err = t.scalars()
	t.clk.lap(PhaseScalars)
	return res, err
}

// bufferSnapshot holds copies of the networks' buffers (running statistics and counters).
type bufferSnapshot struct {
	s      *torch.Scope
	vars   []*torch.Tensor
	copies []*torch.Tensor
}

func (b *bufferSnapshot) Close() {
	if b != nil {
		b.s.Close()
	}
}

func (t *Trainer) snapshotBuffers() (*bufferSnapshot, error) {
	b := &bufferSnapshot{s: torch.NewScope()}
	ng := b.s.NoGrad()
	for _, st := range []*torchnet.Model{t.online, t.target} {
		for _, v := range st.Store.Buffers() {
			b.vars = append(b.vars, v.T)
			b.copies = append(b.copies, ng.Clone(v.T))
		}
	}
	if err := b.s.Err(); err != nil {
		return b, fmt.Errorf("train: snapshot BatchNorm statistics: %w", err)
	}
	return b, nil
}

func (t *Trainer) restoreBuffers(b *bufferSnapshot) error {
	ng := b.s.NoGrad()
	for i, v := range b.vars {
		ng.CopyInPlace(v, b.copies[i])
	}
	if err := b.s.Err(); err != nil {
		return fmt.Errorf("train: restore BatchNorm statistics: %w", err)
	}
	return nil
}

// scalars returns exp(τ) and b.
func (t *Trainer) scalars() (scale, bias float64, err error) {
	tau, err := t.tau.Item()
	if err != nil {
		return 0, 0, err
	}
	bias, err = t.bias.Item()
	return math.Exp(tau), bias, err
}

// targetProjection runs the target network on x without gradients in a scope of its own and
// returns only the projection, owned by s: the intermediate activations are freed as soon as
// the pass ends (no autograd graph keeps them), as under PyTorch's no_grad, rather than living
// until the step's backward pass.
func (t *Trainer) targetProjection(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	g := torch.NewScope()
	defer g.Close()
	ng := g.NoGrad()
	if t.autocast != torch.Default {
		ng = ng.Autocast(t.dev.Type, t.autocast)
	}
	_, p := t.target.Forward(ng, x)
	if err := g.Err(); err != nil {
		s.Fail(err)
		return nil
	}
	return s.Adopt(g.Keep(p))
}

// sliceLoss runs the forward and backward passes of one mini-batch slice and returns its
// contribution to the step loss and KL (already divided by the number of slices m).
func (t *Trainer) sliceLoss(views []*torch.Tensor, sl multicrop.Slice, lcfg loss.Config, m float64) (float64, float64, error) {
	s := torch.NewScope()
	defer s.Close()
	// The forward pass and the loss live in their own scope, closed before the backward pass:
	// the Go handles of the activations then no longer pin them, and autograd frees each saved
	// activation as soon as the backward pass has used it, as PyTorch does. Only the objective
	// moves on to s.
	f := torch.NewScope()
	defer f.Close()
	fwd := f
	if t.autocast != torch.Default {
		fwd = f.Autocast(t.dev.Type, t.autocast)
	}
	inputs := views
	if sl.Start != 0 || int64(sl.End) != views[0].Shape()[0] || t.channelsLast {
		inputs = make([]*torch.Tensor, len(views))
		for v, x := range views {
			if sl.Start != 0 || int64(sl.End) != x.Shape()[0] {
				x = f.Narrow(x, 0, int64(sl.Start), int64(sl.Len()))
			}
			if t.channelsLast {
				x = f.ChannelsLast(x)
			}
			inputs[v] = x
		}
	}
	t.clk.lap(PhaseInput)
	online := make([]*torch.Tensor, len(inputs))
	target := make([]*torch.Tensor, t.cfg.GlobalViews)
	// As one torch.autocast block around the forward passes: each online weight is cast to the
	// low-precision type once for all views, not once per view. Released before the backward
	// pass and the optimizer step change the weights.
	release := func() {}
	if t.autocast != torch.Default {
		release = torch.HoldAutocastCache()
	}
	// The reference's order: online and target on each global view, then online on the locals.
	for v := range inputs {
		_, online[v] = t.online.Forward(fwd, inputs[v])
		t.clk.lap(PhaseOnline)
		if v < t.cfg.GlobalViews {
			target[v] = t.targetProjection(f, inputs[v])
			t.clk.lap(PhaseTarget)
		}
	}
	release()
	// The mean over pairs (parallel.StepLoss; with one process it is the mean of loss.Pair).
	// With several, negatives come from the whole global batch and the objective's
	// rank-averaged gradients are the single-process gradients (parallel.PairLoss).
	r := parallel.StepLoss(f, t.sess.Group(), online, target, t.pairs, t.tau, t.bias, lcfg)
	total, klTotal := f.DivScalar(r.Loss, m), f.DivScalar(r.KL, m)
	objective := total
	if r.Objective != r.Loss {
		objective = f.DivScalar(r.Objective, m)
	}
	if err := f.Err(); err != nil {
		return 0, 0, fmt.Errorf("train: forward at step %d: %w", t.step+1, err)
	}
	lv, err := total.Item()
	if err != nil {
		return 0, 0, err
	}
	kv, err := klTotal.Item()
	if err != nil {
		return 0, 0, err
	}
	if math.IsNaN(lv) || math.IsInf(lv, 0) {
		if t.cfg.Precision != FP16 {
			return lv, kv, nil // Step reports it before touching the parameters
		}
	}
	obj := s.Adopt(f.Keep(objective))
	if err := f.Close(); err != nil {
		return 0, 0, fmt.Errorf("train: forward at step %d: %w", t.step+1, err)
	}
	t.clk.lap(PhaseLoss)
	if err := s.Backward(t.scaler.Scale(s, obj)); err != nil {
		return 0, 0, fmt.Errorf("train: backward at step %d: %w", t.step+1, err)
	}
	t.clk.lap(PhaseBackward)
	return lv, kv, nil
}

// clock starts timing a step's phases into the trainer's profile (a no-op without one).
func (t *Trainer) clock() phaseClock {
	if t.profile == nil {
		return phaseClock{}
	}
	return phaseClock{p: t.profile, last: time.Now()}
}

// SetProfile makes the trainer accumulate its steps' phase times into p (nil: stop). The
// Runner adds the data wait (Hooks.Profile).
func (t *Trainer) SetProfile(p *StepProfile) { t.profile = p }
