package data

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenHF feeds arbitrary bytes as a Parquet shard: opening and reading every row must fail
// cleanly or succeed, never panic. Explore with `go test ./data -run '^$' -fuzz FuzzOpenHF`.
func FuzzOpenHF(f *testing.F) {
	dir := f.TempDir()
	src := filepath.Join(dir, "seed.parquet")
	writeShardTo(f, src)
	b, err := os.ReadFile(src)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		d := t.TempDir()
		if err := os.MkdirAll(filepath.Join(d, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "data", "train-00000-of-00001.parquet"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := OpenHF(d, "train", "hf")
		if err != nil {
			return
		}
		defer ds.Close()
		for i := 0; i < ds.Len() && i < 64; i++ {
			_, _ = ds.Image(i)
		}
	})
}
