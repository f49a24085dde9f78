//go:build !notorch

package train

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/models/torchnet"
	"github.com/scl-dev/scl/preprocess"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/amp"
	"github.com/scl-dev/scl/torch/optim"
)

// Names of the loss's scalars inside online.safetensors (outside the encoder./projector.
// prefixes, so export and the architecture checks ignore them).
const (
	tauName  = "loss.tau"
	biasName = "loss.bias"
)

// State is the trainer's own part of a checkpoint's config.json ("train"): with the tensors it
// restores a run exactly.
type State struct {
	// Config is the configuration the run was started (or last resumed) with.
	Config Config `json:"config"`
	// Step is the number of optimizer steps completed; Epoch and Batch locate the next batch.
	Step  int `json:"step"`
	Epoch int `json:"epoch"`
	Batch int `json:"batch"`
	// StepsPerEpoch is the number of batches per epoch the position refers to.
	StepsPerEpoch int `json:"steps_per_epoch"`
	// Beta is the EMA coefficient the next update uses; Gamma the γ of the last step.
	Beta  float64 `json:"beta"`
	Gamma float64 `json:"gamma"`
	// Scale and Bias are exp(τ) and b (informative: the exact values are the tensors
	// loss.tau and loss.bias of online.safetensors).
	Scale float64 `json:"scale"`
	Bias  float64 `json:"bias"`
	// Scaler is the fp16 loss scaler's state.
	Scaler amp.State `json:"scaler"`
	// RNG says how random streams continue: libtorch's generator is reseeded from (seed, step)
	// at every step and the data order and views are functions of (seed, epoch, index), so the
	// position above is the whole RNG state.
	RNG string `json:"rng"`
	// Optimizer names the optimizer whose state optimizer.safetensors holds.
	Optimizer optim.Kind `json:"optimizer"`
	// Dataset names the pretraining data (informative).
	Dataset string `json:"dataset,omitempty"`
}

const rngNote = "libtorch generator reseeded per step from (seed, step); data order and views from (seed, epoch, index)"

// Checkpoint returns the trainer's state as a checkpoint: online network with τ and b, target
// network, optimizer state and the State in config.json. dataset is recorded in the
// preprocessing metadata.
func (t *Trainer) Checkpoint(dataset string) (*checkpoint.Checkpoint, error) {
	mcfg, err := t.cfg.ModelConfig()
	if err != nil {
		return nil, err
	}
	online, err := torchnet.State(t.online.Store)
	if err != nil {
		return nil, err
	}
	for name, x := range map[string]*torch.Tensor{tauName: t.tau, biasName: t.bias} {
		st, err := toSafe(x)
		if err != nil {
			return nil, err
		}
		online[name] = st
	}
	target, err := torchnet.State(t.target.Store)
	if err != nil {
		return nil, err
	}
	optState, err := t.opt.State()
	if err != nil {
		return nil, fmt.Errorf("train: optimizer state: %w", err)
	}
	opt, err := tensorsToSafe(optState)
	if err != nil {
		return nil, err
	}
	scale, bias, err := t.scalars()
	if err != nil {
		return nil, err
	}
	st := State{Config: t.cfg, Step: t.step, Epoch: t.epoch, Batch: t.batch, StepsPerEpoch: t.stepsPerEpoch,
		Beta: t.beta, Gamma: t.cfg.Gamma.At(max(t.step-1, 0)), Scale: scale, Bias: bias, Scaler: t.scaler.State(),
		RNG: rngNote, Optimizer: t.cfg.Optimizer, Dataset: dataset}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("train: encode state: %w", err)
	}
	pre := preprocess.Default(t.cfg.DownstreamImageSize(), t.cfg.InChannels, dataset)
	return &checkpoint.Checkpoint{
		Config: checkpoint.Config{Format: checkpoint.Format, Version: checkpoint.Version, Model: mcfg,
			Data: pre, Step: int64(t.step), Train: raw},
		Online: online, Target: target, Optimizer: opt,
	}, nil
}

// ResumeDiff is a setting that differs between a checkpoint's run and the run resuming it.
type ResumeDiff struct {
	// Field is the setting's name as --resume-override takes it ("seed", "lr", …).
	Field string
	// Old and New are the checkpoint's and the new run's values.
	Old, New string
}

// String returns "field OLD (now NEW)".
func (d ResumeDiff) String() string { return fmt.Sprintf("%s %s (now %s)", d.Field, d.Old, d.New) }

