//go:build !notorch

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/train"
	"github.com/scl-dev/scl/train/parallel"
)

// trainCommand is `scl train`: ReLIC pretraining with the modulated sigmoid contrastive loss.
func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "pretrain an encoder with ReLIC and the modulated sigmoid contrastive loss",
		Description: "Trains online and EMA target networks on multi-crop views (SPEC §1–5), writing\n" +
			"checkpoints (--out/checkpoints/step-N), metrics.jsonl and curves.png. Ctrl-C or SIGTERM\n" +
			"writes a checkpoint and exits; --resume auto continues exactly where the last one stopped.\n" +
			"The reference's flag spellings work too, e.g.\n" +
			"  scl train --dataset_name cifar10 --encoder_model_name resnet18 --fp16_precision --beta 0.99 --alpha 1.0",
		Flags:  trainFlags(),
		Action: runTrain,
	}
}

func runTrain(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("train: unexpected argument %q (flags go before arguments; see scl train --help)", c.Args().First())
	}
	// Malloc's settings for training, before libtorch allocates anything (torch.KeepAllocations).
	torch.KeepAllocations()
	cfg, err := configFromFlags(c)
	if err != nil {
		return err
	}
	if c.Bool(flagFP16) && cfg.Precision == train.FP16 && !cudaDevice(cfg.Device) {
		// As the reference, whose GradScaler/autocast disable themselves without CUDA.
		fmt.Fprintf(errWriter(c), "train: --%s needs CUDA; training in fp32 on the CPU\n", flagFP16)
		cfg.Precision = train.FP32
	}
	sess, err := startSession(c, &cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	d, closeData, err := openTrainData(c, cfg)
	if err != nil {
		return err
	}
	defer closeData()
	d.Session = sess

	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal the run checkpoints and stops; a second one kills at once.
		<-ctx.Done()
		stop()
	}()

	out := errWriter(c)
	if !sess.IsMain() {
		out = io.Discard // rank 0 reports for the job
	}
	view := newTrainView(out, !c.Bool(flagNoProgress) && isTerminal(out), cfg.LogEvery)
	fmt.Fprintf(out, "train: %s (%s stem, width %d) on %s: %d images, %d×%d, %d+%d views, batch %d, %s, %s",
		cfg.Encoder, stemName(cfg), cfg.Width, d.Name, d.Train.Len(), cfg.ImageSize, cfg.ImageSize,
		cfg.GlobalViews, cfg.LocalViews, cfg.BatchSize, cfg.Optimizer, cfg.Precision)
	if e := cfg.DownstreamImageSize(); e != cfg.ImageSize {
		fmt.Fprintf(out, ", evaluated and exported at %d×%d", e, e)
	}
	if sess != nil {
		fmt.Fprintf(out, ", %d processes (%s)", sess.World(), sess.Env().Source)
	}
	fmt.Fprintln(out)
	if strings.EqualFold(c.String(flagPrecision), "auto") && !c.Bool(flagFP16) {
		_, why := train.AutoPrecision(cfg.Device, torch.CUDADeviceCount)
		fmt.Fprintf(out, "train: precision %s\n", why)
	}
	if cfg.MemoryFormat == train.MemoryAuto {
		if dev, err := torch.ResolveDevice(cfg.Device); err == nil {
			_, why := train.AutoMemoryFormat(dev.Type, cfg.Precision)
			fmt.Fprintf(out, "train: memory format %s\n", why)
			if names, err := cfg.ContiguousConvNames(dev.Type); err == nil && len(names) > 0 {
				fmt.Fprintf(out, "train: NCHW here: %d convolutions (%s)\n", len(names), strings.Join(names, ", "))
			}
		}
	}
	hooks := train.Hooks{Progress: view.progress}
	if c.Bool(flagProfile) {
		hooks.Profile = &train.StepProfile{}
	}
	var ops *opProfiler
	if n := c.Int(flagProfileOps); n < 0 {
		return fmt.Errorf("train: --%s %d: want the number of operators to print (0: off)", flagProfileOps, n)
	} else if n > 0 {
		ops = &opProfiler{top: n}
		hooks.Progress = ops.wrap(hooks.Progress)
	}
	res, err := train.Run(ctx, cfg, d, hooks)
	view.finish()
	if hooks.Profile != nil && hooks.Profile.Steps > 0 {
		fmt.Fprintf(out, "train: where the %d steps of this process went (wall time per phase):\n%s", hooks.Profile.Steps, hooks.Profile.Table())
	}
	if ops != nil {
		table, perr := ops.finish(res.Steps)
		if perr != nil {
			fmt.Fprintf(out, "train: operator profile: %v\n", perr)
		} else if table != "" {
			fmt.Fprint(out, table)
		}
	}
	if err != nil {
		return err
	}
	if res.Interrupted {
		return cli.Exit(fmt.Sprintf("train: interrupted at step %d; checkpoint %s; continue with: scl train --out %s --resume auto (same flags)",
			res.Steps, res.Checkpoint, cfg.OutDir), 130)
	}
	fmt.Fprintf(out, "train: %d steps, final loss %.4f, %.1f images/s; checkpoint %s\n", res.Steps, res.Loss, res.ImagesPerSec, res.Checkpoint)
	if res.TimeUp {
		fmt.Fprintf(out, "train: stopped by --%s; continue with --resume auto\n", flagMaxTime)
	}
	for _, k := range []string{"knn_top1", "probe_top1"} {
		if v, ok := res.Eval[k]; ok {
			fmt.Fprintf(out, "train: %s %.2f%%\n", k, 100*v)
		}
	}
	fmt.Fprintf(out, "train: metrics %s", res.Metrics)
	if res.Plot != "" {
		fmt.Fprintf(out, ", curves %s", res.Plot)
	}
	fmt.Fprintln(out)
	return nil
}

