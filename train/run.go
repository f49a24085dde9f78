//go:build !notorch

package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/data/loader"
	"github.com/scl-dev/scl/ptimport"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/train/metrics"
	"github.com/scl-dev/scl/train/parallel"
)

// Data is what a run reads.
type Data struct {
	// Train is the pretraining split (labels are ignored).
	Train data.Dataset
	// Name names the data set in checkpoints and metrics (e.g. "fashion_mnist").
	Name string
	// Eval, when both splits are set, is used for the periodic kNN monitor (cfg.EvalEvery) and
	// at the end of the run.
	Eval EvalSplits
	// Probe fits the linear probe on Eval at the end of the run.
	Probe bool
	// Workers is the number of augmentation goroutines (0: see CPUSplit; adapted while training).
	Workers int
	// Session is the data-parallel job this process belongs to (nil: a single process). Every
	// process reads its share of each batch; only the main process (rank 0) writes metrics,
	// checkpoints and the plot. The caller owns the session.
	Session *parallel.Session
}

// Event says why Hooks.Progress is called.
type Event int

const (
	// EventStep follows every optimizer step.
	EventStep Event = iota
	// EventEval follows an evaluation (Progress.Eval holds the results).
	EventEval
	// EventCheckpoint follows a checkpoint save (Progress.Checkpoint names it).
	EventCheckpoint
	// EventResume is sent once when a run continues from a checkpoint.
	EventResume
	// EventEpoch is sent at the start of every epoch.
	EventEpoch
	// EventSplit is sent at the start and whenever the run changes how it shares the CPUs
	// (Progress.Split, Progress.SplitReason).
	EventSplit
)

// String returns the event's name.
func (e Event) String() string {
	switch e {
	case EventStep:
		return "step"
	case EventEval:
		return "eval"
	case EventCheckpoint:
		return "checkpoint"
	case EventResume:
		return "resume"
	case EventEpoch:
		return "epoch"
	case EventSplit:
		return "split"
	}
	return fmt.Sprintf("Event(%d)", int(e))
}

// Progress is what a run reports to its caller.
type Progress struct {
	Event Event
	// StepResult is the last step's result (zero before the first step).
	StepResult
	// TotalSteps is the number of steps the run will take in all.
	TotalSteps int
	// Epoch (0-based) and Batch locate the last step in its epoch; Epochs and StepsPerEpoch
	// are the totals.
	Epoch, Epochs, Batch, StepsPerEpoch int
	// ImagesPerSec is the recent training throughput (source images per second, data loading
	// included); Elapsed is the wall time of this process's run; ETA the estimate for the rest.
	ImagesPerSec float64
	Elapsed, ETA time.Duration
	// Eval holds evaluation results for EventEval.
	Eval map[string]float64
	// Checkpoint is the directory of EventCheckpoint and EventResume.
	Checkpoint string
	// Split is how the CPUs are shared (augmentation workers, libtorch threads) for EventSplit,
	// and SplitReason why.
	Split       Split
	SplitReason string
}

// Hooks receive a run's progress. Callbacks run on the training goroutine: keep them short.
type Hooks struct {
	Progress func(Progress)
	// Profile, when set, accumulates the wall time of each phase of every step (the trainer's
	// phases and the Runner's wait for data; see StepProfile).
	Profile *StepProfile
}

// Result summarises a run.
type Result struct {
	// Steps is the number of optimizer steps completed (including those before a resume).
	Steps int
	// Checkpoint is the last checkpoint written ("" if none).
	Checkpoint string
	// Interrupted is true when the context was cancelled (Ctrl-C, SIGTERM): a checkpoint of
	// the last completed step was written and the final evaluation skipped.
	Interrupted bool
	// TimeUp is true when cfg.MaxDuration ended the run (checkpointed and evaluated as a normal end).
	TimeUp bool
	// Loss is the last step's loss.
	Loss float64
	// Eval holds the final evaluation ("knn_top1", "probe_top1") when evaluation splits were given.
	Eval map[string]float64
	// Metrics and Plot are the paths of metrics.jsonl and curves.png.
	Metrics, Plot string
	// ImagesPerSec is the mean throughput of this process's steps.
	ImagesPerSec float64
}

// MetricsFile is the name of the metrics file under the output directory (metrics.FileName).
const MetricsFile = metrics.FileName

