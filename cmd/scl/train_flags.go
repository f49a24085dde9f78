//go:build !notorch

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/optim"
	"github.com/scl-dev/scl/train"
)

// Flag names. Every flag has a kebab-case name; the reference's spellings (scl_train's
// argparse names) are aliases so its README commands run unchanged. Go's flag package, under
// urfave/cli, accepts one or two dashes for any name, so "-lr", "-mb" and "-save_model_dir" work
// as in argparse; short-option bundling is off, so "-lr" is never read as "-l -r".
const (
	flagDataset        = "dataset"
	flagDataDir        = "data-dir"
	flagSplit          = "split"
	flagEncoder        = "encoder"
	flagStem           = "stem"
	flagWidth          = "width"
	flagLastStageWidth = "last-stage-width"
	flagImageSize      = "image-size"
	flagProjOut        = "proj-out-dim"
	flagProjHidden     = "proj-hidden-dim"
	flagOut            = "out"
	flagEpochs         = "epochs"
	flagMaxSteps       = "max-steps"
	flagMaxTime        = "max-time"
	flagBatch          = "batch-size"
	flagMiniBatch      = "mini-batch-size"
	flagOptimizer      = "optimizer"
	flagLR             = "lr"
	flagWD             = "weight-decay"
	flagLRSchedule     = "lr-schedule"
	flagLRDecay        = "lr-decay-fraction"
	flagWarmup         = "warmup-steps"
	flagHorizon        = "schedule-horizon"
	flagBetaHorizon    = "beta-horizon"
	flagMomentum       = "momentum"
	flagPrecision      = "precision"
	flagFP16           = "fp16_precision"
	flagAlpha          = "alpha"
	flagGamma          = "gamma"
	flagGammaScaling   = "use-gamma-scaling"
	flagGammaSteps     = "gamma-scaling-steps"
	flagInitTau        = "init-tau"
	flagInitBias       = "init-bias"
	flagMaxScale       = "max-scale"
	flagFiltering      = "use-penalty-filtering"
	flagFilterWarmup   = "filtering-warmup-steps"
	flagFilterThresh   = "filtering-threshold"
	flagBeta           = "beta"
	flagBetaAfter      = "update-beta-after-step"
	flagBetaEvery      = "update-beta-every-n-steps"
	flagResume         = "resume"
	flagResumeOverride = "resume-override"
	flagCkptEvery      = "checkpoint-every"
	flagCkptAt         = "checkpoint-at"
	flagKeep           = "keep-checkpoints"
	flagLogEvery       = "log-every"
	flagDevice         = "device"
	flagThreads        = "threads"
	flagMemoryFormat   = "memory-format"
	flagWorkers        = "workers"
	flagSeed           = "seed"
	flagEvalDataset    = "eval-dataset"
	flagEvalDir        = "eval-data-dir"
	flagEvalEvery      = "eval-every"
	flagEvalK          = "eval-k"
	flagEvalLimit      = "eval-limit"
	flagProbe          = "probe-at-end"
	flagEvalHoldout    = "eval-holdout"
	flagEvalImageSize  = "eval-image-size"
	flagPlot           = "plot"
	flagNoProgress     = "no-progress"
	flagProfile        = "profile"
	flagProfileOps     = "profile-ops"
	flagTrainLimit     = "limit"
	flagSaveEncoderDir = "save_model_dir"
	flagDistBackend    = "dist-backend"
	flagDistTimeout    = "dist-timeout"
)