// startSession joins the data-parallel job described by torchrun's or Slurm's environment, or
// returns nil for a single process. With CUDA each process takes the device of its local rank.
func startSession(c *cli.Context, cfg *train.Config) (*parallel.Session, error) {
	env, err := parallel.EnvFrom(os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if !env.Distributed() {
		return nil, nil
	}
	backend, err := dist.ParseBackend(c.String(flagDistBackend))
	if err != nil {
		return nil, fmt.Errorf("train: --%s: %w", flagDistBackend, err)
	}
	dev := torch.CPU
	if cfg.Device.Kind == device.CUDA || (cfg.Device.Kind == device.Auto && torch.CUDAAvailable()) {
		idx, err := parallel.DeviceIndex(env.LocalRank, torch.CUDADeviceCount())
		if err != nil {
			return nil, err
		}
		dev = torch.CUDA(idx)
		cfg.Device = device.CUDASpec(idx)
	}
	sess, err := parallel.Start(env, dev, parallel.Config{Backend: backend, Timeout: c.Duration(flagDistTimeout)})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return sess, nil
}

// errWriter is where the command reports (standard error unless the app says otherwise).
func errWriter(c *cli.Context) io.Writer {
	if c.App.ErrWriter != nil {
		return c.App.ErrWriter
	}
	return os.Stderr
}

// cudaDevice reports whether a device spec means a CUDA device here: cuda or cuda:N (whether
// or not that device exists: the trainer reports that), or auto with a GPU visible.
func cudaDevice(d device.Spec) bool {
	return d.Kind == device.CUDA || d.IsCUDA(torch.CUDADeviceCount)
}

func stemName(cfg train.Config) string {
	switch cfg.ModelStem() {
	case models.StemCIFAR:
		return "CIFAR"
	case models.StemCIFARStride2:
		return "CIFAR stride-2"
	}
	return "ImageNet"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// openTrainData opens the pretraining split and, when asked, the labelled evaluation splits.
func openTrainData(c *cli.Context, cfg train.Config) (train.Data, func(), error) {
	var opened []data.Dataset
	closeAll := func() {
		for _, d := range opened {
			d.Close()
		}
	}
	name := c.String(flagDataset)
	split := c.String(flagSplit)
	if split == "" {
		split = data.PretrainSplit(name)
	}
	ds, err := data.Open(data.Source{Name: name, Split: split, Dir: c.String(flagDataDir)})
	if err != nil {
		return train.Data{}, closeAll, fmt.Errorf("train: %w", err)
	}
	opened = append(opened, ds)
	if n := c.Int(flagTrainLimit); n > 0 && n < ds.Len() {
		if ds, err = data.Subset(ds, 0, n); err != nil {
			return train.Data{}, closeAll, err
		}
	}
	d := train.Data{Train: ds, Name: name, Workers: c.Int(flagWorkers), Probe: c.Bool(flagProbe)}
	if ev := c.String(flagEvalDataset); ev != "" {
		dir := c.String(flagEvalDir)
		if dir == "" && strings.EqualFold(ev, name) {
			dir = c.String(flagDataDir)
		}
		if d.Eval, err = openEvalSplits(ev, dir, c.Int(flagEvalLimit), c.Int(flagEvalHoldout), &opened); err != nil {
			return train.Data{}, closeAll, err
		}
	} else if c.Bool(flagProbe) || c.Int(flagEvalEvery) > 0 {
		return train.Data{}, closeAll, errors.New("train: --probe-at-end and --eval-every need --eval-dataset (a labelled data set with train and test splits)")
	}
	return d, closeAll, nil
}

// trainView renders progress: a bar per epoch on a terminal, log lines otherwise.
type trainView struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	useBar   bool
	logEvery int
	lastLog  time.Time
}

func newTrainView(w io.Writer, useBar bool, logEvery int) *trainView {
	return &trainView{w: w, useBar: useBar, logEvery: logEvery}
}

func (v *trainView) progress(p train.Progress) {
	switch p.Event {
	case train.EventEpoch:
		if v.useBar {
			v.finish()
			v.bar = progressbar.NewOptions(p.StepsPerEpoch, progressbar.OptionSetWriter(v.w),
				progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", p.Epoch+1, p.Epochs)),
				progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(false),
				progressbar.OptionSetWidth(20),
				progressbar.OptionShowDescriptionAtLineEnd())
			v.bar.Set(p.Batch)
		}
	case train.EventStep:
		desc := fmt.Sprintf("loss %.4f kl %.4f γ %.3f β %.5f exp(τ) %.3f b %.3f lr %.2e %.0f img/s ETA %s",
			p.Loss, p.KL, p.Gamma, p.Beta, p.Scale, p.Bias, p.LR, p.ImagesPerSec, p.ETA.Round(time.Second))
		if p.Skipped {
			desc += fmt.Sprintf(" (fp16 overflow: step skipped, scale %g)", p.LossScale)
		}
		if v.bar != nil {
			v.bar.Describe(fmt.Sprintf("epoch %d/%d %s", epochOf(p)+1, p.Epochs, desc))
			done := (p.Step-1)%p.StepsPerEpoch + 1
			v.bar.Set(done)
			return
		}
		if p.Step%v.logEvery == 0 || p.Step == p.TotalSteps || time.Since(v.lastLog) > 30*time.Second {
			v.lastLog = time.Now()
			fmt.Fprintf(v.w, "step %d/%d epoch %d/%d %s\n", p.Step, p.TotalSteps, epochOf(p)+1, p.Epochs, desc)
		}
	case train.EventCheckpoint:
		v.line(fmt.Sprintf("checkpoint %s (step %d)", p.Checkpoint, p.Step))
	case train.EventResume:
		v.line(fmt.Sprintf("resumed from %s at step %d (epoch %d, batch %d)", p.Checkpoint, p.Step, p.Epoch+1, p.Batch))
	case train.EventEval:
		var parts []string
		for _, k := range []string{"knn_top1", "probe_top1"} {
			if x, ok := p.Eval[k]; ok {
				parts = append(parts, fmt.Sprintf("%s %.2f%%", k, 100*x))
			}
		}
		v.line(fmt.Sprintf("eval at step %d: %s", p.Step, strings.Join(parts, ", ")))
	case train.EventSplit:
		at := "CPUs"
		if p.Step > 0 {
			at = fmt.Sprintf("CPUs from step %d", p.Step)
		}
		v.line(fmt.Sprintf("%s: %d libtorch threads + %d augmentation workers (%s)", at, p.Split.Threads, p.Split.Workers, p.SplitReason))
	}
}

func epochOf(p train.Progress) int {
	if p.StepsPerEpoch == 0 || p.Step == 0 {
		return p.Epoch
	}
	return (p.Step - 1) / p.StepsPerEpoch
}

// line prints a message above the bar.
func (v *trainView) line(s string) {
	if v.bar != nil {
		v.bar.Clear()
	}
	fmt.Fprintln(v.w, s)
}

func (v *trainView) finish() {
	if v.bar != nil {
		v.bar.Exit() // leaves the bar where the run stopped (Finish would fill it)
		fmt.Fprintln(v.w)
		v.bar = nil
	}
}

// openEvalSplits opens the evaluation data set's memory (probe training) and scored splits: its
// train and test splits, or with holdout > 0 the first and the last holdout images of its train
// split (a validation split, so that settings are never chosen on test images). limit caps
// each split's images (0: all); the memory keeps its first ones.
func openEvalSplits(name, dir string, limit, holdout int, opened *[]data.Dataset) (train.EvalSplits, error) {
	var e train.EvalSplits
	open := func(split string) (data.Dataset, error) {
		d, err := data.Open(data.Source{Name: name, Split: split, Dir: dir})
		if err != nil {
			return nil, fmt.Errorf("train: evaluation data: %w", err)
		}
		*opened = append(*opened, d)
		return d, nil
	}
	capped := func(d data.Dataset) (data.Dataset, error) {
		if limit > 0 && limit < d.Len() {
			return data.Subset(d, 0, limit)
		}
		return d, nil
	}
	tr, err := open("train")
	if err != nil {
		return e, err
	}
	if holdout > 0 {
		n := tr.Len()
		if holdout >= n {
			return e, fmt.Errorf("train: --%s %d: the evaluation train split has %d images, want fewer held out", flagEvalHoldout, holdout, n)
		}
		if e.Test, err = data.Subset(tr, n-holdout, n); err != nil {
			return e, err
		}
		if tr, err = data.Subset(tr, 0, n-holdout); err != nil {
			return e, err
		}
	} else {
		te, err := open("test")
		if err != nil {
			return e, err
		}
		if e.Test, err = capped(te); err != nil {
			return e, err
		}
	}
	if e.Train, err = capped(tr); err != nil {
		return e, err
	}
	return e, nil
}