// PlotFile is the name of the curves image under the output directory (metrics.PlotName).
const PlotFile = metrics.PlotName

// Run trains according to cfg on d: fresh or resumed (cfg.Resume), checkpointing at step 0,
// every cfg.CheckpointEvery steps, at the end, and when ctx is cancelled (then
// Result.Interrupted is set and the error is nil) or cfg.MaxDuration runs out (Result.TimeUp). A non-finite loss stops the run with
// an error wrapping ErrNonFinite, leaving the last checkpoint as it was. It is NewRunner,
// Runner.Run and Runner.Close.
//
// The calling goroutine is locked to its OS thread for the duration (libtorch's CPU thread
// count is per OS thread, and a fixed thread count makes CPU runs reproducible).
func Run(ctx context.Context, cfg Config, d Data, h Hooks) (Result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := NewRunner(cfg, d, h)
	if err != nil {
		return Result{}, err
	}
	defer r.Close()
	return r.Run(ctx)
}

// Runner is one training run: NewRunner opens its outputs, data and trainer (resuming when
// asked), Run takes the steps, checkpoints, evaluates and finishes, Close frees it. Not safe
// for concurrent use; call NewRunner and Run from the same OS-locked goroutine (see Run).
type Runner struct {
	cfg       Config
	d         Data
	h         Hooks
	ld        *loader.Loader
	tr        *Trainer
	mw        *metrics.Writer // nil on processes other than the main one
	isMain    bool
	resumeDir string
	// spe is the number of steps per epoch, total the steps of the whole run.
	spe, total int
	res        Result

	// Loop state. start is when this process's training loop started; paused is the time
	// since spent on the periodic kNN monitor and on checkpoints written during the loop,
	// which the training clock (trainingTime) leaves out.
	start      time.Time
	paused     time.Duration
	last       StepResult
	thr        throughput
	stepsHere  int
	stepsStart int
	lastSaved  int
	// atNext indexes the next of cfg.CheckpointAt still to write.
	atNext    int
	images    int
	interrupt bool
	timeUp    bool
	// split is how the CPUs are shared now; splitter adapts it (nil: fixed by the user or not
	// on a CPU device).
	split    Split
	splitter *splitter
	// horizon is the schedules' last step as last estimated (Config.Horizon time; 0: not yet),
	// horizonFrom the steps and time of the first estimate, where the rate is measured from.
	horizon     int
	horizonFrom struct {
		steps int
		at    time.Duration
	}
}

// NewRunner validates cfg, opens the output directory and the metrics file (main process
// only), builds the loader and the trainer, restores cfg.Resume and joins d.Session.
func NewRunner(cfg Config, d Data, h Hooks) (*Runner, error) {
	if d.Train == nil {
		return nil, errors.New("train: no training data set")
	}
	// Before libtorch's first allocation on any thread, so that every thread's malloc arena keeps
	// freed buffers and the arenas are capped (torch.KeepAllocations).
	torch.KeepAllocations()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.timeHorizon() && d.Session.World() > 1 {
		// Each process would estimate its own horizon and their learning rates would part.
		return nil, errors.New("train: schedule horizon time is for single-process runs: use --epochs or --max-steps to set the horizon of a data-parallel run")
	}
	fixedWorkers, fixedThreads := d.Workers > 0, cfg.Threads > 0
	cpus := cpusPerProcess(d.Session)
	d.Workers, cfg.Threads = cpuSplit(cfg, d.Workers, cpus)
	r := &Runner{cfg: cfg, d: d, h: h, isMain: d.Session.IsMain()}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	if err := r.openData(); err != nil {
		return nil, err
	}
	if err := r.openOutputs(); err != nil {
		return nil, err
	}
	r.split = Split{Workers: d.Workers, Threads: cfg.Threads}
	if r.tr.Device().Type == torch.CPUDevice && !(fixedWorkers && fixedThreads) {
		r.splitter = newSplitter(cpus, r.split, fixedWorkers, fixedThreads)
	}
	r.report(Progress{Event: EventSplit, Split: r.split, SplitReason: splitReason(r.tr.Device(), cpus, fixedWorkers, fixedThreads)})
	if r.resumeDir != "" {
		e, b := r.tr.Position()
		r.report(Progress{Event: EventResume, Checkpoint: r.resumeDir, StepResult: StepResult{Step: r.tr.Steps()}, Epoch: e, Batch: b})
	}
	ok = true
	return r, nil
}

