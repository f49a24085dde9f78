package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "a.bin")
	if err := os.WriteFile(reg, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"zero": "/dev/zero", "fifolink": fifo, "dirlink": dir, "reglink": reg} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		max  int64
		want error // nil: reads "hello"
	}{
		{"a.bin", 5, nil},
		{"reglink", 5, nil},
		{"a.bin", 4, ErrTooLarge},
		{"fifo", 100, ErrNotRegular},
		{"fifolink", 100, ErrNotRegular},
		{"zero", 100, ErrNotRegular},
		{"dirlink", 100, ErrNotRegular},
		{"missing", 100, os.ErrNotExist},
	}
	for _, tc := range tests {
		done := make(chan struct{})
		var b []byte
		var err error
		go func() {
			b, err = ReadFile(filepath.Join(dir, tc.name), tc.max)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadFile blocked", tc.name)
		}
		if tc.want == nil {
			if err != nil || string(b) != "hello" {
				t.Errorf("%s: got %q %v, want hello", tc.name, b, err)
			}
		} else if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestWithin(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(root, "in.bin"), nil, 0o644)
	os.WriteFile(filepath.Join(outside, "out.bin"), nil, 0o644)
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "sub", "x"), nil, 0o644)
	os.Symlink(filepath.Join(outside, "out.bin"), filepath.Join(root, "escape"))
	os.Symlink("in.bin", filepath.Join(root, "alias"))
	tests := []struct {
		name string
		ok   bool
	}{
		{"in.bin", true}, {"alias", true}, {"sub/x", true},
		{"../" + filepath.Base(outside) + "/out.bin", false}, {filepath.Join(outside, "out.bin"), false},
		{"escape", false}, {"/dev/zero", false}, {"", false}, {".", false}, {"sub/../../x", false},
	}
	for _, tc := range tests {
		p, err := Within(root, tc.name)
		if tc.ok != (err == nil) {
			t.Errorf("%q: got %q %v, want ok=%v", tc.name, p, err, tc.ok)
		}
		if !tc.ok && err != nil && !errors.Is(err, ErrOutside) {
			t.Errorf("%q: error %v does not wrap ErrOutside", tc.name, err)
		}
	}
}
