package infer

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/npy"
)

// writePNGFolder writes the images of d as PNG files 000.png, 001.png, … into a new folder.
func writePNGFolder(t *testing.T, d *memDataset) string {
	t.Helper()
	dir := t.TempDir()
	for i, img := range d.imgs {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img.ToStd()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestExtractNeverReusesStaleOutput: rerunning into the same folder reuses the features only
// when nothing that determines them changed; each change named in issue 15 (mean/std, a
// different model copied over the same path, another data folder) and a changed file list or
// normalisation is refused with a StaleError naming it, and Force recomputes with the reason.
func TestExtractNeverReusesStaleOutput(t *testing.T) {
	requireRuntime(t)
	work := t.TempDir()
	modelPath := filepath.Join(work, "model.onnx")
	if err := tinyModel.Write(modelPath); err != nil {
		t.Fatal(err)
	}
	dirA := writePNGFolder(t, newMemDataset(5, 8, 8, 3, 21, false))
	dirB := writePNGFolder(t, newMemDataset(5, 8, 8, 3, 22, false))
	open := func(t *testing.T, o Overrides, normalize bool) *Encoder {
		t.Helper()
		enc, err := OpenEncoder(modelPath, SessionConfig{Device: Device{Kind: DeviceCPU}, IntraOpThreads: 1}, o, normalize)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { enc.Close() })
		return enc
	}
	folder := func(t *testing.T, dir string) data.Dataset {
		t.Helper()
		d, err := data.OpenFolder(data.FolderConfig{Root: dir, Name: "files"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	out := filepath.Join(work, "out")
	extract := func(enc *Encoder, d data.Dataset, force bool) (Manifest, error) {
		return Extract(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, Out: out, BatchSize: 2, Workers: 1, Force: force})
	}
	base := open(t, Overrides{}, false)
	if _, err := extract(base, folder(t, dirA), false); err != nil {
		t.Fatal(err)
	}
	if m, err := extract(base, folder(t, dirA), false); err != nil || !m.Skipped {
		t.Fatalf("unchanged rerun: skipped %v, error %v; want skipped", m.Skipped, err)
	}
	features := func(t *testing.T) []float32 {
		t.Helper()
		f, _, err := npy.ReadFloat32(filepath.Join(out, FeaturesFile))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	otherModel := tinyModel
	otherModel.Seed = 77
	tests := []struct {
		name   string
		change func(t *testing.T) (*Encoder, data.Dataset)
		want   string // in the StaleError
	}{
		{"mean and std", func(t *testing.T) (*Encoder, data.Dataset) {
			return open(t, Overrides{Mean: []float32{0.1, 0.1, 0.1}, Std: []float32{0.5, 0.5, 0.5}}, false), folder(t, dirA)
		}, "preprocessing differs"},
		{"model copied over the same path", func(t *testing.T) (*Encoder, data.Dataset) {
			if err := otherModel.Write(modelPath); err != nil {
				t.Fatal(err)
			}
			return open(t, Overrides{}, false), folder(t, dirA)
		}, "model SHA-256 differs"},
		{"other data folder", func(t *testing.T) (*Encoder, data.Dataset) {
			return open(t, Overrides{}, false), folder(t, dirB)
		}, "data source path differs"},
		{"file changed in place", func(t *testing.T) (*Encoder, data.Dataset) {
			if err := os.WriteFile(filepath.Join(dirB, "a.png"), append(readFile(t, filepath.Join(dirB, "a.png")), 0), 0o644); err != nil {
				t.Fatal(err)
			}
			return open(t, Overrides{}, false), folder(t, dirB)
		}, "data source items differ"},
		{"normalisation", func(t *testing.T) (*Encoder, data.Dataset) {
			return open(t, Overrides{}, true), folder(t, dirB)
		}, "L2 normalisation differs"},
	}
	for _, tc := range tests { // in order: each case starts from the previous case's output
		t.Run(tc.name, func(t *testing.T) {
			before := features(t)
			enc, d := tc.change(t)
			m, err := extract(enc, d, false)
			var stale *StaleError
			if !errors.As(err, &stale) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("rerun after changing the %s: skipped %v, error %v; want a StaleError saying %q", tc.name, m.Skipped, err, tc.want)
			}
			if got := features(t); !equalFloats(got, before) {
				t.Fatal("refused rerun changed features.npy")
			}
			m, err = extract(enc, d, true)
			if err != nil || m.Skipped || len(m.Recomputed) == 0 || !strings.Contains(strings.Join(m.Recomputed, ";"), tc.want) {
				t.Fatalf("forced rerun: skipped %v, reasons %q, error %v; want recomputed saying %q", m.Skipped, m.Recomputed, err, tc.want)
			}
			// The recomputed features are those of the new settings: a fresh extraction agrees.
			fresh := filepath.Join(t.TempDir(), "fresh")
			if _, err := Extract(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, Out: fresh, BatchSize: 2, Workers: 1}); err != nil {
				t.Fatal(err)
			}
			want, _, err := npy.ReadFloat32(filepath.Join(fresh, FeaturesFile))
			if err != nil {
				t.Fatal(err)
			}
			if !equalFloats(features(t), want) {
				t.Fatal("forced rerun: features differ from a fresh extraction with the new settings")
			}
			if m, err := extract(enc, d, false); err != nil || !m.Skipped {
				t.Fatalf("rerun after the forced one: skipped %v, error %v; want skipped", m.Skipped, err)
			}
		})
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