// trainFlags lists the flags of scl train with their defaults (DefaultConfig's).
func trainFlags() []cli.Flag {
	d := train.DefaultConfig()
	flags := []cli.Flag{
		// Data.
		&cli.StringFlag{Name: flagDataset, Aliases: []string{"dataset_name"}, Value: "fashion_mnist", Category: "data",
			Usage: "data set: " + strings.Join(data.Names(), ", ") + ", or another name for a labeled image folder"},
		&cli.StringFlag{Name: flagDataDir, Aliases: []string{"dataset_path"}, Category: "data",
			Usage: "directory holding the data set (fashion_mnist defaults to the Debian package's)"},
		&cli.StringFlag{Name: flagSplit, Category: "data", Usage: "split to pretrain on (default: unlabeled for stl10, train otherwise)"},
		&cli.IntFlag{Name: flagTrainLimit, Category: "data", Usage: "use only the first N images of the split (0: all)"},
		&cli.IntFlag{Name: flagImageSize, Category: "data", Usage: "global view size s (default: the data set's, SPEC §6)"},
		&cli.IntFlag{Name: flagWorkers, Category: "data", Usage: "augmentation workers (0: from the measured costs, adapted while training; all CPUs but one with CUDA)"},

		// Model.
		&cli.StringFlag{Name: flagEncoder, Aliases: []string{"m", "encoder_model_name"}, Value: string(d.Encoder), Category: "model",
			Usage: "encoder: resnet18, resnet50 or efficientnet"},
		&cli.StringFlag{Name: flagStem, Value: string(d.Stem), Category: "model",
			Usage: "ResNet stem: auto (CIFAR stem for images ≤ 32 px), cifar, cifar-s2 (the CIFAR stem with stride 2: stages at half resolution, a quarter of the cost) or imagenet"},
		&cli.IntFlag{Name: flagWidth, Value: d.Width, Category: "model", Usage: "ResNet base width (64: torchvision; smaller for quick CPU runs)"},
		&cli.IntFlag{Name: flagLastStageWidth, Value: d.LastStageWidth, Category: "model", Usage: "ResNet fourth-stage width, the ResNet-18's feature dimension (0: 8×width, torchvision's)"},
		&cli.IntFlag{Name: flagProjOut, Aliases: []string{"proj_out_dim"}, Value: d.ProjOut, Category: "model", Usage: "projector output size"},
		&cli.IntFlag{Name: flagProjHidden, Aliases: []string{"proj_hidden_dim"}, Value: d.ProjHidden, Category: "model", Usage: "projector hidden size"},

		// Schedule and optimisation.
		&cli.IntFlag{Name: flagEpochs, Aliases: []string{"num_epochs"}, Value: d.Epochs, Category: "optimisation", Usage: "epochs"},
		&cli.IntFlag{Name: flagMaxSteps, Category: "optimisation", Usage: "stop after N optimizer steps in all (0: run all epochs)"},
		&cli.DurationFlag{Name: flagMaxTime, Category: "optimisation", Usage: "stop with a checkpoint after this much training time (e.g. 15m; 0: no limit): wall-clock time of the training loop, the --eval-every monitor and checkpoints not counted"},
		&cli.IntFlag{Name: flagBatch, Aliases: []string{"b", "batch_size"}, Value: d.BatchSize, Category: "optimisation", Usage: "batch size B"},
		&cli.IntFlag{Name: flagMiniBatch, Aliases: []string{"mb", "mini_batch_size"}, Value: d.MiniBatchSize, Category: "optimisation",
			Usage: "split each batch into slices of this many rows with gradient accumulation (0: off; must divide the batch size)"},
		&cli.StringFlag{Name: flagOptimizer, Value: string(d.Optimizer), Category: "optimisation", Usage: "adam (coupled L2, the reference's), adamw or lars"},
		&cli.Float64Flag{Name: flagLR, Aliases: []string{"learning-rate", "learning_rate"}, Value: d.LR, Category: "optimisation", Usage: "learning rate"},
		&cli.Float64Flag{Name: flagWD, Aliases: []string{"wd", "weight_decay"}, Value: d.WeightDecay, Category: "optimisation", Usage: "weight decay"},
		&cli.StringFlag{Name: flagLRSchedule, Value: string(d.LRSchedule), Category: "optimisation", Usage: "constant, cosine (a half cosine to 0 over the run) or wsd (constant, then linear to 0 over the last --lr-decay-fraction of the run), after the warm-up"},
		&cli.Float64Flag{Name: flagLRDecay, Value: train.DefaultLRDecayFraction, Category: "optimisation", Usage: "share of the run over which --lr-schedule wsd decays the learning rate to 0"},
		&cli.IntFlag{Name: flagWarmup, Value: d.WarmupSteps, Category: "optimisation", Usage: "linear learning-rate warm-up steps"},
		&cli.StringFlag{Name: flagHorizon, Value: string(train.HorizonEpochs), Category: "optimisation",
			Usage: "where the learning-rate decay (cosine, wsd) and the β schedule end: epochs (after --epochs or --max-steps, the reference's) or time (at the end of --max-time, estimated from the measured step rate)"},
		&cli.StringFlag{Name: flagBetaHorizon, Category: "optimisation",
			Usage: "where the β schedule ends when it should differ from --schedule-horizon: epochs or time (e.g. a wsd decay at the end of --max-time with β's cosine still over the epochs)"},
		&cli.Float64Flag{Name: flagMomentum, Value: d.Momentum, Category: "optimisation", Usage: "LARS momentum"},
		&cli.StringFlag{Name: flagPrecision, Value: "auto", Category: "optimisation",
			Usage: "fp32, fp16 (CUDA, dynamic loss scaling), bf16, fp64 (slow; for checks against the reference), or auto: bf16 on a CPU with native bfloat16 (AVX-512 BF16, AMX), fp32 elsewhere"},
		&cli.BoolFlag{Name: flagFP16, Category: "optimisation", Usage: "same as --precision fp16 (the reference's flag)"},

		// Method.
		&cli.Float64Flag{Name: flagAlpha, Value: d.Alpha, Category: "method", Usage: "weight α of the KL invariance term"},
		&cli.Float64Flag{Name: flagGamma, Value: d.Gamma.Initial, Category: "method", Usage: "confidence penalty γ (initial value when scaled)"},
		&cli.BoolFlag{Name: flagGammaScaling, Aliases: []string{"use_gamma_scaling"}, Category: "method", Usage: "decay γ to 0 with a cosine over --gamma-scaling-steps"},
		&cli.IntFlag{Name: flagGammaSteps, Aliases: []string{"gamma_scaling_steps"}, Value: d.Gamma.Steps, Category: "method", Usage: "steps of the γ cosine decay"},
		&cli.Float64Flag{Name: flagInitTau, Value: d.InitTau, Category: "method", Usage: "initial log-scale τ₀ (default ln 5)"},
		&cli.Float64Flag{Name: flagInitBias, Value: d.InitBias, Category: "method", Usage: "initial bias b₀"},
		&cli.Float64Flag{Name: flagMaxScale, Value: d.MaxScale, Category: "method", Usage: "clamp on the logit scale exp(τ)"},
		&cli.BoolFlag{Name: flagFiltering, Aliases: []string{"use_penalty_filtering"}, Category: "method", Usage: "hard-filter easy negatives after the warm-up"},
		&cli.IntFlag{Name: flagFilterWarmup, Aliases: []string{"filtering_warmup_steps"}, Value: d.FilteringWarmupSteps, Category: "method", Usage: "steps before filtering starts"},
		&cli.Float64Flag{Name: flagFilterThresh, Aliases: []string{"filtering_threshold"}, Value: d.FilteringThreshold, Category: "method", Usage: "keep off-diagonal entries with penalty weight above this"},
		&cli.Float64Flag{Name: flagBeta, Value: d.Beta, Category: "method", Usage: "initial EMA coefficient β₀"},
		&cli.IntFlag{Name: flagBetaAfter, Aliases: []string{"update_beta_after_step"}, Value: d.UpdateBetaAfter, Category: "method", Usage: "hard-copy the target up to this step"},
		&cli.IntFlag{Name: flagBetaEvery, Aliases: []string{"update_beta_every_n_steps"}, Value: d.UpdateBetaEvery, Category: "method", Usage: "EMA update period in steps"},
		&cli.IntFlag{Name: flagGlobalViews, Aliases: []string{"num_global_views"}, Value: d.GlobalViews, Category: "method", Usage: "global views G"},
		&cli.IntFlag{Name: flagLocalViews, Aliases: []string{"num_local_views"}, Value: d.LocalViews, Category: "method", Usage: "local views Lc"},
	}
	flags = append(flags, viewRecipeFlags("views")...)
	return append(flags, []cli.Flag{

		// Run.
		&cli.StringFlag{Name: flagOut, Aliases: []string{"o", flagSaveEncoderDir}, Value: d.OutDir, Category: "run",
			Usage: "output directory: checkpoints/, metrics.jsonl, curves.png"},
		&cli.StringFlag{Name: flagResume, Aliases: []string{"ckpt_path"}, Category: "run",
			Usage: "checkpoint directory to resume from, auto for the newest under --out, or a PyTorch weight file (.pth/.pt/.safetensors, e.g. the reference's scl_model.pth) or an `scl import` directory to start from (weights only)"},
		&cli.StringSliceFlag{Name: flagResumeOverride, Category: "run",
			Usage: "settings a resumed run may change from its checkpoint's (seed, lr, epochs, …, or all); any other change refuses the resume, naming the setting"},
		&cli.IntFlag{Name: flagCkptEvery, Value: d.CheckpointEvery, Category: "run", Usage: "checkpoint every N steps (0: only at the end and on interruption)"},
		&cli.StringFlag{Name: flagCkptAt, Category: "run", Usage: "also checkpoint at these times of the run, e.g. 5m,10m,20m (a metrics record names each: one long run gives the states of shorter --max-time budgets)"},
		&cli.IntFlag{Name: flagKeep, Value: d.KeepCheckpoints, Category: "run", Usage: "keep the newest K checkpoints (0: all)"},
		&cli.IntFlag{Name: flagLogEvery, Aliases: []string{"log_every_n_steps"}, Value: d.LogEvery, Category: "run", Usage: "metrics record every N steps"},
		&cli.StringFlag{Name: flagDevice, Value: d.Device.String(), Category: "run", Usage: "auto, cpu, cuda or cuda:N"},
		&cli.StringFlag{Name: flagMemoryFormat, Value: string(train.MemoryAuto), Category: "run",
			Usage: "layout of convolution weights and inputs: contiguous (NCHW), channels-last (NHWC) or auto (the layout measured faster for scl's step: channels-last on the CPU for fp32 and bf16 but NCHW for convolutions with ≥ 512 channels on maps of at most 4×4, contiguous for fp64 and on CUDA, see bench/train)"},
		&cli.IntFlag{Name: flagThreads, Category: "run", Usage: "libtorch CPU threads (0: every CPU the views leave free, adapted while training)"},
		&cli.Int64Flag{Name: flagSeed, Value: d.Seed, Category: "run", Usage: "random seed (initialisation, data order, augmentations)"},
		&cli.BoolFlag{Name: flagPlot, Value: true, Category: "run", Usage: "render the curves to curves.png at the end"},
		&cli.BoolFlag{Name: flagNoProgress, Category: "run", Usage: "print log lines instead of a progress bar"},
		&cli.BoolFlag{Name: flagProfile, Category: "run", Usage: "time each phase of every step (data wait, forward passes, loss, backward, optimizer, EMA) and print the table at the end (CPU: exact; CUDA: only the total, kernels run asynchronously)"},
		&cli.IntFlag{Name: flagProfileOps, Category: "run", Usage: "time every libtorch operator and backward node from the second step to the end and print the N largest by self time, per step (0: off; CPU: exact; CUDA: launch times only)"},
		&cli.StringFlag{Name: flagDistBackend, Value: "auto", Category: "run",
			Usage: "data-parallel backend when launched by torchrun/Slurm (RANK, WORLD_SIZE, …): auto (NCCL on CUDA, Gloo on CPU), gloo or nccl"},
		&cli.DurationFlag{Name: flagDistTimeout, Category: "run", Usage: "timeout of rendezvous and collectives (0: 5m)"},

		// Evaluation.
		&cli.StringFlag{Name: flagEvalDataset, Category: "evaluation",
			Usage: "labelled data set for the kNN monitor and the final probe (train and test splits; default: none)"},
		&cli.StringFlag{Name: flagEvalDir, Category: "evaluation", Usage: "directory of the evaluation data set"},
		&cli.IntFlag{Name: flagEvalEvery, Category: "evaluation", Usage: "kNN evaluation every N steps (0: only at the end)"},
		&cli.IntFlag{Name: flagEvalK, Value: d.EvalK, Category: "evaluation", Usage: "k of the kNN monitor"},
		&cli.IntFlag{Name: flagEvalLimit, Value: 10000, Category: "evaluation", Usage: "use at most N images of each evaluation split (0: all)"},
		&cli.BoolFlag{Name: flagProbe, Category: "evaluation", Usage: "fit the linear probe on the evaluation split at the end"},
		&cli.IntFlag{Name: flagEvalImageSize, Category: "evaluation",
			Usage: "input size of the encoder downstream: the kNN monitor, the probe and the checkpoints' preprocessing for scl export and embed (default: the data set's size when the views are smaller, else --image-size)"},
		&cli.IntFlag{Name: flagEvalHoldout, Category: "evaluation",
			Usage: "score the kNN monitor and the probe on the last N images of the evaluation set's train split (a validation split for choosing settings; the others are the memory) instead of its test split"},
	}...)
}

