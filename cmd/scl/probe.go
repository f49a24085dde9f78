package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/probe"
	"github.com/scl-dev/scl/search"
)

// probeCommand maps `scl probe` flags onto probe.LoadSplit and probe.Assess.
func probeCommand() *cli.Command {
	return &cli.Command{
		Name:  "probe",
		Usage: "linear probe (multinomial logistic regression) and kNN on frozen features",
		Description: "Reads features.npy (float32 [N, D]) and labels.npy (int64 [N]) for a train and a test split,\n" +
			"as written by scl embed: a features file, a directory holding both files, or a directory of\n" +
			"shards (shard-I-of-N/ or features*.npy), joined in order. Fits scikit-learn's\n" +
			"LogisticRegression(C, lbfgs, multinomial) objective on train, scores test, runs the weighted kNN\n" +
			"classifier and writes a JSON report and a PNG confusion matrix.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "train", Usage: "train split: features .npy, directory or shard directory (repeat or comma-separate for several)", Required: true},
			&cli.StringSliceFlag{Name: "test", Usage: "test split, as --train", Required: true},
			&cli.StringFlag{Name: "normalize", Value: "l2", Usage: "feature preprocessing: l2 (rows), none, standardize (columns, train statistics) or l2+standardize"},
			&cli.Float64Flag{Name: "C", Value: probe.DefaultC, Usage: "inverse L2 regularisation strength"},
			&cli.Float64Flag{Name: "tol", Value: probe.DefaultTol, Usage: "stop when the largest gradient component is at most this"},
			&cli.IntFlag{Name: "max-iter", Value: probe.DefaultMaxIter, Usage: "L-BFGS iteration limit"},
			&cli.BoolFlag{Name: "no-intercept", Usage: "fit no intercept"},
			&cli.BoolFlag{Name: "no-precondition", Usage: "run L-BFGS on the original variables, as scikit-learn (slower)"},
			&cli.IntFlag{Name: "knn-k", Value: probe.DefaultK, Usage: "kNN neighbours"},
			&cli.Float64Flag{Name: "knn-t", Value: probe.DefaultTemperature, Usage: "kNN vote temperature"},
			&cli.BoolFlag{Name: "no-linear", Usage: "skip the linear probe"},
			&cli.BoolFlag{Name: "no-knn", Usage: "skip kNN"},
			&cli.IntFlag{Name: "threads", Usage: "goroutines (0: one per core)"},
			&cli.StringFlag{Name: "report", Value: "probe_report.json", Usage: "JSON report path (empty: none)"},
			&cli.StringFlag{Name: "confusion", Value: "probe_confusion.png", Usage: "PNG confusion matrix path (empty: none)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress messages"},
		},
		Action: runProbe,
	}
}