// ResumeDiffs lists every setting that changes what a resumed run computes and differs between
// old (the checkpoint's configuration) and cur: the seed, the networks, the views, the batch,
// the optimizer and its schedule, the loss, the EMA and the precision. Settings of the run's
// mechanics (device, threads, output, checkpoints, logging, evaluation, time budget) may change.
func ResumeDiffs(old, cur Config) []ResumeDiff {
	var out []ResumeDiff
	add := func(field string, a, b any) {
		if sa, sb := fmt.Sprint(a), fmt.Sprint(b); sa != sb {
			out = append(out, ResumeDiff{Field: field, Old: sa, New: sb})
		}
	}
	add("seed", old.Seed, cur.Seed)
	add("encoder", old.Encoder, cur.Encoder)
	add("stem", old.ModelStem(), cur.ModelStem())
	add("in-channels", old.InChannels, cur.InChannels)
	add("width", old.Width, cur.Width)
	add("last-stage-width", old.LastStageWidth, cur.LastStageWidth)
	add("proj-hidden", old.ProjHidden, cur.ProjHidden)
	add("proj-out", old.ProjOut, cur.ProjOut)
	add("image-size", old.ImageSize, cur.ImageSize)
	add("num-global-views", old.GlobalViews, cur.GlobalViews)
	add("num-local-views", old.LocalViews, cur.LocalViews)
	add("views", old.Views.String(), cur.Views.String())
	add("batch-size", old.BatchSize, cur.BatchSize)
	add("mini-batch-size", old.MiniBatchSize, cur.MiniBatchSize)
	// The epochs set the β cosine's horizon K (and the learning rate's, with cosine).
	add("epochs", old.Epochs, cur.Epochs)
	add("optimizer", old.Optimizer, cur.Optimizer)
	add("lr", old.LR, cur.LR)
	add("weight-decay", old.WeightDecay, cur.WeightDecay)
	add("lr-schedule", old.LRSchedule, cur.LRSchedule)
	add("warmup-steps", old.WarmupSteps, cur.WarmupSteps)
	add("schedule-horizon", old.horizon(), cur.horizon())
	// As set: unset follows schedule-horizon, whose own difference is reported above.
	add("beta-horizon", old.BetaHorizon, cur.BetaHorizon)
	if old.LRSchedule == cur.LRSchedule && (cur.LRSchedule == LRCosine || cur.LRSchedule == LRWSD) {
		add("max-steps", old.MaxSteps, cur.MaxSteps) // the decay's horizon
	}
	if old.LRSchedule == LRWSD && cur.LRSchedule == LRWSD {
		add("lr-decay-fraction", old.lrDecayFraction(), cur.lrDecayFraction())
	}
	if old.Optimizer == OptimizerLARS && cur.Optimizer == OptimizerLARS {
		add("momentum", old.Momentum, cur.Momentum)
		add("trust-coefficient", old.TrustCoefficient, cur.TrustCoefficient)
	}
	add("alpha", old.Alpha, cur.Alpha)
	add("gamma", old.Gamma.Initial, cur.Gamma.Initial)
	add("use-gamma-scaling", old.Gamma.Scaling, cur.Gamma.Scaling)
	if old.Gamma.Scaling && cur.Gamma.Scaling {
		add("gamma-scaling-steps", old.Gamma.Steps, cur.Gamma.Steps)
	}
	add("max-scale", old.MaxScale, cur.MaxScale)
	add("use-penalty-filtering", old.PenaltyFiltering, cur.PenaltyFiltering)
	if old.PenaltyFiltering && cur.PenaltyFiltering {
		add("filtering-warmup-steps", old.FilteringWarmupSteps, cur.FilteringWarmupSteps)
		add("filtering-threshold", old.FilteringThreshold, cur.FilteringThreshold)
	}
	add("beta", old.Beta, cur.Beta)
	add("update-beta-after-step", old.UpdateBetaAfter, cur.UpdateBetaAfter)
	add("update-beta-every-n-steps", old.UpdateBetaEvery, cur.UpdateBetaEvery)
	add("ema-skip-float64", old.EMASkipFloat64, cur.EMASkipFloat64)
	add("precision", old.Precision, cur.Precision)
	return out
}

// ReadState returns the trainer state stored in a checkpoint's config.json.
func ReadState(cfg *checkpoint.Config) (State, error) {
	var st State
	if len(cfg.Train) == 0 {
		return st, fmt.Errorf("train: checkpoint has no training state (config.json \"train\"): it cannot be resumed, only exported")
	}
	if err := json.Unmarshal(cfg.Train, &st); err != nil {
		return st, fmt.Errorf("train: checkpoint training state: %w", err)
	}
	return st, nil
}

