//go:build !notorch

package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/loader"
	"github.com/scl-dev/scl/preprocess"
	"github.com/scl-dev/scl/probe"
	"github.com/scl-dev/scl/torch"
)

// Features runs the target encoder in evaluation mode (BatchNorm running statistics), without
// gradients, over every image of d (inference transform: resize to Config.DownstreamImageSize,
// normalise) and returns the features row-major [N, D] and the labels. Downstream features come
// from the target encoder (SPEC §3). The networks are left in training mode afterwards.
func (t *Trainer) Features(ctx context.Context, d data.Dataset, workers int) ([]float32, int, []int64, error) {
	tf := preprocess.Default(t.cfg.DownstreamImageSize(), t.cfg.InChannels, "")
	if err := tf.Validate(); err != nil {
		return nil, 0, nil, fmt.Errorf("train: features: %w", err)
	}
	l, err := loader.New(loader.Config{Dataset: d, Transform: tf, BatchSize: 256, Seed: uint64(t.cfg.Seed), Workers: workers})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("train: features: %w", err)
	}
	t.target.Store.SetTraining(false)
	defer t.target.Store.SetTraining(true)
	it := l.Epoch(ctx, 0, 0)
	defer it.Close()
	var feats []float32
	var labels []int64
	dim := 0
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, nil, fmt.Errorf("train: features: %w", err)
		}
		f, err := t.encodeBatch(b)
		b.Release()
		if err != nil {
			return nil, 0, nil, err
		}
		dim = len(f) / b.N
		feats = append(feats, f...)
		labels = append(labels, b.Labels...)
	}
	return feats, dim, labels, nil
}

func (t *Trainer) encodeBatch(b *loader.Batch) ([]float32, error) {
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	sh := b.Shapes[0]
	x := ng.FromFloat32s(b.Views[0], int64(b.N), int64(sh.C), int64(sh.H), int64(sh.W))
	if t.dev.Type != torch.CPUDevice {
		x = ng.ToDevice(x, t.dev, false)
	}
	if t.dtype != torch.Float32 {
		x = ng.To(x, t.dtype)
	}
	if t.channelsLast {
		x = ng.ChannelsLast(x)
	}
	f := t.target.Encoder.Forward(ng, x)
	f = ng.To(f, torch.Float32)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("train: features: %w", err)
	}
	return f.Float32s()
}

// EvalSplits are the labelled splits of an evaluation: the kNN memory (or probe training set)
// and the scored split.
type EvalSplits struct {
	Train, Test data.Dataset
}

// KNN classifies Test by cosine kNN over Train's target-encoder features (k neighbours,
// temperature 0.07, as probe.KNN) and returns the top-1 accuracy.
func (t *Trainer) KNN(ctx context.Context, e EvalSplits, k, workers int) (float64, error) {
	r, err := t.Evaluate(ctx, e, EvalOptions{K: k, Workers: workers})
	return r.KNNTop1, err
}

// LinearProbe fits the linear probe of SPEC §7 (L2-normalised target features, multinomial
// logistic regression, C = 1) on Train and returns the top-1 accuracy on Test.
func (t *Trainer) LinearProbe(ctx context.Context, e EvalSplits, workers int) (float64, error) {
	r, err := t.Evaluate(ctx, e, EvalOptions{Probe: true, Workers: workers})
	return r.ProbeTop1, err
}

// EvalOptions chooses what Evaluate measures.
type EvalOptions struct {
	// K is the kNN monitor's k (0: no kNN).
	K int
	// Probe fits the linear probe too.
	Probe bool
	// Workers decode the images (0: one per CPU).
	Workers int
}

// EvalResult holds the top-1 accuracies Evaluate measured (NaN: not measured).
type EvalResult struct {
	KNNTop1, ProbeTop1 float64
}

// Evaluate extracts the target encoder's features of both splits once and scores them with the
// kNN monitor and, when asked, the linear probe.
func (t *Trainer) Evaluate(ctx context.Context, e EvalSplits, o EvalOptions) (EvalResult, error) {
	res := EvalResult{KNNTop1: math.NaN(), ProbeTop1: math.NaN()}
	train, test, err := t.evalFeatures(ctx, e, o.Workers)
	if err != nil {
		return res, err
	}
	if o.K > 0 {
		r, err := probe.KNN(ctx, train, test, probe.KNNConfig{K: o.K})
		if err != nil {
			return res, fmt.Errorf("train: knn: %w", err)
		}
		m, err := probe.Evaluate(r.Scores, r.Classes, test.Labels)
		if err != nil {
			return res, fmt.Errorf("train: knn: %w", err)
		}
		res.KNNTop1 = m.Top1
	}
	if !o.Probe {
		return res, nil
	}
	// The probe L2-normalises the features in place, after the kNN (cosine either way).
	if err := probe.Preprocess(probe.L2Rows, train, test); err != nil {
		return res, fmt.Errorf("train: probe: %w", err)
	}
	model, _, err := probe.FitLogistic(ctx, train, probe.LogisticConfig{})
	if err != nil {
		return res, fmt.Errorf("train: probe: %w", err)
	}
	scores, err := model.Scores(test)
	if err != nil {
		return res, fmt.Errorf("train: probe: %w", err)
	}
	m, err := probe.Evaluate(scores, model.Classes, test.Labels)
	if err != nil {
		return res, fmt.Errorf("train: probe: %w", err)
	}
	res.ProbeTop1 = m.Top1
	return res, nil
}

func (t *Trainer) evalFeatures(ctx context.Context, e EvalSplits, workers int) (train, test *probe.Dataset, err error) {
	if e.Train == nil || e.Test == nil {
		return nil, nil, fmt.Errorf("train: evaluation needs a labelled train and test split")
	}
	for _, p := range []struct {
		name string
		d    data.Dataset
		out  **probe.Dataset
	}{{"train", e.Train, &train}, {"test", e.Test, &test}} {
		f, dim, labels, err := t.Features(ctx, p.d, workers)
		if err != nil {
			return nil, nil, err
		}
		*p.out, err = probe.NewDataset("evaluation "+p.name+" features", f, len(labels), dim, labels)
		if err != nil {
			return nil, nil, fmt.Errorf("train: evaluation: %w", err)
		}
	}
	return train, test, nil
}