// openData builds the multi-crop loader of this process's share of each batch and the trainer.
func (r *Runner) openData() error {
	cfg, d := r.cfg, r.d
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("train: output directory: %w", err)
	}
	if err := removeStaleTemps(cfg.OutDir); err != nil {
		return err
	}
	tf, err := augment.NewMultiCropRecipe(cfg.ImageSize, cfg.GlobalViews, cfg.LocalViews, cfg.InChannels, cfg.Views)
	if err != nil {
		return fmt.Errorf("train: views: %w", err)
	}
	sess := d.Session
	localBatch, _, err := sess.LocalSizes(cfg.BatchSize, cfg.MiniBatchSize)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	r.ld, err = loader.New(loader.Config{Dataset: d.Train, Transform: tf, BatchSize: localBatch, Shuffle: true,
		DropLast: true, Seed: uint64(cfg.Seed), Workers: d.Workers, Rank: sess.Rank(), WorldSize: sess.World()})
	if err != nil {
		return fmt.Errorf("train: loader: %w", err)
	}
	r.spe = r.ld.Len()
	if r.spe < 1 {
		return fmt.Errorf("train: data set %q has %d images, fewer than one batch of %d", d.Name, d.Train.Len(), cfg.BatchSize)
	}
	if r.tr, err = NewTrainer(cfg, r.spe); err != nil {
		return err
	}
	r.tr.SetProfile(r.h.Profile)
	r.total = r.spe * cfg.Epochs
	if cfg.MaxSteps > 0 && cfg.MaxSteps < r.total {
		r.total = cfg.MaxSteps
	}
	return nil
}

// openOutputs restores the checkpoint to resume from (or initialises from a PyTorch weight
// file), joins the data-parallel job and opens the metrics file (truncated to the checkpoint's
// step when resuming). Only the main process writes.
func (r *Runner) openOutputs() error {
	cfg, sess := r.cfg, r.d.Session
	resumeDir, initFile := cfg.Resume, ""
	if resumeDir == "auto" {
		var err error
		if resumeDir, err = LatestCheckpoint(cfg.OutDir); err != nil {
			return err
		}
	} else if st, err := os.Stat(resumeDir); err == nil && !st.IsDir() {
		if _, err := os.Stat(filepath.Join(filepath.Dir(resumeDir), checkpoint.ConfigFile)); err == nil {
			// A file of the checkpoint (config.json, a safetensors file) names its directory.
			resumeDir = filepath.Dir(resumeDir)
		} else {
			// A PyTorch weight file, as the reference's --ckpt_path: initialise from its weights.
			initFile = resumeDir
			resumeDir = ""
		}
	}
	r.resumeDir = resumeDir
	r.res.Metrics = filepath.Join(cfg.OutDir, MetricsFile)
	if resumeDir != "" {
		if err := r.tr.Restore(resumeDir); err != nil {
			return err
		}
		r.res.Checkpoint = resumeDir
	}
	if initFile != "" {
		mcfg, err := cfg.ModelConfig()
		if err != nil {
			return err
		}
		imp, err := ptimport.Import(initFile, ptimport.Options{Model: mcfg, ImageSize: cfg.ImageSize})
		if err != nil {
			return fmt.Errorf("train: --ckpt_path: %w", err)
		}
		if err := r.tr.InitFrom(imp.Checkpoint); err != nil {
			return fmt.Errorf("train: --ckpt_path %s: %w", initFile, err)
		}
	}
	if err := r.tr.Attach(sess); err != nil {
		return err
	}
	if err := sess.Lockstep(int64(r.tr.Steps())); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if !r.isMain {
		r.res.Metrics = ""
		return nil
	}
	if resumeDir != "" {
		if err := metrics.Truncate(r.res.Metrics, r.tr.Steps()); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	} else if err := os.Remove(r.res.Metrics); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("train: %w", err)
	}
	var err error
	if r.mw, err = metrics.Create(r.res.Metrics); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// Close frees the trainer and closes the metrics file. Idempotent; nil-safe.
func (r *Runner) Close() error {
	if r == nil {
		return nil
	}
	var err error
	if r.mw != nil {
		err = r.mw.Close()
		r.mw = nil
	}
	if r.tr != nil {
		r.tr.Close()
		r.tr = nil
	}
	return err
}