// configFromFlags maps the parsed flags onto a training configuration.
func configFromFlags(c *cli.Context) (train.Config, error) {
	cfg := train.DefaultConfig()
	dataset := c.String(flagDataset)
	cfg.ImageSize = c.Int(flagImageSize)
	if cfg.ImageSize == 0 {
		cfg.ImageSize = data.ImageSizeFor(dataset)
	}
	if cfg.ImageSize == 0 {
		return cfg, fmt.Errorf("train: data set %q has no standard image size: set --%s", dataset, flagImageSize)
	}
	cfg.EvalImageSize = c.Int(flagEvalImageSize)
	if native := data.ImageSizeFor(dataset); !c.IsSet(flagEvalImageSize) && native > cfg.ImageSize {
		cfg.EvalImageSize = native // views smaller than the images: encode the images as they are
	}
	arch, err := train.ParseEncoder(c.String(flagEncoder))
	if err != nil {
		return cfg, fmt.Errorf("%w (--%s)", err, flagEncoder)
	}
	cfg.Encoder = arch
	if cfg.Stem, err = train.ParseStem(c.String(flagStem)); err != nil {
		return cfg, fmt.Errorf("%w (--%s)", err, flagStem)
	}
	cfg.Width = c.Int(flagWidth)
	cfg.LastStageWidth = c.Int(flagLastStageWidth)
	if arch == models.EfficientNetV2S || arch == models.EfficientNetB0 {
		// EfficientNets have no stem choice and no base width: refuse rather than ignore.
		for _, f := range []string{flagWidth, flagLastStageWidth, flagStem} {
			if c.IsSet(f) {
				return cfg, fmt.Errorf("train: --%s applies to ResNets only: encoder %s has no such setting (remove --%s)", f, arch, f)
			}
		}
	}
	cfg.ProjOut = c.Int(flagProjOut)
	cfg.ProjHidden = c.Int(flagProjHidden)

	cfg.Epochs = c.Int(flagEpochs)
	cfg.MaxSteps = c.Int(flagMaxSteps)
	cfg.MaxDuration = c.Duration(flagMaxTime)
	cfg.BatchSize = c.Int(flagBatch)
	cfg.MiniBatchSize = c.Int(flagMiniBatch)
	if cfg.Optimizer, err = optim.ParseKind(c.String(flagOptimizer)); err != nil {
		return cfg, fmt.Errorf("train: %w (--%s)", err, flagOptimizer)
	}
	cfg.LR = c.Float64(flagLR)
	cfg.WeightDecay = c.Float64(flagWD)
	if cfg.LRSchedule, err = optim.ParseScheduleKind(c.String(flagLRSchedule)); err != nil {
		return cfg, fmt.Errorf("train: %w (--%s)", err, flagLRSchedule)
	}
	cfg.LRDecayFraction = c.Float64(flagLRDecay)
	if cfg.LRDecayFraction <= 0 {
		return cfg, fmt.Errorf("train: --%s %v: want in (0, 1]", flagLRDecay, cfg.LRDecayFraction)
	}
	cfg.WarmupSteps = c.Int(flagWarmup)
	if cfg.Horizon, err = train.ParseHorizon(c.String(flagHorizon)); err != nil {
		return cfg, fmt.Errorf("%w (--%s)", err, flagHorizon)
	}
	if c.IsSet(flagBetaHorizon) {
		if cfg.BetaHorizon, err = train.ParseHorizon(c.String(flagBetaHorizon)); err != nil {
			return cfg, fmt.Errorf("%w (--%s)", err, flagBetaHorizon)
		}
	}
	cfg.Momentum = c.Float64(flagMomentum)
	auto := strings.EqualFold(c.String(flagPrecision), "auto")
	var p train.Precision
	if !auto {
		if p, err = train.ParsePrecision(c.String(flagPrecision)); err != nil {
			return cfg, fmt.Errorf("%w (or auto)", err)
		}
	}
	if c.Bool(flagFP16) {
		if !auto && p != train.FP16 {
			return cfg, fmt.Errorf("train: --%s contradicts --%s %s", flagFP16, flagPrecision, p)
		}
		p, auto = train.FP16, false
	}
	cfg.Precision = p

	cfg.Alpha = c.Float64(flagAlpha)
	cfg.Gamma.Initial = c.Float64(flagGamma)
	cfg.Gamma.Scaling = c.Bool(flagGammaScaling)
	cfg.Gamma.Steps = c.Int(flagGammaSteps)
	cfg.InitTau = c.Float64(flagInitTau)
	cfg.InitBias = c.Float64(flagInitBias)
	cfg.MaxScale = c.Float64(flagMaxScale)
	cfg.PenaltyFiltering = c.Bool(flagFiltering)
	cfg.FilteringWarmupSteps = c.Int(flagFilterWarmup)
	cfg.FilteringThreshold = c.Float64(flagFilterThresh)
	cfg.Beta = c.Float64(flagBeta)
	cfg.UpdateBetaAfter = c.Int(flagBetaAfter)
	cfg.UpdateBetaEvery = c.Int(flagBetaEvery)
	cfg.GlobalViews = c.Int(flagGlobalViews)
	cfg.LocalViews = c.Int(flagLocalViews)
	if cfg.Views, err = viewRecipeFromFlags(c); err != nil {
		return cfg, fmt.Errorf("train: %w", err)
	}

	cfg.OutDir = c.String(flagOut)
	cfg.Resume = c.String(flagResume)
	cfg.ResumeOverride = c.StringSlice(flagResumeOverride)
	cfg.CheckpointEvery = c.Int(flagCkptEvery)
	if cfg.CheckpointAt, err = parseDurations(c.String(flagCkptAt)); err != nil {
		return cfg, fmt.Errorf("train: %w (--%s)", err, flagCkptAt)
	}
	cfg.KeepCheckpoints = c.Int(flagKeep)
	cfg.LogEvery = c.Int(flagLogEvery)
	if cfg.Device, err = device.Parse(c.String(flagDevice)); err != nil {
		return cfg, fmt.Errorf("train: %w (--%s)", err, flagDevice)
	}
	if auto {
		cfg.Precision, _ = train.AutoPrecision(cfg.Device, torch.CUDADeviceCount)
	}
	cfg.Threads = c.Int(flagThreads)
	if cfg.MemoryFormat, err = train.ParseMemoryFormat(c.String(flagMemoryFormat)); err != nil {
		return cfg, fmt.Errorf("%w (--%s)", err, flagMemoryFormat)
	}
	cfg.Seed = c.Int64(flagSeed)
	cfg.Plot = c.Bool(flagPlot)
	cfg.EvalEvery = c.Int(flagEvalEvery)
	cfg.EvalK = c.Int(flagEvalK)
	return cfg, cfg.Validate()
}

// parseDurations reads a comma-separated list of Go durations ("5m,10m,1h"; empty: none).
func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%q: want positive durations such as 5m,10m,1h", f)
		}
		out = append(out, d)
	}
	return out, nil
}