func runProbe(c *cli.Context) error {
	norm, err := probe.ParseNormalization(c.String("normalize"))
	if err != nil {
		return fmt.Errorf("--normalize: %w", err)
	}
	progress := func(msg string) { fmt.Fprintln(c.App.ErrWriter, msg) }
	if c.Bool("quiet") {
		progress = nil
	}
	opt := probe.Options{
		Normalization: norm,
		Logistic: probe.LogisticConfig{
			C: c.Float64("C"), Tol: c.Float64("tol"), MaxIter: c.Int("max-iter"),
			NoIntercept: c.Bool("no-intercept"), NoPrecondition: c.Bool("no-precondition"),
			Threads: c.Int("threads"),
		},
		SkipLinear: c.Bool("no-linear"),
		KNN:        probe.KNNConfig{K: c.Int("knn-k"), Temperature: c.Float64("knn-t"), Threads: c.Int("threads")},
		SkipKNN:    c.Bool("no-knn"),
		Progress:   progress,
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	trainPaths, testPaths := splitList(c.StringSlice("train")), splitList(c.StringSlice("test"))
	train, err := probe.LoadSplit("train", trainPaths...)
	if err != nil {
		return err
	}
	test, err := probe.LoadSplit("test", testPaths...)
	if err != nil {
		return err
	}
	if progress != nil {
		progress(fmt.Sprintf("loaded train %d×%d, test %d×%d", train.Rows, train.Dim, test.Rows, test.Dim))
	}
	rep, err := probe.Assess(ctx, train, test, opt)
	if err != nil {
		return err
	}
	rep.Train.Files, rep.Test.Files = trainPaths, testPaths
	rep.SetClassNames(classNames(trainPaths))
	if p := c.String("report"); p != "" {
		if err := rep.WriteJSON(p); err != nil {
			return err
		}
	}
	if p := c.String("confusion"); p != "" {
		if err := rep.WriteConfusionPNG(p); err != nil {
			return err
		}
	}
	printSummary(c, rep)
	return nil
}

// splitList flattens repeated and comma-separated flag values.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func printSummary(c *cli.Context, rep *probe.Report) {
	w := c.App.Writer
	fmt.Fprintf(w, "train %d × %d (%d classes), test %d, normalisation %s\n",
		rep.Train.Rows, rep.Train.Dim, rep.Train.Classes, rep.Test.Rows, rep.Normalization)
	line := func(name string, m *probe.Metrics, extra string) {
		fmt.Fprintf(w, "%-8s top-1 %6.2f%%", name, 100*m.Top1)
		if m.Top5 > 0 {
			fmt.Fprintf(w, "  top-5 %6.2f%%", 100*m.Top5)
		}
		if m.Top10 > 0 {
			fmt.Fprintf(w, "  top-10 %6.2f%%", 100*m.Top10)
		}
		fmt.Fprintf(w, "  mean per class %6.2f%%  %s\n", 100*m.MeanPerClass, extra)
	}
	if l := rep.Linear; l != nil {
		line("linear", l.Metrics, fmt.Sprintf("(C=%g, %d iterations, %.1fs, %s)", l.C, l.Fit.Iterations, l.Fit.Seconds, l.Fit.Reason))
	}
	if k := rep.KNN; k != nil {
		line("knn", k.Metrics, fmt.Sprintf("(k=%d, T=%g, %.1fs)", k.K, k.Temperature, k.Seconds))
	}
	switch {
	case rep.Linear != nil:
		writePerClass(w, "linear", rep.Linear.Metrics)
	case rep.KNN != nil:
		writePerClass(w, "knn", rep.KNN.Metrics)
	}
}

// maxPerClassLines bounds the per-class lines printed; with more classes only the worst are.
const maxPerClassLines = 20

// writePerClass prints one probe's top-1 accuracy per class, by class name when the data set
// names its classes ("class N" otherwise); beyond maxPerClassLines classes, the worst ones.
func writePerClass(w io.Writer, probeName string, m *probe.Metrics) {
	order := make([]int, 0, len(m.Classes))
	for i := range m.Classes {
		if m.Support[i] > 0 {
			order = append(order, i)
		}
	}
	if len(order) == 0 {
		return
	}
	head := fmt.Sprintf("%s per class:", probeName)
	if len(order) > maxPerClassLines {
		sort.SliceStable(order, func(a, b int) bool { return m.PerClass[order[a]] < m.PerClass[order[b]] })
		head = fmt.Sprintf("%s per class (the %d worst of %d):", probeName, maxPerClassLines, len(order))
		order = order[:maxPerClassLines]
	}
	names := make([]string, len(order))
	width := 0
	for j, i := range order {
		names[j] = m.ClassName(m.Classes[i])
		if names[j] == "" {
			names[j] = fmt.Sprintf("class %d", m.Classes[i])
		}
		width = max(width, utf8.RuneCountInString(names[j]))
	}
	fmt.Fprintln(w, head)
	for j, i := range order {
		pad := strings.Repeat(" ", width-utf8.RuneCountInString(names[j]))
		fmt.Fprintf(w, "  %s%s %6.2f%%  (%d test rows)\n", names[j], pad, 100*m.PerClass[i], m.Support[i])
	}
}

// classNames returns the class names recorded by scl embed in the manifest.json beside the
// first features file or folder of paths (nil when there is none).
func classNames(paths []string) []string {
	for _, p := range paths {
		dir := p
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			dir = filepath.Dir(p)
		}
		dirs, err := search.ExpandDirs(dir)
		if err != nil || len(dirs) == 0 {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dirs[0], "manifest.json"))
		if err != nil {
			continue
		}
		var m struct {
			Classes []string `json:"classes"`
		}
		if json.Unmarshal(b, &m) == nil && len(m.Classes) > 0 {
			return m.Classes
		}
	}
	return nil
}
