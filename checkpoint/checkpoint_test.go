package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/preprocess"
	"github.com/scl-dev/scl/safetensors"
)

func tiny(t *testing.T) *Checkpoint {
	t.Helper()
	c, err := New(models.Config{Arch: models.ResNet18, Width: 8, Stem: models.StemCIFAR, ProjectorHidden: 16, ProjectorOut: 4},
		preprocess.Default(16, 3, ""), 1)
	if err != nil {
		t.Fatal(err)
	}
	c.Config.Step = 123
	c.Config.Train = json.RawMessage(`{"beta":0.996,"rng":[1,2,3]}`)
	w := c.Online["encoder.conv1.weight"]
	c.Optimizer = map[string]*safetensors.Tensor{
		"exp_avg.encoder.conv1.weight": {DType: w.DType, Shape: w.Shape, Data: bytes.Repeat([]byte{1}, len(w.Data))},
		"exp_avg.tau":                  safetensors.FromF32(nil, []float32{0.5}),
		"step":                         safetensors.FromI64(nil, []int64{7}),
	}
	c.Online["loss.tau"] = safetensors.FromF32(nil, []float32{1.609})
	return c
}

func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	c := tiny(t)
	if err := Save(dir, c); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var train bytes.Buffer
	if err := json.Compact(&train, got.Config.Train); err != nil {
		t.Fatal(err)
	}
	if got.Config.Step != 123 || train.String() != string(c.Config.Train) || got.Config.Model != c.Config.Model {
		t.Errorf("got config %+v, want %+v", got.Config, c.Config)
	}
	for _, pair := range []struct {
		name      string
		got, want map[string]*safetensors.Tensor
	}{{"online", got.Online, c.Online}, {"target", got.Target, c.Target}, {"optimizer", got.Optimizer, c.Optimizer}} {
		if len(pair.got) != len(pair.want) {
			t.Fatalf("%s: got %d tensors, want %d", pair.name, len(pair.got), len(pair.want))
		}
		for k, w := range pair.want {
			g := pair.got[k]
			if g == nil || g.DType != w.DType || !reflect.DeepEqual(g.Shape, w.Shape) || string(g.Data) != string(w.Data) {
				t.Errorf("%s tensor %q differs after save/load", pair.name, k)
			}
		}
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"config.json", "online.safetensors", "optimizer.safetensors", "target.safetensors"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("got files %v, want %v", names, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantErr []string
	}{
		{"missing directory", func(t *testing.T, dir string) { os.RemoveAll(dir) }, []string{"config.json not found"}},
		{"truncated target", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "target.safetensors")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-100], 0o644)
		}, []string{"target.safetensors", "truncated"}},
		{"flipped byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "online.safetensors")
			b, _ := os.ReadFile(p)
			b[len(b)-5] ^= 0xff
			os.WriteFile(p, b, 0o644)
		}, []string{"online.safetensors", "SHA-256"}},
		{"unknown architecture", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) { m["model"].(map[string]any)["arch"] = "resnet34" })
		}, []string{"config.json", `unknown architecture "resnet34"`, "resnet18"}},
		{"wrong architecture", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) { m["model"].(map[string]any)["arch"] = "resnet50" })
		}, []string{"online.safetensors", "encoder.layer1.0.conv1.weight", "shape"}},
		{"wrong width", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) { m["model"].(map[string]any)["width"] = 16 })
		}, []string{"encoder.conv1.weight", "has shape [8 3 3 3], want [16 3 3 3]"}},
		{"grey channel order with 3 channels", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) { m["data"].(map[string]any)["channel_order"] = "L" })
		}, []string{`channel_order "L" with model.in_channels 3`}},
		{"mean of wrong length", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) { m["data"].(map[string]any)["mean"] = []float64{0.5} })
		}, []string{"data.mean has 1"}},
		// Hostile tensor file names (issue 15): outside the directory, devices, FIFOs.
		{"tensor file in the parent", func(t *testing.T, dir string) {
			syscall.Mkfifo(filepath.Join(dir, "..", "fifo"), 0o644)
			setFileName(t, dir, "online", "../fifo")
		}, []string{"files.online.name", `"../fifo"`, "outside its directory"}},
		{"tensor file /dev/zero", func(t *testing.T, dir string) {
			setFileName(t, dir, "target", "/dev/zero")
		}, []string{"files.target.name", `"/dev/zero"`, "outside its directory"}},
		{"tensor file a fifo inside", func(t *testing.T, dir string) {
			syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644)
			setFileName(t, dir, "online", "pipe")
		}, []string{"pipe", "not a regular file (a FIFO)"}},
		{"tensor file a link to /dev/zero", func(t *testing.T, dir string) {
			os.Symlink("/dev/zero", filepath.Join(dir, "zero"))
			setFileName(t, dir, "online", "zero")
		}, []string{"zero", "outside its directory"}},
		{"tensor file larger than recorded", func(t *testing.T, dir string) {
			editConfig(t, dir, func(m map[string]any) {
				m["files"].(map[string]any)["online"].(map[string]any)["size"] = 10
			})
		}, []string{"online.safetensors", "larger than the 10 bytes"}},
		{"optimizer moment of the wrong shape", func(t *testing.T, dir string) {
			rewriteOptimizer(t, dir, "exp_avg.encoder.conv1.weight", safetensors.FromF32([]int64{2}, []float32{1, 2}))
		}, []string{"optimizer.safetensors", `"exp_avg.encoder.conv1.weight": F32[2], want F32[8 3 3 3]`}},
		{"optimizer moment of no parameter", func(t *testing.T, dir string) {
			rewriteOptimizer(t, dir, "exp_avg.encoder.nope", safetensors.FromF32([]int64{2}, []float32{1, 2}))
		}, []string{"optimizer.safetensors", `"encoder.nope", which the online network does not have`}},
		{"optimizer tensor of unknown kind", func(t *testing.T, dir string) {
			rewriteOptimizer(t, dir, "velocity.encoder.conv1.weight", safetensors.FromF32([]int64{2}, []float32{1, 2}))
		}, []string{"optimizer.safetensors", `"velocity.encoder.conv1.weight": want step or`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ckpt")
			if err := Save(dir, tiny(t)); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, dir)
			var err error
			done := make(chan struct{})
			go func() { _, err = Load(dir); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Load blocked for 10 s")
			}
			if err == nil {
				t.Fatalf("got nil error, want one mentioning %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func editConfig(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	p := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// setFileName points config.json's tensor file of role at name.
func setFileName(t *testing.T, dir, role, name string) {
	t.Helper()
	editConfig(t, dir, func(m map[string]any) { m["files"].(map[string]any)[role].(map[string]any)["name"] = name })
}

// rewriteOptimizer adds tensor name to optimizer.safetensors and records the new file's
// size and digest in config.json, so that only the content is wrong.
func rewriteOptimizer(t *testing.T, dir, name string, tn *safetensors.Tensor) {
	t.Helper()
	p := filepath.Join(dir, "optimizer.safetensors")
	f, err := safetensors.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Tensors[name] = tn
	if err := safetensors.WriteFile(p, f); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	sum := sha256.Sum256(b)
	editConfig(t, dir, func(m map[string]any) {
		o := m["files"].(map[string]any)["optimizer"].(map[string]any)
		o["size"], o["sha256"] = len(b), hex.EncodeToString(sum[:])
	})
}
