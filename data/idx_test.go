package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeIDX encodes an unsigned-byte IDX array independently of the decoder.
func writeIDX(t *testing.T, dims []uint32, payload []byte, gz bool) []byte {
	t.Helper()
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(payload)
	if !gz {
		return b.Bytes()
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b.Bytes())
	w.Close()
	return z.Bytes()
}

func TestReadIDX(t *testing.T) {
	payload := make([]byte, 2*3*4)
	for i := range payload {
		payload[i] = byte(7*i + 1)
	}
	for _, gz := range []bool{false, true} {
		got, err := ReadIDX(bytes.NewReader(writeIDX(t, []uint32{2, 3, 4}, payload, gz)), "x")
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if len(got.Dims) != 3 || got.Dims[0] != 2 || got.Dims[1] != 3 || got.Dims[2] != 4 {
			t.Errorf("gz=%v: dims got %v, want [2 3 4]", gz, got.Dims)
		}
		if !bytes.Equal(got.Data, payload) {
			t.Errorf("gz=%v: payload got %v, want %v", gz, got.Data, payload)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := writeIDX(t, []uint32{2, 3}, make([]byte, 6), false)
	tests := []struct {
		name  string
		input []byte
		want  []string // substrings of the error
	}{
		{"empty", nil, []string{"f.idx", "offset 0", "header"}},
		{"bad magic", append([]byte{1, 0}, good[2:]...), []string{"f.idx", "offset 0", "magic"}},
		{"float type", append([]byte{0, 0, 0x0d}, good[3:]...), []string{"offset 2", "0x0d", "unsigned byte"}},
		{"zero dims", []byte{0, 0, 8, 0}, []string{"offset 3", "0 dimensions"}},
		{"short sizes", good[:6], []string{"offset 4", "dimension 0"}},
		{"truncated payload", good[:len(good)-2], []string{"f.idx", "offset 16", "got 4 bytes, want 6"}},
		{"trailing", append(append([]byte{}, good...), 9), []string{"offset 18", "trailing"}},
		{"lying header", writeIDX(t, []uint32{60000, 60000, 60000}, []byte{1, 2, 3}, false), []string{"offset 8", "more than"}},
		{"large claim, little data", writeIDX(t, []uint32{1 << 14, 1 << 14}, []byte{1, 2, 3}, false), []string{"got 3 bytes, want 268435456"}},
		{"zero size first", writeIDX(t, []uint32{0, 4294967295, 4294967295}, nil, false), []string{"offset 4", "dimension 0 is 0"}},
		{"zero size last", writeIDX(t, []uint32{5, 28, 0}, nil, false), []string{"offset 12", "dimension 2 is 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tc.input), "f.idx")
			if err == nil {
				t.Fatalf("got nil error, want one containing %q", tc.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("got %v, want an error wrapping ErrFormat", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestOpenFashionMNISTFromFiles(t *testing.T) {
	dir := t.TempDir()
	imgs := make([]byte, 3*28*28)
	for i := range imgs {
		imgs[i] = byte(i % 251)
	}
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("t10k-images-idx3-ubyte", writeIDX(t, []uint32{3, 28, 28}, imgs, false))
	write("t10k-labels-idx1-ubyte.gz", writeIDX(t, []uint32{3}, []byte{9, 0, 4}, true))
	ds, err := OpenFashionMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 3 {
		t.Fatalf("len got %d, want 3", ds.Len())
	}
	img, _ := ds.Image(2)
	if img.W != 28 || img.H != 28 || img.C != 1 || !bytes.Equal(img.Pix, imgs[2*784:3*784]) {
		t.Errorf("image 2 got %dx%dx%d (pixels equal %v), want 28x28x1 equal", img.W, img.H, img.C, bytes.Equal(img.Pix, imgs[2*784:]))
	}
	for i, want := range []int{9, 0, 4} {
		if got := ds.Label(i); got != want {
			t.Errorf("label %d got %d, want %d", i, got, want)
		}
	}
	// A label out of range names the file's index and offset.
	write("t10k-labels-idx1-ubyte.gz", writeIDX(t, []uint32{3}, []byte{9, 10, 4}, true))
	_, err = OpenFashionMNIST(dir, "test")
	if err == nil || !strings.Contains(err.Error(), "index 1 (offset 9): label 10") {
		t.Errorf("got %v, want an error naming index 1, offset 9, label 10", err)
	}
	// Count mismatch.
	write("t10k-labels-idx1-ubyte.gz", writeIDX(t, []uint32{2}, []byte{9, 1}, true))
	if _, err = OpenFashionMNIST(dir, "test"); err == nil || !strings.Contains(err.Error(), "2 labels for 3 images") {
		t.Errorf("got %v, want a count mismatch error", err)
	}
	// Missing file.
	if _, err = OpenFashionMNIST(dir, "train"); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("got %v, want an error naming the missing file", err)
	}
}

// TestFashionMNISTCounts checks the real data set of Debian's dataset-fashion-mnist package
// against its published sizes and class balance.
func TestFashionMNISTCounts(t *testing.T) {
	if _, err := os.Stat(filepath.Join(FashionMNISTDir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed at %s: run scripts/setup.sh (apt-get install dataset-fashion-mnist)", FashionMNISTDir)
	}
	tests := []struct {
		split    string
		n, class int
	}{{"train", 60000, 6000}, {"test", 10000, 1000}}
	for _, tc := range tests {
		t.Run(tc.split, func(t *testing.T) {
			ds, err := Open(Source{Name: "fashion_mnist", Split: tc.split})
			if err != nil {
				t.Fatal(err)
			}
			if ds.Len() != tc.n {
				t.Errorf("len got %d, want %d", ds.Len(), tc.n)
			}
			info := ds.Info()
			if info.Width != 28 || info.Height != 28 || info.Channels != 1 || info.NumClasses() != 10 || info.ImageSize != 28 {
				t.Errorf("info got %+v, want 28x28x1, 10 classes, size 28", info)
			}
			hist := make([]int, 10)
			for _, l := range Labels(ds) {
				hist[l]++
			}
			for c, got := range hist {
				if got != tc.class {
					t.Errorf("class %d count got %d, want %d", c, got, tc.class)
				}
			}
		})
	}
}