// Trainer returns the run's trainer (owned by the runner).
func (r *Runner) Trainer() *Trainer { return r.tr }

// TotalSteps returns the number of optimizer steps the run takes in all.
func (r *Runner) TotalSteps() int { return r.total }

// StepsPerEpoch returns the number of batches of one epoch.
func (r *Runner) StepsPerEpoch() int { return r.spe }

// report sends p to the progress hook with the run's totals.
func (r *Runner) report(p Progress) {
	if r.h.Progress != nil {
		p.TotalSteps, p.Epochs, p.StepsPerEpoch = r.total, r.cfg.Epochs, r.spe
		r.h.Progress(p)
	}
}

// trainingTime is the time this process has spent training: wall-clock time since the loop
// started less the pauses for evaluation and checkpoints. MaxDuration, CheckpointAt and the time
// horizon are measured on it, so that watching a run (--eval-every) or saving it more often
// does not change how far it trains.
func (r *Runner) trainingTime() time.Duration { return time.Since(r.start) - r.paused }

// pausing runs f with the training clock stopped.
func (r *Runner) pausing(f func() error) error {
	t0 := time.Now()
	defer func() { r.paused += time.Since(t0) }()
	return f()
}

// checkpoint saves the trainer (main process only), syncs the metrics file and reports it.
func (r *Runner) checkpoint(last StepResult) error {
	r.lastSaved = r.tr.Steps()
	if !r.isMain {
		return nil
	}
	dir, err := r.tr.Save(r.cfg.OutDir, r.d.Name, r.cfg.KeepCheckpoints)
	if err != nil {
		return err
	}
	r.res.Checkpoint = dir
	if err := r.mw.Sync(); err != nil {
		return err
	}
	e, b := r.tr.Position()
	r.report(Progress{Event: EventCheckpoint, Checkpoint: dir, StepResult: last, Epoch: e, Batch: b, Elapsed: r.trainingTime()})
	return nil
}

// checkpointAt writes the checkpoint of each cfg.CheckpointAt time that elapsed has reached
// (one checkpoint when a step passes several) with a metrics record per time naming it.
func (r *Runner) checkpointAt(last StepResult, elapsed time.Duration) error {
	ats := r.cfg.CheckpointAt
	if r.atNext >= len(ats) || elapsed < ats[r.atNext] {
		return nil
	}
	if r.lastSaved != r.tr.Steps() || r.res.Checkpoint == "" {
		if err := r.checkpoint(last); err != nil {
			return err
		}
	}
	for ; r.atNext < len(ats) && elapsed >= ats[r.atNext]; r.atNext++ {
		if !r.isMain {
			continue
		}
		rec := metrics.Record{Kind: metrics.KindCheckpoint, Time: time.Now(), Step: last.Step,
			Epoch: epochOfStep(last.Step, r.spe), Checkpoint: filepath.Base(r.res.Checkpoint),
			At: ats[r.atNext].Seconds(), Elapsed: elapsed.Seconds()}
		if err := r.mw.Write(rec); err != nil {
			return err
		}
	}
	if !r.isMain {
		return nil
	}
	return r.mw.Sync()
}

// evaluate runs the kNN monitor (and, when final, the linear probe) when evaluation splits
// are given, records and reports the results.
func (r *Runner) evaluate(ctx context.Context, last StepResult, final bool) (map[string]float64, error) {
	d := r.d
	if d.Eval.Train == nil || d.Eval.Test == nil {
		return nil, nil
	}
	res, err := r.tr.Evaluate(ctx, d.Eval, EvalOptions{K: r.cfg.EvalK, Probe: final && d.Probe, Workers: d.Workers})
	if err != nil {
		return nil, err
	}
	out := map[string]float64{"knn_top1": res.KNNTop1}
	if final && d.Probe {
		out["probe_top1"] = res.ProbeTop1
	}
	e, _ := r.tr.Position()
	if r.isMain {
		if err := r.mw.Write(metrics.Record{Kind: metrics.KindEval, Time: time.Now(), Step: r.tr.Steps(), Epoch: e, Eval: out}); err != nil {
			return nil, err
		}
	}
	r.report(Progress{Event: EventEval, StepResult: last, Eval: out, Elapsed: r.trainingTime()})
	return out, nil
}

