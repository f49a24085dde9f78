// Command probe-bench compares scl's linear probe with scikit-learn's
// LogisticRegression(C=1, solver="lbfgs", max_iter=1000) on the same
// features, in the same run: Fashion-MNIST raw pixels (60,000 × 784,
// L2-normalised per row) by default, or any features.npy/labels.npy pair.
//
//	go run ./bench/probe                   # Fashion-MNIST pixels
//	go run ./bench/probe -train d1 -test d2 # encoder features written by scl embed
//
// It writes the preprocessed features to a temporary directory as .npy, fits
// our probe, then runs bench/probe/sklearn_fit.py with /usr/bin/python3 on the
// same files, and prints accuracies, fit times and their ratio.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/scl-dev/scl/bench/internal/result"
	"github.com/scl-dev/scl/npy"
	"github.com/scl-dev/scl/probe"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	result.Exit()
}

type sklearnResult struct {
	Accuracy float64 `json:"accuracy"`
	FitSec   float64 `json:"fit_seconds"`
	FitCPU   float64 `json:"fit_cpu_seconds"`
	NIter    int     `json:"n_iter"`
	Loss     float64 `json:"loss"`
	GradMax  float64 `json:"grad_max"`
	Version  string  `json:"sklearn"`
}

func run() error {
	fashion := flag.String("fashion", "/usr/share/datasets/fashion-mnist", "Fashion-MNIST directory (gzipped IDX)")
	trainDir := flag.String("train", "", "train split (features.npy/labels.npy, shards or directory) instead of Fashion-MNIST")
	testDir := flag.String("test", "", "test split, with -train")
	python := flag.String("python", "/usr/bin/python3", "Python with scikit-learn")
	skipSklearn := flag.Bool("skip-sklearn", false, "fit only our probe")
	noPrecond := flag.Bool("no-precondition", false, "run our L-BFGS without the preconditioner")
	maxIter := flag.Int("max-iter", 1000, "max_iter for both")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of our fit to this file")
	relu := flag.Int("relu", 0, "instead of pixels, use N dense random ReLU features relu(x·R), R ~ N(0, 1/784), seed 1 (a stand-in for encoder features)")
	flag.Parse()

	var train, test *probe.Dataset
	var err error
	source := "Fashion-MNIST raw pixels"
	if *trainDir != "" {
		source = *trainDir
		if train, err = probe.LoadSplit("train", *trainDir); err != nil {
			return err
		}
		if test, err = probe.LoadSplit("test", *testDir); err != nil {
			return err
		}
	} else {
		if train, err = fashionSplit(*fashion, "train"); err != nil {
			return err
		}
		if test, err = fashionSplit(*fashion, "t10k"); err != nil {
			return err
		}
		if *relu > 0 {
			source = fmt.Sprintf("Fashion-MNIST random ReLU features (%d)", *relu)
			r := randomProjection(train.Dim, *relu)
			train, test = reluFeatures(train, r, *relu), reluFeatures(test, r, *relu)
		}
	}
	if err := probe.Preprocess(probe.L2Rows, train, test); err != nil {
		return err
	}
	fmt.Printf("data: %s, train %d×%d, test %d, L2-normalised rows, GOMAXPROCS %d\n",
		source, train.Rows, train.Dim, test.Rows, runtime.GOMAXPROCS(0))

	// Ours.
	cfg := probe.LogisticConfig{C: 1, MaxIter: *maxIter, NoPrecondition: *noPrecond}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := cpuSeconds()
	model, info, err := probe.FitLogistic(context.Background(), train, cfg)
	if err != nil {
		return err
	}
	ourCPU := cpuSeconds() - cpu0
	pred, err := model.Predict(test)
	if err != nil {
		return err
	}
	ours := accuracy(pred, test.Labels)
	fmt.Printf("scl probe:   accuracy %.2f%%  fit %.2fs wall, %.2fs CPU  iterations %d  evaluations %d  loss %.6f  max|grad| %.3g  (%s)\n",
		100*ours, info.Seconds, ourCPU, info.Iterations, info.Evaluations, info.Loss, info.GradMax, info.Reason)
	if *skipSklearn {
		return nil
	}

	// scikit-learn on the same preprocessed features.
	dir, err := os.MkdirTemp("", "probe-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, s := range []struct {
		name string
		ds   *probe.Dataset
	}{{"train", train}, {"test", test}} {
		x := make([]float32, len(s.ds.X))
		for i, v := range s.ds.X {
			x[i] = float32(v)
		}
		if err := npy.WriteFloat32(filepath.Join(dir, s.name+"_x.npy"), x, s.ds.Rows, s.ds.Dim); err != nil {
			return err
		}
		if err := npy.WriteInt64(filepath.Join(dir, s.name+"_y.npy"), s.ds.Labels, s.ds.Rows); err != nil {
			return err
		}
	}
	script := filepath.Join(sourceDir(), "sklearn_fit.py")
	cmd := exec.Command(*python, script, dir, fmt.Sprint(*maxIter))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("bench: %s %s: %w", *python, script, err)
	}
	var sk sklearnResult
	if err := json.Unmarshal(out, &sk); err != nil {
		return fmt.Errorf("bench: sklearn output %q: %w", out, err)
	}
	fmt.Printf("scikit-learn %s: accuracy %.2f%%  fit %.2fs wall, %.2fs CPU  iterations %d  loss %.6f  max|grad| %.3g\n",
		sk.Version, 100*sk.Accuracy, sk.FitSec, sk.FitCPU, sk.NIter, sk.Loss, sk.GradMax)
	fmt.Printf("accuracy difference (ours − sklearn): %+.2f points (target |Δ| ≤ 0.3)\n", 100*(ours-sk.Accuracy))
	fmt.Printf("fit time ratio (ours / sklearn): %.3f wall (target ≤ 0.5), %.3f CPU\n", info.Seconds/sk.FitSec, ourCPU/sk.FitCPU)
	d := 100 * (ours - sk.Accuracy)
	result.Report("probe", "probe accuracy difference (points)", fmt.Sprintf("%.2f %%", 100*ours),
		fmt.Sprintf("%.2f %% (scikit-learn %s)", 100*sk.Accuracy, sk.Version), d, "|Δ| ≤ 0.3", math.Abs(d) <= 0.3)
	result.Report("probe", "probe fit time / scikit-learn", fmt.Sprintf("%.1f s", info.Seconds),
		fmt.Sprintf("%.1f s", sk.FitSec), info.Seconds/sk.FitSec, "≤ 0.5", info.Seconds/sk.FitSec <= 0.5)
	return nil
}

