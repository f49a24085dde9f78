package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wantOnly checks that dir holds exactly names (sorted): no temporary file was left behind.
func wantOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("got directory entries %v, want %v", got, names)
	}
}

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name     string
		rel      string // target, relative to a fresh directory
		existing []byte // content there before, nil for none
		data     []byte
	}{
		{"new file", "a.bin", nil, []byte("hello\n")},
		{"replace", "a.bin", []byte("old content that is longer"), []byte("new")},
		{"empty", "a.bin", []byte("x"), []byte{}},
		{"missing parents", "x/y/z/a.bin", nil, []byte{0, 1, 2, 255}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, tc.rel)
			if tc.existing != nil {
				if err := os.WriteFile(path, tc.existing, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(path, tc.data); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.data) {
				t.Errorf("got content %q, want %q", got, tc.data)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o644 {
				t.Errorf("got mode %v, want %v", st.Mode().Perm(), os.FileMode(0o644))
			}
			wantOnly(t, filepath.Dir(path), "a.bin")
		})
	}
}

func TestWriteFailingFillKeepsTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	old := []byte("the old model, byte for byte\x00\xff")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		if _, err := w.Write([]byte("partial new content")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got error %v, want one wrapping %v", err, boom)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("got error %q, want it to name %s", err, path)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, old) {
		t.Errorf("got target %q, want the old %q", got, old)
	}
	wantOnly(t, dir, "model.onnx")
}

func TestCommitAbortLifecycle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.npy")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path() != path {
		t.Errorf("got Path %q, want %q", f.Path(), path)
	}
	if _, err := f.Write([]byte("XXXX-body")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("before Commit: got Stat error %v, want not-exist", err)
	}
	// Patching a header after streaming the body, as npy.Writer does.
	if _, err := f.WriteAt([]byte("HEAD"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit: got %v, want nil", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "HEAD-body" {
		t.Errorf("got %q after Commit and Abort, want %q", got, "HEAD-body")
	}
	if err := f.Commit(); err == nil {
		t.Error("second Commit: got nil error, want one")
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("Write after Commit: got nil error, want one")
	}

	g, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	g.Write([]byte("discarded"))
	for i := range 2 {
		if err := g.Abort(); err != nil {
			t.Errorf("Abort #%d: got %v, want nil", i+1, err)
		}
	}
	if err := g.Commit(); err == nil {
		t.Error("Commit after Abort: got nil error, want one")
	}
	if got, _ := os.ReadFile(path); string(got) != "HEAD-body" {
		t.Errorf("got %q after an aborted rewrite, want %q", got, "HEAD-body")
	}
	wantOnly(t, dir, "out.npy")
}

func TestCommitFailureRemovesTemporary(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory as the target makes the rename fail.
	path := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("data"))
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got error %v, want one naming %s", err, path)
	}
	wantOnly(t, dir, "target")
}

func TestCreateParentIsFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "sub", "a.json")
	if _, err := Create(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("got error %v, want one naming %s", err, path)
	}
}

// TestCommitRemovesLeftovers: temporary files that a crashed write of the same file left
// behind are removed by the next successful write of that file; other files' are kept.
func TestCommitRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{".a.bin.tmp-123", ".a.bin.tmp-456", ".b.bin.tmp-1", "a.bin.tmp-7", ".a.bin"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(filepath.Join(dir, "a.bin"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	wantOnly(t, dir, ".a.bin", ".b.bin.tmp-1", "a.bin", "a.bin.tmp-7")
}
