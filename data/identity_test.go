package data

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIdentify: the identity follows the resolved location and the item list with sizes, and
// nothing else (not the path spelling, not a shard cut).
func TestIdentify(t *testing.T) {
	work := t.TempDir()
	mk := func(dir string, names ...string) {
		for i, n := range names {
			writePNG(t, filepath.Join(work, dir, n), image.NewGray(image.Rect(0, 0, 2+i, 2)))
		}
	}
	mk("a", "x.png", "y.png")
	mk("b", "x.png", "y.png")
	if err := os.Symlink(filepath.Join(work, "a"), filepath.Join(work, "link")); err != nil {
		t.Fatal(err)
	}
	id := func(cfg FolderConfig) Identity {
		t.Helper()
		d, err := OpenFolder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Identify(d)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	a := id(FolderConfig{Root: filepath.Join(work, "a")})
	if a.Items != 2 || a.Path != filepath.Join(work, "a") || len(a.Digest) != 64 {
		t.Fatalf("identity %+v, want 2 items at %s with a SHA-256", a, filepath.Join(work, "a"))
	}
	if got := id(FolderConfig{Root: filepath.Join(work, "link")}); got != a {
		t.Errorf("through a symbolic link: got %+v, want %+v", got, a)
	}
	if got := id(FolderConfig{Root: filepath.Join(work, "a", "..", "a")}); got != a {
		t.Errorf("unclean path: got %+v, want %+v", got, a)
	}
	b := id(FolderConfig{Root: filepath.Join(work, "b")})
	if b.Path == a.Path || b.Digest != a.Digest {
		t.Errorf("same names and sizes elsewhere: got %+v, want another path and the same digest as %+v", b, a)
	}
	mk("b", "x.png", "y.png", "z.png")
	if got := id(FolderConfig{Root: filepath.Join(work, "b")}); got.Items != 3 || got.Digest == b.Digest {
		t.Errorf("after adding a file: got %+v, want 3 items and a new digest", got)
	}
	writePNG(t, filepath.Join(work, "b", "x.png"), image.NewGray(image.Rect(0, 0, 9, 9)))
	if got := id(FolderConfig{Root: filepath.Join(work, "b")}); got.Digest == b.Digest {
		t.Errorf("after resizing a file: digest unchanged")
	}
	list := filepath.Join(work, "list.txt")
	if err := os.WriteFile(list, []byte("a/x.png\na/y.png\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := id(FolderConfig{List: list}); got.Path != list || got.Items != 2 {
		t.Errorf("file list: got %+v, want the list's path and 2 items", got)
	}
	d, _ := OpenFolder(FolderConfig{Root: filepath.Join(work, "a")})
	s, _ := Shard(d, 1, 2)
	if got, _ := Identify(s); got != a {
		t.Errorf("shard: got %+v, want the whole data set's %+v", got, a)
	}
}

// TestIdentifyFashionMNIST: a binary data set's identity names its directory and files.
func TestIdentifyFashionMNIST(t *testing.T) {
	d, err := OpenFashionMNIST("", "test")
	if err != nil {
		t.Skipf("Fashion-MNIST not installed (run scripts/setup.sh): %v", err)
	}
	got, err := Identify(d)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.EvalSymlinks(FashionMNISTDir)
	if got.Path != dir || got.Items != 10000 || len(got.Digest) != 64 {
		t.Fatalf("got %+v, want %s with 10000 items", got, dir)
	}
	train, err := OpenFashionMNIST("", "train")
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := Identify(train); g.Digest == got.Digest {
		t.Errorf("train and test have the same digest %s", g.Digest)
	}
}

// TestFolderRefusesSpecialFiles: an image name that is a symbolic link to a device, a FIFO or a
// directory is an error naming it, at once (issue 15), as is a file list that is one.
func TestFolderRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "ok.png"), image.NewGray(image.Rect(0, 0, 2, 2)))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/dev/zero", filepath.Join(dir, "zero.png"))
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "dir.png"))
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("ok.png\nfifo.png\nzero.png\ndir.png\n"), 0o644)
	d, err := OpenFolder(FolderConfig{List: list})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", "a FIFO", "a character device", "a directory"} {
		var err error
		done := make(chan struct{})
		go func() { _, err = d.Image(i); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("item %d (%s): reading blocked", i, d.ID(i))
		}
		if want == "" {
			if err != nil {
				t.Errorf("item %d: %v", i, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "not a regular file ("+want+")") || !strings.Contains(err.Error(), d.ID(i)) {
			t.Errorf("item %d: got %v, want an error naming %s as %s", i, err, d.ID(i), want)
		}
	}
	if _, err := OpenFolder(FolderConfig{Root: dir, List: filepath.Join(dir, "fifo.png")}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO as the file list: got %v, want not a regular file", err)
	}
	if _, err := OpenFolder(FolderConfig{List: list, Check: true}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("checked list with a FIFO: got %v, want not a regular file", err)
	}
}