// fashionSplit loads a Fashion-MNIST split as raw pixel features.
func fashionSplit(dir, split string) (*probe.Dataset, error) {
	x, y, d, err := loadFashion(dir, split)
	if err != nil {
		return nil, err
	}
	return probe.NewDataset(split, x, len(y), d, y)
}

func accuracy(pred, labels []int64) float64 {
	ok := 0
	for i, p := range pred {
		if p == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(labels))
}

// sourceDir finds bench/probe from the working directory (the repository
// root or bench/probe itself).
func sourceDir() string {
	for _, d := range []string{"bench/probe", "."} {
		if _, err := os.Stat(filepath.Join(d, "sklearn_fit.py")); err == nil {
			return d
		}
	}
	return "bench/probe"
}

// cpuSeconds returns the user+system CPU time of this process: on a shared
// machine it says how much work a fit did, whatever the other tenants took.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// randomProjection returns a d×m matrix of N(0, 1/d) entries, seed 1.
func randomProjection(d, m int) []float64 {
	rng := rand.New(rand.NewPCG(1, 1))
	r := make([]float64, d*m)
	for i := range r {
		r[i] = rng.NormFloat64() / math.Sqrt(float64(d))
	}
	return r
}

// reluFeatures returns relu(X/255 · R) as a new dataset with m columns:
// dense, non-negative features like a ReLU network's.
func reluFeatures(ds *probe.Dataset, r []float64, m int) *probe.Dataset {
	x := make([]float64, len(ds.X))
	for i, v := range ds.X {
		x[i] = v / 255
	}
	out := make([]float64, ds.Rows*m)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas64.General{Rows: ds.Rows, Cols: ds.Dim, Stride: ds.Dim, Data: x},
		blas64.General{Rows: ds.Dim, Cols: m, Stride: m, Data: r},
		0, blas64.General{Rows: ds.Rows, Cols: m, Stride: m, Data: out})
	for i, v := range out {
		out[i] = max(v, 0)
	}
	return &probe.Dataset{X: out, Rows: ds.Rows, Dim: m, Labels: ds.Labels}
}
