package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/preprocess"
)

// FuzzLoadConfig: any config.json either fails to load with an error or loads and validates,
// and then reading its tensor files (absent here, or named by the fuzzer) returns promptly
// with an error instead of panicking, blocking or reading outside the directory. CI runs the
// seeds; explore with `go test ./checkpoint -run '^$' -fuzz FuzzLoadConfig -fuzztime 1m`.
func FuzzLoadConfig(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "ckpt")
	c, err := New(tinyModelConfig, tinyPreprocessing, 1)
	if err != nil {
		f.Fatal(err)
	}
	if err := Save(dir, c); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"scl-checkpoint","version":1,"files":{"online":{"name":"../fifo","size":8}}}`))
	f.Add([]byte(`{"format":"scl-checkpoint","version":1,"files":{"online":{"name":"/dev/zero","size":1e18}}}`))
	f.Add([]byte(`{"format":"scl-checkpoint","version":1,"model":{"arch":"resnet18","width":-1}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(dir)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("LoadConfig accepted a config that does not validate: %v", err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, r := range []Role{Online, Target, Optimizer} {
				if _, err := LoadTensors(dir, cfg, r); err == nil {
					t.Errorf("%s tensors loaded from a directory holding only config.json", r)
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("LoadTensors blocked")
		}
	})
}

var (
	tinyModelConfig   = models.Config{Arch: models.ResNet18, Width: 8, Stem: models.StemCIFAR, ProjectorHidden: 16, ProjectorOut: 4}
	tinyPreprocessing = preprocess.Default(16, 3, "")
)
