package models_test

import (
	"fmt"
	"testing"

	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/models/archtest"
)

func loadGolden(t *testing.T) *archtest.Golden {
	t.Helper()
	g, err := archtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// checkState compares a network's parameters and buffers, in order, with torchvision's
// state-dict entries.
func checkState(t *testing.T, net *models.Network, g archtest.Net) {
	t.Helper()
	names, shapes, err := g.Entries()
	if err != nil {
		t.Fatal(err)
	}
	ps := net.Params()
	if len(ps) != len(names) {
		t.Errorf("%d tensors, torchvision %d", len(ps), len(names))
	}
	for i := range min(len(ps), len(names)) {
		if ps[i].Name != names[i] || fmt.Sprint(ps[i].Shape) != fmt.Sprint(shapes[i]) {
			t.Errorf("tensor %d is %s %v, torchvision %s %v", i, ps[i].Name, ps[i].Shape, names[i], shapes[i])
			return
		}
	}
}

// TestTorchvisionState checks every encoder's (and the projector's) state-dict names, shapes
// and order against torchvision's (testdata/torchvision_golden.json, written by
// scripts/torchvision_golden.py).
func TestTorchvisionState(t *testing.T) {
	g := loadGolden(t)
	if len(g.Nets) != 7 {
		t.Fatalf("golden file has %d encoders, want 7 (resnet18/50 × 2 stems, resnet18 with the stride-2 CIFAR stem, efficientnet_v2_s, efficientnet_b0)", len(g.Nets))
	}
	for _, n := range g.Nets {
		t.Run(n.Name(), func(t *testing.T) {
			net, err := models.Encoder(n.Config())
			if err != nil {
				t.Fatal(err)
			}
			checkState(t, net, n)
			if got, want := net.OutDim, n.OutputShape[len(n.OutputShape)-1]; got != want {
				t.Errorf("feature size %d, torchvision %d", got, want)
			}
		})
	}
	p := g.Projector
	checkState(t, models.Projector(p.Dims[0], p.Dims[1], p.Dims[2]), p)
}

// TestTorchvisionForward runs the pure-Go evaluator on the golden input with the golden
// weights and compares the eval-mode features with torchvision's.
func TestTorchvisionForward(t *testing.T) {
	g := loadGolden(t)
	for _, n := range append(g.Nets, g.Projector) {
		t.Run(n.Name(), func(t *testing.T) {
			var net *models.Network
			var hw [2]int
			if n.Arch == "projector" {
				net = models.Projector(n.Dims[0], n.Dims[1], n.Dims[2])
			} else {
				var err error
				if net, err = models.Encoder(n.Config()); err != nil {
					t.Fatal(err)
				}
				hw = [2]int{n.InputShape[2], n.InputShape[3]}
			}
			got, err := models.Evaluate(net, "", archtest.Weights(net, ""), n.InputValues(), n.InputShape[0], hw)
			if err != nil {
				t.Fatal(err)
			}
			rel, err := n.Compare(got)
			if err != nil {
				t.Fatal(err)
			}
			// float32 torch against float64-accumulating Go over up to ~50 layers.
			if rel > 1e-5 {
				t.Errorf("features differ from torchvision's by %.3g relative to the largest, want ≤ 1e-5", rel)
			}
			t.Logf("relative difference to torchvision %.3g", rel)
		})
	}
}
