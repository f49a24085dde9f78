package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pixel is the test pattern: a different byte for every (image, row, column, channel).
func pixel(i, y, x, c int) byte { return byte(31*i + 7*y + 3*x + 101*c) }

// writeCIFAR writes n records in the official CIFAR-10 layout: label, then the R, G and B planes,
// each row-major (value of (y, x) at y*32 + x).
func writeCIFAR(t *testing.T, path string, first, n int, label func(int) byte) {
	t.Helper()
	var b []byte
	for i := first; i < first+n; i++ {
		b = append(b, label(i))
		for c := range 3 {
			for y := range 32 {
				for x := range 32 {
					b = append(b, pixel(i, y, x, c))
				}
			}
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkPixels(t *testing.T, ds Dataset, i, global, side int) {
	t.Helper()
	img, err := ds.Image(i)
	if err != nil {
		t.Fatal(err)
	}
	if img.W != side || img.H != side || img.C != 3 {
		t.Fatalf("image %d size got %dx%dx%d, want %dx%dx3", i, img.W, img.H, img.C, side, side)
	}
	for y := range side {
		for x := range side {
			for c := range 3 {
				if got, want := img.Pix[(y*side+x)*3+c], pixel(global, y, x, c); got != want {
					t.Fatalf("image %d (y=%d, x=%d, c=%d) got %d, want %d", i, y, x, c, got, want)
				}
			}
		}
	}
}

func TestCIFAR10(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	os.MkdirAll(dir, 0o755)
	label := func(i int) byte { return byte(i % 10) }
	for b := 1; b <= 5; b++ {
		writeCIFAR(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", b)), 3*(b-1), 3, label)
	}
	writeCIFAR(t, filepath.Join(dir, "test_batch.bin"), 100, 2, label)
	// Open through the parent directory: the official sub-directory is found.
	ds, err := Open(Source{Name: "cifar10", Split: "train", Dir: filepath.Dir(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 15 {
		t.Fatalf("len got %d, want 15", ds.Len())
	}
	for i := range 15 {
		checkPixels(t, ds, i, i, 32)
		if got, want := ds.Label(i), i%10; got != want {
			t.Errorf("label %d got %d, want %d", i, got, want)
		}
	}
	test, err := OpenCIFAR10(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	checkPixels(t, test, 1, 101, 32)
	if info := test.Info(); info.NumClasses() != 10 || info.ImageSize != 32 || info.Split != "test" {
		t.Errorf("info got %+v, want 10 classes, size 32, split test", info)
	}
}

func TestCIFAR10Errors(t *testing.T) {
	dir := t.TempDir()
	for b := 1; b <= 5; b++ {
		writeCIFAR(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", b)), 0, 2, func(i int) byte { return 1 })
	}
	// Truncated batch 3: one full record plus 100 bytes.
	p3 := filepath.Join(dir, "data_batch_3.bin")
	b, _ := os.ReadFile(p3)
	os.WriteFile(p3, b[:3073+100], 0o644)
	_, err := OpenCIFAR10(dir, "train")
	for _, want := range []string{"data_batch_3.bin", "3173 bytes", "3073-byte", "offset 3073"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("truncated: got %v, want it to contain %q", err, want)
		}
	}
	if !errors.Is(err, ErrFormat) {
		t.Errorf("truncated: got %v, want ErrFormat", err)
	}
	// Bad label in the second record of batch 3.
	writeCIFAR(t, p3, 0, 2, func(i int) byte { return byte(10 * i) })
	_, err = OpenCIFAR10(dir, "train")
	for _, want := range []string{"data_batch_3.bin", "record 1", "offset 3073", "label 10"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad label: got %v, want it to contain %q", err, want)
		}
	}
	// Missing file.
	os.Remove(filepath.Join(dir, "data_batch_5.bin"))
	writeCIFAR(t, p3, 0, 2, func(i int) byte { return 1 })
	if _, err = OpenCIFAR10(dir, "train"); err == nil || !strings.Contains(err.Error(), "data_batch_5.bin") {
		t.Errorf("missing: got %v, want an error naming data_batch_5.bin", err)
	}
	if _, err = OpenCIFAR10(dir, "validation"); err == nil || !strings.Contains(err.Error(), "want train or test") {
		t.Errorf("split: got %v, want an error listing the splits", err)
	}
}

// writeSTL writes n images in the official STL-10 layout: for each image the R, G and B planes,
// each column-major (value of (y, x) at x*96 + y), as the data set's MATLAB origin.
func writeSTL(t *testing.T, path string, first, n int) {
	t.Helper()
	var b []byte
	for i := first; i < first+n; i++ {
		for c := range 3 {
			for x := range 96 {
				for y := range 96 {
					b = append(b, pixel(i, y, x, c))
				}
			}
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSTL10(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stl10_binary")
	os.MkdirAll(dir, 0o755)
	writeSTL(t, filepath.Join(dir, "train_X.bin"), 0, 3)
	os.WriteFile(filepath.Join(dir, "train_y.bin"), []byte{1, 10, 4}, 0o644)
	writeSTL(t, filepath.Join(dir, "unlabeled_X.bin"), 50, 2)

	ds, err := Open(Source{Name: "stl10", Split: "train", Dir: filepath.Dir(dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if ds.Len() != 3 {
		t.Fatalf("len got %d, want 3", ds.Len())
	}
	for i, want := range []int{0, 9, 3} { // 1-based on disk
		checkPixels(t, ds, i, i, 96)
		if got := ds.Label(i); got != want {
			t.Errorf("label %d got %d, want %d", i, got, want)
		}
	}
	if info := ds.Info(); info.NumClasses() != 10 || info.ImageSize != 96 {
		t.Errorf("info got %+v, want 10 classes, size 96", info)
	}
	un, err := OpenSTL10(dir, "unlabeled")
	if err != nil {
		t.Fatal(err)
	}
	checkPixels(t, un, 1, 51, 96)
	if un.Label(0) != -1 || un.Info().NumClasses() != 0 {
		t.Errorf("unlabeled: label got %d, classes %d, want -1 and 0", un.Label(0), un.Info().NumClasses())
	}
	if err := un.Close(); err != nil {
		t.Fatal(err)
	}
	if err := un.Close(); err != nil {
		t.Errorf("second Close got %v, want nil", err)
	}
	if _, err := un.Image(0); err == nil {
		t.Errorf("Image after Close got nil error, want one")
	}
}

func TestSTL10Errors(t *testing.T) {
	dir := t.TempDir()
	writeSTL(t, filepath.Join(dir, "test_X.bin"), 0, 2)
	tests := []struct {
		name   string
		labels []byte
		want   []string
	}{
		{"zero label", []byte{3, 0}, []string{"test_y.bin", "label 1 (offset 1)", "value 0", "want 1..10"}},
		{"label 11", []byte{11, 2}, []string{"test_y.bin", "label 0 (offset 0)", "value 11"}},
		{"count", []byte{3}, []string{"test_y.bin", "1 labels, want 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, "test_y.bin"), tc.labels, 0o644)
			_, err := OpenSTL10(dir, "test")
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want it to contain %q", err, w)
				}
			}
		})
	}
	b, _ := os.ReadFile(filepath.Join(dir, "test_X.bin"))
	os.WriteFile(filepath.Join(dir, "test_X.bin"), b[:len(b)-1], 0o644)
	_, err := OpenSTL10(dir, "test")
	for _, w := range []string{"test_X.bin", "55295 bytes", "27648-byte", "offset 27648"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("truncated: got %v, want it to contain %q", err, w)
		}
	}
}
