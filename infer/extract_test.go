package infer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/infer/internal/onnxtest"
	"github.com/scl-dev/scl/npy"
)

// memDataset is an in-memory data set of random images with labels i mod 3.
type memDataset struct {
	imgs     []data.Image
	labelled bool
}

func newMemDataset(n, w, h, c int, seed uint64, labelled bool) *memDataset {
	r := rand.New(rand.NewPCG(seed, 11))
	d := &memDataset{labelled: labelled}
	for i := 0; i < n; i++ {
		pix := make([]uint8, w*h*c)
		for j := range pix {
			pix[j] = uint8(r.IntN(256))
		}
		d.imgs = append(d.imgs, data.Image{W: w, H: h, C: c, Pix: pix})
	}
	return d
}

func (d *memDataset) Len() int { return len(d.imgs) }
func (d *memDataset) Info() data.Info {
	i := data.Info{Name: "mem", Split: "test", Width: d.imgs[0].W, Height: d.imgs[0].H, Channels: d.imgs[0].C}
	if d.labelled {
		i.Classes = []string{"a", "b", "c"}
	}
	return i
}
func (d *memDataset) Image(i int) (data.Image, error) { return d.imgs[i], nil }
func (d *memDataset) Label(i int) int {
	if !d.labelled {
		return -1
	}
	return i % 3
}
func (d *memDataset) ID(i int) string { return fmt.Sprintf("test/%d", i) }
func (d *memDataset) Close() error    { return nil }