// agreeStop notes a cancelled ctx or a spent time budget (MaxDuration of training time) and
// agrees with the other processes on stopping before the next step, so that every process stops
// after the same step.
func (r *Runner) agreeStop(ctx context.Context) (bool, error) {
	select {
	case <-ctx.Done():
		r.interrupt = true
	default:
		if r.cfg.MaxDuration > 0 && r.trainingTime() >= r.cfg.MaxDuration {
			r.timeUp = true
		}
	}
	stop, err := r.d.Session.AgreeStop(r.interrupt || r.timeUp)
	if err != nil {
		return false, fmt.Errorf("train: %w", err)
	}
	if stop && !r.timeUp {
		r.interrupt = true
	}
	return stop, nil
}

// horizonEvery is how often (in steps) a time-horizon run re-estimates its last step.
const horizonEvery = 10

// updateHorizon re-estimates the step at which the time budget runs out from the step rate
// measured since the run's first horizonEvery steps (start-up and the first steps' allocations
// excluded; on the training clock, which leaves out evaluations and checkpoints) and
// moves the schedules' end there. Until the second estimate the schedules keep the epochs'
// horizon (in practice: the warm-up).
func (r *Runner) updateHorizon(elapsed time.Duration) error {
	if r.stepsHere < horizonEvery || r.stepsHere%horizonEvery != 0 || elapsed <= 0 {
		return nil
	}
	if r.horizonFrom.steps == 0 {
		// The first horizonEvery steps only mark where the rate is measured from.
		r.horizonFrom.steps, r.horizonFrom.at = r.stepsHere, elapsed
		return nil
	}
	dt := (elapsed - r.horizonFrom.at).Seconds()
	if dt <= 0 {
		return nil
	}
	rate := float64(r.stepsHere-r.horizonFrom.steps) / dt
	left := max(r.cfg.MaxDuration-elapsed, 0).Seconds()
	last := min(r.tr.Steps()+int(left*rate), r.total)
	last = max(last, r.tr.Steps(), 1)
	if last == r.horizon {
		return nil
	}
	r.horizon = last
	if r.cfg.horizon() == HorizonTime {
		if err := r.tr.SetLRHorizon(last); err != nil {
			return err
		}
	}
	if r.cfg.betaHorizon() == HorizonTime {
		return r.tr.SetBetaHorizon(last)
	}
	return nil
}

// step takes one optimizer step on b, then records, checkpoints and evaluates as configured.
func (r *Runner) step(ctx context.Context, b Batch, t0 time.Time) error {
	cfg := r.cfg
	res, err := r.tr.Step(b)
	if err != nil {
		return err
	}
	r.last = res
	r.stepsHere++
	r.images += cfg.BatchSize
	ips := r.thr.add(cfg.BatchSize, time.Since(t0))
	e, bi := r.tr.Position()
	elapsed := r.trainingTime()
	if cfg.timeHorizon() {
		if err := r.updateHorizon(elapsed); err != nil {
			return err
		}
	}
	var eta time.Duration
	if r.stepsHere > 0 {
		eta = time.Duration(float64(elapsed) / float64(r.stepsHere) * float64(r.total-r.tr.Steps()))
	}
	if cfg.MaxDuration > 0 && cfg.MaxDuration-elapsed < eta {
		eta = max(cfg.MaxDuration-elapsed, 0)
	}
	r.report(Progress{Event: EventStep, StepResult: res, Epoch: e, Batch: bi, ImagesPerSec: ips, Elapsed: elapsed, ETA: eta})
	if r.isMain && (res.Step%cfg.LogEvery == 0 || res.Step == r.total) {
		rec := metrics.Record{Kind: metrics.KindStep, Time: time.Now(), Step: res.Step, Epoch: epochOfStep(res.Step, r.spe),
			Loss: res.Loss, KL: res.KL, Gamma: res.Gamma, Beta: res.Beta, Scale: res.Scale, Bias: res.Bias, LR: res.LR,
			ImagesPerSec: ips, Skipped: res.Skipped}
		if cfg.Precision == FP16 {
			rec.LossScale = res.LossScale
		}
		if err := r.mw.Write(rec); err != nil {
			return err
		}
	}
	// Checkpoints and the kNN monitor stop the training clock while they run.
	if cfg.CheckpointEvery > 0 && res.Step%cfg.CheckpointEvery == 0 {
		if err := r.pausing(func() error { return r.checkpoint(res) }); err != nil {
			return err
		}
	}
	if err := r.pausing(func() error { return r.checkpointAt(res, elapsed) }); err != nil {
		return err
	}
	if cfg.EvalEvery > 0 && res.Step%cfg.EvalEvery == 0 && res.Step < r.total {
		if err := r.pausing(func() error { _, err := r.evaluate(ctx, res, false); return err }); err != nil {
			return err
		}
	}
	return nil
}

