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

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/data/loader"
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
	// Workers is the number of augmentation goroutines (0: see CPUSplit).
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
}

// Hooks receive a run's progress. Callbacks run on the training goroutine: keep them short.
type Hooks struct {
	Progress func(Progress)
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

// MetricsFile is the name of the metrics file under the output directory.
const MetricsFile = "metrics.jsonl"

// PlotFile is the name of the curves image under the output directory.
const PlotFile = "curves.png"

// Run trains according to cfg on d: fresh or resumed (cfg.Resume), checkpointing at step 0,
// every cfg.CheckpointEvery steps, at the end, and when ctx is cancelled (then
// Result.Interrupted is set and the error is nil) or cfg.MaxDuration runs out (Result.TimeUp). A non-finite loss stops the run with
// an error wrapping ErrNonFinite, leaving the last checkpoint as it was.
//
// The calling goroutine is locked to its OS thread for the duration (libtorch's CPU thread
// count is per OS thread, and a fixed thread count makes CPU runs reproducible).
func Run(ctx context.Context, cfg Config, d Data, h Hooks) (Result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var res Result
	if d.Train == nil {
		return res, errors.New("train: no training data set")
	}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	d.Workers, cfg.Threads = CPUSplit(cfg, d.Workers)
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return res, fmt.Errorf("train: output directory: %w", err)
	}
	if err := removeStaleTemps(cfg.OutDir); err != nil {
		return res, err
	}
	tf, err := augment.NewMultiCrop(cfg.ImageSize, cfg.GlobalViews, cfg.LocalViews, cfg.InChannels)
	if err != nil {
		return res, fmt.Errorf("train: views: %w", err)
	}
	sess := d.Session
	isMain := sess.IsMain()
	localBatch, _, err := sess.LocalSizes(cfg.BatchSize, cfg.MiniBatchSize)
	if err != nil {
		return res, fmt.Errorf("train: %w", err)
	}
	ld, err := loader.New(loader.Config{Dataset: d.Train, Transform: tf, BatchSize: localBatch, Shuffle: true,
		DropLast: true, Seed: uint64(cfg.Seed), Workers: d.Workers, Rank: sess.Rank(), WorldSize: sess.World()})
	if err != nil {
		return res, fmt.Errorf("train: loader: %w", err)
	}
	spe := ld.Len()
	if spe < 1 {
		return res, fmt.Errorf("train: data set %q has %d images, fewer than one batch of %d", d.Name, d.Train.Len(), cfg.BatchSize)
	}
	tr, err := NewTrainer(cfg, spe)
	if err != nil {
		return res, err
	}
	defer tr.Close()

	resumeDir := cfg.Resume
	if resumeDir == "auto" {
		if resumeDir, err = LatestCheckpoint(cfg.OutDir); err != nil {
			return res, err
		}
	} else if st, err := os.Stat(resumeDir); err == nil && !st.IsDir() {
		// A file of the checkpoint (config.json, a safetensors file) names its directory, as the
		// reference's --ckpt_path names a file.
		resumeDir = filepath.Dir(resumeDir)
	}
	res.Metrics = filepath.Join(cfg.OutDir, MetricsFile)
	if resumeDir != "" {
		if err := tr.Restore(resumeDir); err != nil {
			return res, err
		}
		res.Checkpoint = resumeDir
	}
	if err := tr.Attach(sess); err != nil {
		return res, err
	}
	if err := sess.Lockstep(int64(tr.Steps())); err != nil {
		return res, fmt.Errorf("train: %w", err)
	}
	// Only the main process writes; the others keep a writer on a discarded file.
	var mw *metrics.Writer
	if isMain {
		if resumeDir != "" {
			if err := metrics.Truncate(res.Metrics, tr.Steps()); err != nil {
				return res, fmt.Errorf("train: %w", err)
			}
		} else if err := os.Remove(res.Metrics); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("train: %w", err)
		}
		if mw, err = metrics.Create(res.Metrics); err != nil {
			return res, fmt.Errorf("train: %w", err)
		}
		defer mw.Close()
	} else {
		res.Metrics = ""
	}

	total := spe * cfg.Epochs
	if cfg.MaxSteps > 0 && cfg.MaxSteps < total {
		total = cfg.MaxSteps
	}
	report := func(p Progress) {
		if h.Progress != nil {
			p.TotalSteps, p.Epochs, p.StepsPerEpoch = total, cfg.Epochs, spe
			h.Progress(p)
		}
	}
	if resumeDir != "" {
		e, b := tr.Position()
		report(Progress{Event: EventResume, Checkpoint: resumeDir, StepResult: StepResult{Step: tr.Steps()}, Epoch: e, Batch: b})
	}

	loaderCtx, cancelLoader := context.WithCancel(context.Background())
	defer cancelLoader()
	start := time.Now()
	var deadline <-chan time.Time
	if cfg.MaxDuration > 0 {
		timer := time.NewTimer(cfg.MaxDuration)
		defer timer.Stop()
		deadline = timer.C
	}
	save := func(last StepResult) error {
		if !isMain {
			return nil
		}
		dir, err := tr.Save(cfg.OutDir, d.Name, cfg.KeepCheckpoints)
		if err != nil {
			return err
		}
		res.Checkpoint = dir
		if err := mw.Sync(); err != nil {
			return err
		}
		e, b := tr.Position()
		report(Progress{Event: EventCheckpoint, Checkpoint: dir, StepResult: last, Epoch: e, Batch: b, Elapsed: time.Since(start)})
		return nil
	}
	evaluate := func(last StepResult, final bool) (map[string]float64, error) {
		if d.Eval.Train == nil || d.Eval.Test == nil {
			return nil, nil
		}
		out := map[string]float64{}
		top1, err := tr.KNN(ctx, d.Eval, cfg.EvalK, d.Workers)
		if err != nil {
			return nil, err
		}
		out["knn_top1"] = top1
		if final && d.Probe {
			p, err := tr.LinearProbe(ctx, d.Eval, d.Workers)
			if err != nil {
				return nil, err
			}
			out["probe_top1"] = p
		}
		e, _ := tr.Position()
		if isMain {
			if err := mw.Write(metrics.Record{Kind: metrics.KindEval, Time: time.Now(), Step: tr.Steps(), Epoch: e, Eval: out}); err != nil {
				return nil, err
			}
		}
		report(Progress{Event: EventEval, StepResult: last, Eval: out, Elapsed: time.Since(start)})
		return out, nil
	}

	var (
		last       StepResult
		thr        throughput
		stepsHere  int
		lastSaved  = tr.Steps()
		interrupt  bool
		timeUp     bool
		images     int
		loopErr    error
		stepsStart = tr.Steps()
	)
	if resumeDir == "" && cfg.CheckpointEvery > 0 {
		// Step 0 is a checkpoint too: a NaN in the first steps still leaves one to go back to.
		if err := save(last); err != nil {
			return res, err
		}
		lastSaved = 0
	}