func testEncoder(t *testing.T, m onnxtest.Model, normalize bool) *Encoder {
	t.Helper()
	requireRuntime(t)
	s, err := OpenSession(writeModel(t, m), SessionConfig{Device: Device{Kind: DeviceCPU}, IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, err := PreprocessFor(s, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	return &Encoder{Session: s, Preprocess: p, Normalize: normalize}
}

var tinyModel = onnxtest.Model{Channels: 3, Height: 8, Width: 8, Dim: 6, Seed: 5,
	Metadata: map[string]string{MetaMean: "0.5,0.4,0.3", MetaStd: "0.25,0.2,0.3", MetaImageSize: "8"}}

func TestExtractMatchesReference(t *testing.T) {
	for _, normalize := range []bool{false, true} {
		t.Run(fmt.Sprintf("normalize=%v", normalize), func(t *testing.T) {
			enc := testEncoder(t, tinyModel, normalize)
			d := newMemDataset(23, 8, 8, 1, 1, true)
			out := t.TempDir()
			var calls int
			m, err := Extract(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, Out: out, BatchSize: 5, Workers: 2,
				Progress: func(done, total int) { calls++ }})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := calls, 5; got != want {
				t.Errorf("progress calls: got %v, want %v", got, want)
			}
			if m.Count != 23 || m.Dim != 6 || !m.Labelled || m.Normalized != normalize {
				t.Fatalf("manifest: got %+v", m)
			}
			f, shape, err := npy.ReadFloat32(filepath.Join(out, FeaturesFile))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(shape), "[23 6]"; got != want {
				t.Fatalf("features shape: got %v, want %v", got, want)
			}
			l, _, err := npy.ReadInt64(filepath.Join(out, LabelsFile))
			if err != nil {
				t.Fatal(err)
			}
			ids, err := readLines(filepath.Join(out, IDsFile))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 23; i++ {
				if l[i] != int64(i%3) {
					t.Errorf("label %d: got %v, want %v", i, l[i], i%3)
				}
				if ids[i] != d.ID(i) {
					t.Errorf("id %d: got %v, want %v", i, ids[i], d.ID(i))
				}
				want := tinyModel.Forward(referencePreprocess(d.imgs[i], [3]float64{0.5, 0.4, 0.3}, [3]float64{0.25, 0.2, 0.3}))
				if normalize {
					NormalizeRows(want, 6)
				}
				for j := range want {
					// float32 ORT against the float64 reference, relative 1e-5 (54-term sums).
					if g := f[i*6+j]; math.Abs(float64(g-want[j])) > 1e-5*(1+math.Abs(float64(want[j]))) {
						t.Fatalf("image %d feature %d: got %v, want %v", i, j, g, want[j])
					}
				}
			}
		})
	}
}

// referencePreprocess is the inference transform written out directly for grey 8×8 images
// into a 3-channel 8×8 model: replicate grey, scale to [0,1], normalise.
func referencePreprocess(img data.Image, mean, std [3]float64) []float32 {
	x := make([]float32, 3*img.H*img.W)
	for c := 0; c < 3; c++ {
		for i, v := range img.Pix {
			x[c*img.H*img.W+i] = float32((float64(v)/255 - mean[c]) / std[c])
		}
	}
	return x
}

func TestExtractShardsMergeAndSkip(t *testing.T) {
	enc := testEncoder(t, tinyModel, false)
	d := newMemDataset(17, 8, 8, 3, 2, true)
	whole := t.TempDir()
	if _, err := Extract(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, Out: whole, BatchSize: 4, Model: "m"}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for i := 0; i < 3; i++ {
		m, err := Extract(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, Out: out, BatchSize: 4, Shard: i, Shards: 3, Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Start, i*17/3; got != want {
			t.Errorf("shard %d start: got %v, want %v", i, got, want)
		}
	}
	// A finished shard is skipped and left untouched.
	p := filepath.Join(ShardDir(out, 1, 3), FeaturesFile)
	before, _ := os.Stat(p)
	m, err := Extract(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, Out: out, BatchSize: 4, Shard: 1, Shards: 3, Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(p)
	if !m.Skipped || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("rerun of a finished shard: skipped %v, mtime changed %v; want skipped and unchanged", m.Skipped, !after.ModTime().Equal(before.ModTime()))
	}
	// A manifest whose features file is gone does not count as complete.
	os.Remove(filepath.Join(ShardDir(out, 2, 3), FeaturesFile))
	if m, err := Extract(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, Out: out, BatchSize: 4, Shard: 2, Shards: 3, Model: "m"}); err != nil || m.Skipped {
		t.Fatalf("shard with a missing features file: skipped %v, error %v; want it recomputed", m.Skipped, err)
	}
	merged, err := Merge(out, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := merged.Count, 17; got != want {
		t.Fatalf("merged count: got %v, want %v", got, want)
	}
	for _, name := range []string{FeaturesFile, LabelsFile, IDsFile} {
		a, _ := os.ReadFile(filepath.Join(whole, name))
		b, _ := os.ReadFile(filepath.Join(out, name))
		if name == FeaturesFile {
			fa, _, _ := npy.ReadFloat32(filepath.Join(whole, name))
			fb, _, _ := npy.ReadFloat32(filepath.Join(out, name))
			if len(fa) != len(fb) {
				t.Fatalf("%s: got %d values, want %d", name, len(fb), len(fa))
			}
			for i := range fa {
				// Batches differ between the runs; ORT's CPU conv is batch independent to
				// rounding, 1e-6 relative.
				if math.Abs(float64(fa[i]-fb[i])) > 1e-6*(1+math.Abs(float64(fa[i]))) {
					t.Fatalf("%s value %d: got %v, want %v", name, i, fb[i], fa[i])
				}
			}
			continue
		}
		if string(a) != string(b) {
			t.Errorf("%s: merged shards differ from the unsharded run", name)
		}
	}
	// Merging with shards missing names every one of them, and why.
	os.Remove(filepath.Join(ShardDir(out, 0, 3), ManifestFile))
	os.Remove(filepath.Join(ShardDir(out, 2, 3), FeaturesFile))
	_, err = Merge(out, 3)
	for _, want := range []string{"2 of 3 shards missing", "0 (shard-00000-of-00003: no manifest.json)", "2 (shard-00002-of-00003: output files missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("merge with shards 0 and 2 missing: got %v, want an error with %q", err, want)
		}
	}
}

func TestExtractCancelLeavesNoFiles(t *testing.T) {
	enc := testEncoder(t, tinyModel, false)
	d := newMemDataset(40, 8, 8, 3, 3, false)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Extract(ctx, ExtractConfig{Encoder: enc, Dataset: d, Out: out, BatchSize: 4,
		Progress: func(done, total int) {
			if done >= 8 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		t.Errorf("left %s behind after cancellation", e.Name())
	}
}

func TestEmbedDatasetMatchesExtract(t *testing.T) {
	enc := testEncoder(t, tinyModel, true)
	d := newMemDataset(11, 8, 8, 3, 4, true)
	out := t.TempDir()
	if _, err := Extract(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, Out: out, BatchSize: 4}); err != nil {
		t.Fatal(err)
	}
	want, _, err := npy.ReadFloat32(filepath.Join(out, FeaturesFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := EmbedDataset(context.Background(), ExtractConfig{Encoder: enc, Dataset: d, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != len(want) || got.Dim != 6 || len(got.Labels) != 11 || got.IDs[10] != "test/10" || got.Labels[10] != 1 {
		t.Fatalf("got %d values dim %d, %d labels, ids[10] %q labels[10] %d; want %d, 6, 11, test/10, 1", len(got.Data), got.Dim, len(got.Labels), got.IDs[10], got.Labels[10], len(want))
	}
	for i := range want {
		if got.Data[i] != want[i] { // same batches, same session: identical bits
			t.Fatalf("value %d: got %v, want %v", i, got.Data[i], want[i])
		}
	}
}