// epoch runs the steps of one epoch from the trainer's position until the epoch or the run
// ends or the processes agree to stop. A data error is fatal (returned as fatal); other
// errors stop the loop and are handled by finish.
func (r *Runner) epoch(ctx, loaderCtx context.Context) (stop bool, loopErr, fatal error) {
	epoch, batch := r.tr.Position()
	r.report(Progress{Event: EventEpoch, StepResult: r.last, Epoch: epoch, Batch: batch, Elapsed: r.trainingTime()})
	// The loader is not cancelled by ctx: the loop checks ctx between steps, so every
	// process of a data-parallel job stops after the same step.
	it := r.ld.Epoch(loaderCtx, epoch, batch)
	defer func() { it.Close() }()
	for r.tr.Steps() < r.total {
		stop, err := r.agreeStop(ctx)
		if err != nil {
			return true, err, nil
		}
		if stop {
			return true, nil, nil
		}
		t0 := time.Now()
		b, err := it.Next()
		waited := time.Since(t0)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return true, nil, fmt.Errorf("train: data at epoch %d batch %d: %w", epoch, batch, err)
		}
		if p := r.h.Profile; p != nil {
			p.Time[PhaseData] += waited
		}
		err = r.step(ctx, Batch{Views: b.Views, Shapes: b.Shapes, N: b.N}, t0)
		b.Release()
		if err != nil {
			return true, err, nil
		}
		if r.adaptSplit(time.Since(t0)-waited, waited) {
			if e, bi := r.tr.Position(); e == epoch {
				// Restart the epoch's iterator where it stands with the new number of workers
				// (batches do not depend on it; prefetched ones are rebuilt).
				it.Close()
				it = r.ld.Epoch(loaderCtx, epoch, bi)
			}
		}
	}
	return false, nil, nil
}

// adaptSplit feeds one step's compute and data-wait times to the splitter and applies a new
// split: the libtorch thread count at once, the number of workers to iterators started later.
// It reports whether the number of workers changed.
func (r *Runner) adaptSplit(step, waited time.Duration) bool {
	if r.splitter == nil {
		return false
	}
	built, busy := r.ld.BuildStats()
	next, changed := r.splitter.observe(step, waited, built, busy)
	if !changed {
		return false
	}
	torch.SetNumThreads(next.Threads)
	workersChanged := next.Workers != r.ld.Workers()
	r.ld.SetWorkers(next.Workers)
	r.split = next
	r.report(Progress{Event: EventSplit, StepResult: r.last, Split: next, SplitReason: "adapted to the measured costs"})
	return workersChanged
}

// Run takes the run's steps (checkpointing at step 0 of a fresh run), then finishes it: a
// last checkpoint, the final evaluation unless interrupted, the metrics synced and the curves
// drawn. See the package-level Run.
func (r *Runner) Run(ctx context.Context) (Result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	loaderCtx, cancelLoader := context.WithCancel(context.Background())
	defer cancelLoader()
	r.start, r.paused = time.Now(), 0
	r.stepsStart, r.lastSaved = r.tr.Steps(), r.tr.Steps()
	if r.resumeDir == "" && r.cfg.CheckpointEvery > 0 {
		// Step 0 is a checkpoint too: a NaN in the first steps still leaves one to go back to.
		if err := r.pausing(func() error { return r.checkpoint(r.last) }); err != nil {
			return r.res, err
		}
		r.lastSaved = 0
	}
	var loopErr error
	for r.tr.Steps() < r.total {
		stop, lerr, fatal := r.epoch(ctx, loaderCtx)
		if fatal != nil {
			return r.res, fatal
		}
		if loopErr = lerr; stop || loopErr != nil || r.interrupt || r.timeUp {
			break
		}
	}
	return r.finish(ctx, loopErr)
}