// Restore loads a checkpoint directory written by Save into the trainer: both networks, τ and
// b, the optimizer moments, the loss scaler, the step, the epoch position and β. The trainer's
// configuration must agree with the checkpoint's on everything that shapes the state (the
// architecture, checked by the loaders; batch size, views and image size, checked here).
func (t *Trainer) Restore(dir string) error {
	ck, err := checkpoint.Load(dir)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if len(ck.Config.Train) == 0 && ck.Config.Import != nil {
		// An imported checkpoint (scl import) holds weights only: start from them.
		if err := t.InitFrom(ck); err != nil {
			return fmt.Errorf("train: start from %s: %w", dir, err)
		}
		return nil
	}
	st, err := ReadState(&ck.Config)
	if err != nil {
		return fmt.Errorf("train: resume %s: %w", dir, err)
	}
	var diffs []string
	for _, d := range ResumeDiffs(st.Config, t.cfg) {
		if !slices.Contains(t.cfg.ResumeOverride, d.Field) && !slices.Contains(t.cfg.ResumeOverride, "all") {
			diffs = append(diffs, d.String())
		}
	}
	if st.StepsPerEpoch != t.stepsPerEpoch {
		diffs = append(diffs, fmt.Sprintf("%d batches per epoch (now %d: a different data set or limit)", st.StepsPerEpoch, t.stepsPerEpoch))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("train: resume %s: the checkpoint was trained with %s: want the same settings (or name the fields in --resume-override to continue with the new values)", dir, strings.Join(diffs, ", "))
	}
	if err := torchnet.LoadState(t.online.Store, ck.Online); err != nil {
		return fmt.Errorf("train: resume %s: online network: %w", dir, err)
	}
	if err := torchnet.LoadState(t.target.Store, ck.Target); err != nil {
		return fmt.Errorf("train: resume %s: target network: %w", dir, err)
	}
	if err := loadStore(t.lossStore, "loss.", ck.Online); err != nil {
		return fmt.Errorf("train: resume %s: %w", dir, err)
	}
	if ck.Optimizer == nil {
		return fmt.Errorf("train: resume %s: no optimizer.safetensors", dir)
	}
	s := torch.NewScope()
	defer s.Close()
	optState, err := safeToTensors(s, ck.Optimizer)
	if err != nil {
		return fmt.Errorf("train: resume %s: %w", dir, err)
	}
	if err := t.opt.LoadState(optState); err != nil {
		return fmt.Errorf("train: resume %s: optimizer state: %w", dir, err)
	}
	if err := t.scaler.LoadState(st.Scaler); err != nil {
		return fmt.Errorf("train: resume %s: %w", dir, err)
	}
	t.step, t.epoch, t.batch, t.beta = st.Step, st.Epoch, st.Batch, st.Beta
	return nil
}

// InitFrom loads weights only, as the reference's --ckpt_path does: the online and target
// networks and, when ck holds them, τ and b (loss.tau, loss.bias of the online tensors). The
// step, optimizer state and schedules start afresh. The architecture must match the trainer's;
// a mismatch is an error naming the tensor.
func (t *Trainer) InitFrom(ck *checkpoint.Checkpoint) error {
	mcfg, err := t.cfg.ModelConfig()
	if err != nil {
		return err
	}
	if got, want := ck.Config.Model.WithDefaults(), mcfg.WithDefaults(); got != want {
		return fmt.Errorf("train: the weights are a %+v, the run trains a %+v: want the same architecture (--encoder, --stem, --width, projector sizes)", got, want)
	}
	if err := torchnet.LoadState(t.online.Store, ck.Online); err != nil {
		return fmt.Errorf("train: online network: %w", err)
	}
	if err := torchnet.LoadState(t.target.Store, ck.Target); err != nil {
		return fmt.Errorf("train: target network: %w", err)
	}
	if _, ok := ck.Online[tauName]; ok {
		if err := loadStore(t.lossStore, "loss.", ck.Online); err != nil {
			return err
		}
	}
	return nil
}

// Save writes the trainer's checkpoint for the current step under outDir (atomically, see
// CheckpointDir) and keeps the newest keep checkpoints. It returns the directory.
func (t *Trainer) Save(outDir, dataset string, keep int) (string, error) {
	ck, err := t.Checkpoint(dataset)
	if err != nil {
		return "", err
	}
	return saveCheckpointDir(outDir, t.step, ck, keep)
}