training:
	for tr.Steps() < total {
		epoch, batch := tr.Position()
		report(Progress{Event: EventEpoch, StepResult: last, Epoch: epoch, Batch: batch, Elapsed: time.Since(start)})
		// The loader is not cancelled by ctx: the loop checks ctx between steps, so every
		// process of a data-parallel job stops after the same step.
		it := ld.Epoch(loaderCtx, epoch, batch)
		for tr.Steps() < total {
			select {
			case <-ctx.Done():
				interrupt = true
			case <-deadline:
				timeUp = true
			default:
			}
			stop, err := sess.AgreeStop(interrupt || timeUp)
			if err != nil {
				loopErr = fmt.Errorf("train: %w", err)
				break
			}
			if stop {
				if !timeUp {
					interrupt = true
				}
				break
			}
			t0 := time.Now()
			b, err := it.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				it.Close()
				return res, fmt.Errorf("train: data at epoch %d batch %d: %w", epoch, batch, err)
			}
			r, err := tr.Step(Batch{Views: b.Views, Shapes: b.Shapes, N: b.N})
			b.Release()
			if err != nil {
				loopErr = err
				break
			}
			last = r
			stepsHere++
			images += cfg.BatchSize
			ips := thr.add(cfg.BatchSize, time.Since(t0))
			e, bi := tr.Position()
			elapsed := time.Since(start)
			var eta time.Duration
			if stepsHere > 0 {
				eta = time.Duration(float64(elapsed) / float64(stepsHere) * float64(total-tr.Steps()))
			}
			if cfg.MaxDuration > 0 && cfg.MaxDuration-elapsed < eta {
				eta = max(cfg.MaxDuration-elapsed, 0)
			}
			report(Progress{Event: EventStep, StepResult: r, Epoch: e, Batch: bi, ImagesPerSec: ips, Elapsed: elapsed, ETA: eta})
			if isMain && (r.Step%cfg.LogEvery == 0 || r.Step == total) {
				rec := metrics.Record{Kind: metrics.KindStep, Time: time.Now(), Step: r.Step, Epoch: epochOfStep(r.Step, spe),
					Loss: r.Loss, KL: r.KL, Gamma: r.Gamma, Beta: r.Beta, Scale: r.Scale, Bias: r.Bias, LR: r.LR,
					ImagesPerSec: ips, Skipped: r.Skipped}
				if cfg.Precision == FP16 {
					rec.LossScale = r.LossScale
				}
				if err := mw.Write(rec); err != nil {
					loopErr = err
					break
				}
			}
			if cfg.CheckpointEvery > 0 && r.Step%cfg.CheckpointEvery == 0 {
				if err := save(r); err != nil {
					loopErr = err
					break
				}
				lastSaved = r.Step
			}
			if cfg.EvalEvery > 0 && r.Step%cfg.EvalEvery == 0 && r.Step < total {
				if _, err := evaluate(r, false); err != nil {
					loopErr = err
					break
				}
			}
		}
		it.Close()
		if loopErr != nil || interrupt || timeUp {
			break training
		}
	}
	res.Steps, res.Loss, res.Interrupted, res.TimeUp = tr.Steps(), last.Loss, interrupt, timeUp
	if el := time.Since(start).Seconds(); el > 0 && stepsHere > 0 {
		res.ImagesPerSec = float64(images) / el
	}
	if loopErr != nil {
		if errors.Is(loopErr, ErrNonFinite) {
			ck := res.Checkpoint
			if ck == "" {
				ck = "none"
			}
			return res, fmt.Errorf("%w; stopped without saving, last good checkpoint: %s (resume with --resume %s after lowering the learning rate)", loopErr, ck, ck)
		}
		return res, loopErr
	}
	if tr.Steps() != lastSaved || res.Checkpoint == "" {
		if err := save(last); err != nil {
			return res, err
		}
	}
	if !interrupt && tr.Steps() > stepsStart {
		ev, err := evaluate(last, true)
		if err != nil {
			return res, err
		}
		res.Eval = ev
	}
	if !isMain {
		return res, nil
	}
	if err := mw.Sync(); err != nil {
		return res, err
	}
	if cfg.Plot {
		res.Plot = filepath.Join(cfg.OutDir, PlotFile)
		if err := metrics.PlotFile(res.Metrics, res.Plot); err != nil {
			res.Plot = "" // nothing to draw yet (no step recorded): not a failure of the run
		}
	}
	return res, nil
}

// CPUSplit returns the number of augmentation workers and libtorch intra-op threads Run uses:
// it shares the CPUs between augmentation workers and libtorch's intra-op threads when
// either is left at 0. On CPU the network is the bottleneck: a quarter of the cores (at least
// one) build views and the rest run libtorch — on 2 cores one each, since OpenMP threads that
// compete with busy worker goroutines for a core stall at every barrier. On CUDA the views are
// the bottleneck: every core but one builds them.
func CPUSplit(cfg Config, workers int) (int, int) {
	n := runtime.NumCPU()
	threads := cfg.Threads
	kind, _, _ := ParseDevice(cfg.Device)
	gpu := kind == "cuda" || (kind == "auto" && torchCUDA())
	if workers <= 0 {
		if gpu {
			workers = max(1, n-1)
		} else {
			workers = max(1, n/4)
		}
	}
	if threads <= 0 {
		if gpu {
			threads = 1
		} else {
			threads = max(1, n-workers)
		}
	}
	return workers, threads
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