// finish fills the result, reports a failed loop with the last good checkpoint, and otherwise
// writes the last checkpoint, evaluates, syncs the metrics and draws the curves.
func (r *Runner) finish(ctx context.Context, loopErr error) (Result, error) {
	res := &r.res
	res.Steps, res.Loss, res.Interrupted, res.TimeUp = r.tr.Steps(), r.last.Loss, r.interrupt, r.timeUp
	if el := r.trainingTime().Seconds(); el > 0 && r.stepsHere > 0 {
		res.ImagesPerSec = float64(r.images) / el
	}
	if loopErr != nil {
		if errors.Is(loopErr, ErrNonFinite) {
			ck := res.Checkpoint
			if ck == "" {
				ck = "none"
			}
			return *res, fmt.Errorf("%w; stopped without saving, last good checkpoint: %s (resume with --resume %s after lowering the learning rate)", loopErr, ck, ck)
		}
		return *res, loopErr
	}
	if r.tr.Steps() != r.lastSaved || res.Checkpoint == "" {
		if err := r.checkpoint(r.last); err != nil {
			return *res, err
		}
	}
	if !r.interrupt && r.tr.Steps() > r.stepsStart {
		ev, err := r.evaluate(ctx, r.last, true)
		if err != nil {
			return *res, err
		}
		res.Eval = ev
	}
	if !r.isMain {
		return *res, nil
	}
	if err := r.mw.Sync(); err != nil {
		return *res, err
	}
	if r.cfg.Plot {
		res.Plot = filepath.Join(r.cfg.OutDir, PlotFile)
		if err := metrics.PlotFile(res.Metrics, res.Plot); err != nil {
			res.Plot = "" // nothing to draw yet (no step recorded): not a failure of the run
		}
	}
	return *res, nil
}

// CPUSplit returns the number of augmentation workers and libtorch intra-op threads a run
// starts with on this machine, for the values left at 0 (cfg.Threads, workers): see cpuSplit.
func CPUSplit(cfg Config, workers int) (int, int) {
	return cpuSplit(cfg, workers, runtime.NumCPU())
}

// cpuSplit shares cpus between augmentation workers and libtorch's intra-op threads when either
// is left at 0. On CPU the network is the bottleneck and views of small images cost
// microseconds: one worker and every core for libtorch (the worker sleeps while the prefetch
// queue is full, so it does not compete with the OpenMP threads); Run then adapts the split to
// the measured costs (see splitter). On CUDA the views are the bottleneck: every core but one
// builds them.
func cpuSplit(cfg Config, workers, cpus int) (int, int) {
	n := max(cpus, 1)
	threads := cfg.Threads
	gpu := cfg.Device.IsCUDA(torch.CUDADeviceCount)
	if workers <= 0 {
		if gpu {
			workers = max(1, n-1)
		} else {
			workers = 1
		}
	}
	if threads <= 0 {
		if gpu {
			threads = 1
		} else {
			threads = n
		}
	}
	return workers, threads
}

// cpusPerProcess is this process's share of the machine's CPUs: all of them, or an equal share
// when a data-parallel job runs several processes on this machine (LOCAL_WORLD_SIZE).
func cpusPerProcess(sess *parallel.Session) int {
	n := runtime.NumCPU()
	if lw := sess.Env().LocalWorld; lw > 1 {
		n = max(1, n/lw)
	}
	return n
}

// splitReason says where a run's starting split comes from.
func splitReason(dev torch.Device, cpus int, fixedWorkers, fixedThreads bool) string {
	switch {
	case fixedWorkers && fixedThreads:
		return "as asked (--workers, --threads)"
	case dev.Type != torch.CPUDevice:
		return fmt.Sprintf("%d CPUs: the views are the bottleneck with %s", cpus, dev)
	}
	return fmt.Sprintf("%d CPUs: every core for libtorch but what the views need, adapted to the measured costs every %d steps", cpus, splitWindow)
}

func epochOfStep(step, stepsPerEpoch int) int { return (step - 1) / stepsPerEpoch }

// throughput is a moving average of images per second over the last steps.
type throughput struct {
	images []int
	times  []time.Duration
}

const throughputWindow = 20

func (t *throughput) add(images int, d time.Duration) float64 {
	t.images = append(t.images, images)
	t.times = append(t.times, d)
	if len(t.images) > throughputWindow {
		t.images, t.times = t.images[1:], t.times[1:]
	}
	var n int
	var s time.Duration
	for i := range t.images {
		n += t.images[i]
		s += t.times[i]
	}
	if s <= 0 {
		return math.Inf(1)
	}
	return float64(n) / s.Seconds()
}
