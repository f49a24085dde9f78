package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// Options configures Assess. The zero value runs both the linear probe and
// kNN with their defaults on L2-normalised rows.
type Options struct {
	Normalization Normalization
	Logistic      LogisticConfig
	SkipLinear    bool
	KNN           KNNConfig
	SkipKNN       bool
	// Progress, when set, receives one-line status messages.
	Progress func(string)
}

// Report is the outcome of Assess, written as JSON by WriteJSON.
type Report struct {
	Created       string             `json:"created"`
	Normalization string             `json:"normalization"`
	Train         SplitSummary       `json:"train"`
	Test          SplitSummary       `json:"test"`
	Linear        *LinearReport      `json:"linear,omitempty"`
	KNN           *KNNReport         `json:"knn,omitempty"`
	Timings       map[string]float64 `json:"timings_seconds"`
}

// SplitSummary describes one split.
type SplitSummary struct {
	Files   []string `json:"files,omitempty"`
	Rows    int      `json:"rows"`
	Dim     int      `json:"dim"`
	Classes int      `json:"classes"`
}

// LinearReport holds the linear probe's settings, fit and test metrics.
type LinearReport struct {
	C         float64  `json:"C"`
	Tol       float64  `json:"tol"`
	MaxIter   int      `json:"max_iter"`
	Intercept bool     `json:"fit_intercept"`
	Fit       FitInfo  `json:"fit"`
	Metrics   *Metrics `json:"metrics"`
}

// KNNReport holds the kNN settings and test metrics.
type KNNReport struct {
	K           int      `json:"k"`
	Temperature float64  `json:"temperature"`
	Seconds     float64  `json:"seconds"`
	Metrics     *Metrics `json:"metrics"`
}

// Assess preprocesses train and test in place (opt.Normalization, statistics
// from train), fits the linear probe on train and scores test, and runs kNN;
// this is the API for periodic evaluation during training. Cancelling ctx
// stops it with ctx's error.
func Assess(ctx context.Context, train, test *Dataset, opt Options) (*Report, error) {
	start := time.Now()
	progress := func(format string, a ...any) {
		if opt.Progress != nil {
			opt.Progress(fmt.Sprintf(format, a...))
		}
	}
	if opt.SkipLinear && opt.SkipKNN {
		return nil, fmt.Errorf("probe: nothing to do: both the linear probe and kNN are skipped")
	}
	if err := train.validate("train"); err != nil {
		return nil, err
	}
	if err := test.validate("test"); err != nil {
		return nil, err
	}
	if train.Dim != test.Dim {
		return nil, fmt.Errorf("probe: train features have %d columns, test features %d, want equal", train.Dim, test.Dim)
	}
	classes := train.Classes()
	if len(classes) < 2 {
		return nil, fmt.Errorf("probe: train split has a single class (%d), want at least two", classes[0])
	}
	if _, err := classIndex("test", test.Labels, classes); err != nil {
		return nil, err
	}
	rep := &Report{
		Created:       time.Now().UTC().Format(time.RFC3339),
		Normalization: opt.Normalization.String(),
		Train:         SplitSummary{Rows: train.Rows, Dim: train.Dim, Classes: len(classes)},
		Test:          SplitSummary{Rows: test.Rows, Dim: test.Dim, Classes: len(test.Classes())},
		Timings:       map[string]float64{},
	}
	t := time.Now()
	if err := Preprocess(opt.Normalization, train, test); err != nil {
		return nil, err
	}
	rep.Timings["preprocess"] = time.Since(t).Seconds()

	if !opt.SkipLinear {
		cfg, err := opt.Logistic.withDefaults()
		if err != nil {
			return nil, err
		}
		progress("linear probe: fitting %d×%d, %d classes, C=%g", train.Rows, train.Dim, len(classes), cfg.C)
		model, info, err := FitLogistic(ctx, train, cfg)
		if err != nil {
			return nil, err
		}
		progress("linear probe: %d iterations, %.1fs, %s", info.Iterations, info.Seconds, info.Reason)
		t = time.Now()
		scores, err := model.Scores(test)
		if err != nil {
			return nil, err
		}
		m, err := Evaluate(scores, model.Classes, test.Labels)
		if err != nil {
			return nil, err
		}
		rep.Timings["linear_fit"] = info.Seconds
		rep.Timings["linear_predict"] = time.Since(t).Seconds()
		rep.Linear = &LinearReport{C: cfg.C, Tol: cfg.Tol, MaxIter: cfg.MaxIter, Intercept: !cfg.NoIntercept, Fit: info, Metrics: m}
		progress("linear probe: top-1 %.2f%%", 100*m.Top1)
	}
	if !opt.SkipKNN {
		cfg, err := opt.KNN.withDefaults()
		if err != nil {
			return nil, err
		}
		progress("knn: k=%d, T=%g, %d test × %d train rows", cfg.K, cfg.Temperature, test.Rows, train.Rows)
		t = time.Now()
		res, err := KNN(ctx, train, test, cfg)
		if err != nil {
			return nil, err
		}
		m, err := Evaluate(res.Scores, res.Classes, test.Labels)
		if err != nil {
			return nil, err
		}
		sec := time.Since(t).Seconds()
		rep.Timings["knn"] = sec
		rep.KNN = &KNNReport{K: min(cfg.K, train.Rows), Temperature: cfg.Temperature, Seconds: sec, Metrics: m}
		progress("knn: top-1 %.2f%%", 100*m.Top1)
	}
	rep.Timings["total"] = time.Since(start).Seconds()
	return rep, nil
}

// WriteJSON writes the report, indented, to path atomically.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("probe: encoding report: %w", err)
	}
	return writeFile(path, append(b, '\n'))
}

// SetClassNames attaches class names (by label value) to the report's metrics, for the JSON
// report and the confusion plot.
func (r *Report) SetClassNames(names []string) {
	if r.Linear != nil && r.Linear.Metrics != nil {
		r.Linear.Metrics.Names = names
	}
	if r.KNN != nil && r.KNN.Metrics != nil {
		r.KNN.Metrics.Names = names
	}
}

// WriteConfusionPNG renders the linear probe's confusion matrix (kNN's when
// the linear probe did not run) to path atomically.
func (r *Report) WriteConfusionPNG(path string) error {
	var m *Metrics
	title := ""
	switch {
	case r.Linear != nil:
		m, title = r.Linear.Metrics, fmt.Sprintf("linear probe, top-1 %.2f%%", 100*r.Linear.Metrics.Top1)
	case r.KNN != nil:
		m, title = r.KNN.Metrics, fmt.Sprintf("kNN (k=%d), top-1 %.2f%%", r.KNN.K, 100*r.KNN.Metrics.Top1)
	default:
		return fmt.Errorf("probe: %s: no confusion matrix in the report", path)
	}
	b, err := ConfusionPNG(m, title)
	if err != nil {
		return err
	}
	return writeFile(path, b)
}

// writeFile writes data to path atomically, creating missing parent directories.
func writeFile(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	return nil
}
