//go:build !notorch

package train

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/ptimport"
	"github.com/scl-dev/scl/safetensors"
)

// referenceFixture is the reference's full checkpoint written by torch 1.13
// (scripts/torch-fixtures.py): a width-4 ResNet-18 with the CIFAR stem, projector 16 → 8,
// τ = 1.2, b = −4.5.
const referenceFixture = "../ptimport/testdata/reference_r18_cifar_legacy.pth"

func referenceConfig(t *testing.T) Config {
	c := fashionConfig(t)
	c.Width, c.ProjHidden, c.ProjOut, c.Stem = 4, 16, 8, "cifar"
	return c
}

// TestInitFromImported loads an imported reference checkpoint into a trainer and checks that the
// trainer's own checkpoint then holds exactly the imported weights, τ and b, at step 0.
func TestInitFromImported(t *testing.T) {
	imp, err := ptimport.Import(referenceFixture, ptimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(referenceConfig(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.InitFrom(imp.Checkpoint); err != nil {
		t.Fatal(err)
	}
	ck, err := tr.Checkpoint("fashion_mnist")
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range []struct {
		name     string
		got, exp map[string][]byte
	}{{"online", bytesOf(ck.Online), bytesOf(imp.Checkpoint.Online)}, {"target", bytesOf(ck.Target), bytesOf(imp.Checkpoint.Target)}} {
		for k, want := range side.exp {
			if g, ok := side.got[k]; !ok || string(g) != string(want) {
				t.Errorf("%s %s differs from the imported tensor", side.name, k)
			}
		}
	}
	if tr.Steps() != 0 {
		t.Errorf("step %d, want 0", tr.Steps())
	}
	scale, bias, err := tr.scalars()
	if err != nil || math.Abs(scale-math.Exp(1.2)) > 1e-5 || math.Abs(bias+4.5) > 1e-6 {
		t.Errorf("exp(τ) %g, b %g (%v), want %g, -4.5", scale, bias, err, math.Exp(1.2))
	}

	wide := referenceConfig(t)
	wide.Width = 8
	tw, err := NewTrainer(wide, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Close()
	if err := tw.InitFrom(imp.Checkpoint); err == nil || !strings.Contains(err.Error(), "same architecture") {
		t.Errorf("width mismatch: got %v, want an architecture error", err)
	}
}

func bytesOf(m map[string]*safetensors.Tensor) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range m {
		out[k] = v.Data
	}
	return out
}

// TestRunFromPyTorchFile trains two steps from the reference's .pth file (--ckpt_path FILE) and
// from the directory `scl import` writes (--resume DIR): both start at step 0 from the same
// weights, so they end with identical checkpoints.
func TestRunFromPyTorchFile(t *testing.T) {
	train := fashionSubset(t, "train", 32)
	imp, err := ptimport.Import(referenceFixture, ptimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "imported")
	if err := checkpoint.Save(dir, imp.Checkpoint); err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, from := range []string{referenceFixture, dir} {
		c := referenceConfig(t)
		c.MaxSteps = 2
		c.Resume = from
		res, err := Run(context.Background(), c, Data{Train: train, Name: "fashion_mnist", Workers: 1}, Hooks{})
		if err != nil {
			t.Fatalf("from %s: %v", from, err)
		}
		if res.Steps != 2 {
			t.Fatalf("from %s: %d steps, want 2", from, res.Steps)
		}
		last, err := LatestCheckpoint(c.OutDir)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, last)
	}
	tensorsEqual(t, outs[0], outs[1])
}
