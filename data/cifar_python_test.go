package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// py2Pickle writes pickles the way the official CIFAR python files were written (Python 2
// cPickle, protocol 2): str keys and data as BINSTRING, NumPy arrays through
// numpy.core.multiarray._reconstruct and BUILD.
type py2Pickle struct{ bytes.Buffer }

func (p *py2Pickle) op(b ...byte) { p.Write(b) }
func (p *py2Pickle) str(s string) {
	if len(s) < 256 {
		p.op('U', byte(len(s)))
	} else {
		p.op('T')
		binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	}
	p.WriteString(s)
}
func (p *py2Pickle) int(v int) {
	p.op('J')
	binary.Write(&p.Buffer, binary.LittleEndian, int32(v))
}
func (p *py2Pickle) intList(v []int) {
	p.op(']', '(')
	for _, x := range v {
		p.int(x)
	}
	p.op('e')
}
func (p *py2Pickle) strList(v []string) {
	p.op(']', '(')
	for _, x := range v {
		p.str(x)
	}
	p.op('e')
}

// array writes a uint8 NumPy array [rows, cols].
func (p *py2Pickle) array(rows, cols int, data []byte) {
	p.WriteString("cnumpy.core.multiarray\n_reconstruct\n")
	p.WriteString("cnumpy\nndarray\n")
	p.int(0)
	p.op(0x85) // TUPLE1
	p.str("b")
	p.op(0x87, 'R') // TUPLE3, REDUCE
	p.op('(')
	p.int(1)
	p.int(rows)
	p.int(cols)
	p.op(0x86) // TUPLE2
	p.WriteString("cnumpy\ndtype\n")
	p.str("u1")
	p.int(0)
	p.int(1)
	p.op(0x87, 'R', '(')
	p.int(3)
	p.str("|")
	p.op('N', 'N', 'N')
	p.int(-1)
	p.int(-1)
	p.int(0)
	p.op('t', 'b') // TUPLE, BUILD (dtype state)
	p.op(0x89)     // NEWFALSE (C order)
	p.str(string(data))
	p.op('t', 'b')
}

// cifarBatch returns a python-version batch of n images (pixel(first+i, …), CHW planes) with
// the given label lists.
func cifarBatch(first, n int, lists map[string][]int) []byte {
	var p py2Pickle
	p.op(0x80, 2, '}', '(')
	p.str("batch_label")
	p.str("training batch")
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range lists {
			if !yield(k) {
				return
			}
		}
	}) {
		p.str(k)
		p.intList(lists[k])
	}
	data := make([]byte, 0, n*3072)
	for i := first; i < first+n; i++ {
		for c := range 3 {
			for y := range 32 {
				for x := range 32 {
					data = append(data, pixel(i, y, x, c))
				}
			}
		}
	}
	p.str("data")
	p.array(n, 3072, data)
	p.str("filenames")
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("img_%d.png", first+i)
	}
	p.strList(names)
	p.op('u', '.')
	return p.Bytes()
}

func metaPickle(key string, names []string) []byte {
	var p py2Pickle
	p.op(0x80, 2, '}', '(')
	p.str(key)
	p.strList(names)
	p.str("num_cases_per_batch")
	p.int(10000)
	p.op('u', '.')
	return p.Bytes()
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func seq(first, n, mod int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = (first + i) % mod
	}
	return out
}

// TestCIFAR10Python writes torchvision's cifar-10-batches-py layout and reads it through Open.
func TestCIFAR10Python(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cifar-10-batches-py")
	for b := 1; b <= 5; b++ {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d", b)), cifarBatch(2*(b-1), 2, map[string][]int{"labels": seq(2*(b-1), 2, 10)}))
	}
	writeFile(t, filepath.Join(dir, "test_batch"), cifarBatch(100, 3, map[string][]int{"labels": seq(100, 3, 10)}))
	names := []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"}
	writeFile(t, filepath.Join(dir, "batches.meta"), metaPickle("label_names", names))
	for _, tc := range []struct {
		split string
		n     int
		first int
	}{{"train", 10, 0}, {"test", 3, 100}} {
		ds, err := Open(Source{Name: "cifar10", Split: tc.split, Dir: root})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Len() != tc.n || !slices.Equal(ds.Info().Classes, names) || ds.Info().ImageSize != 32 {
			t.Fatalf("%s: %d images, classes %v", tc.split, ds.Len(), ds.Info().Classes)
		}
		for i := 0; i < tc.n; i++ {
			if got, want := ds.Label(i), (tc.first+i)%10; got != want {
				t.Errorf("%s label %d: got %d, want %d", tc.split, i, got, want)
			}
			checkPixels(t, ds, i, tc.first+i, 32)
		}
	}
}

// TestCIFAR100 reads the python version (fine and coarse labels) and the binary version.
func TestCIFAR100(t *testing.T) {
	root := t.TempDir()
	py := filepath.Join(root, "cifar-100-python")
	writeFile(t, filepath.Join(py, "train"), cifarBatch(0, 4, map[string][]int{"fine_labels": {3, 99, 0, 42}, "coarse_labels": {1, 19, 0, 7}}))
	writeFile(t, filepath.Join(py, "test"), cifarBatch(10, 2, map[string][]int{"fine_labels": {5, 6}, "coarse_labels": {2, 3}}))
	fine := make([]string, 100)
	for i := range fine {
		fine[i] = fmt.Sprintf("f%d", i)
	}
	var mp py2Pickle
	mp.op(0x80, 2, '}', '(')
	mp.str("fine_label_names")
	mp.strList(fine)
	mp.str("coarse_label_names")
	mp.strList(fine[:20])
	mp.op('u', '.')
	writeFile(t, filepath.Join(py, "meta"), mp.Bytes())
	for _, tc := range []struct {
		name    string
		labels  []int
		classes int
	}{{"cifar100", []int{3, 99, 0, 42}, 100}, {"cifar100_coarse", []int{1, 19, 0, 7}, 20}} {
		ds, err := Open(Source{Name: tc.name, Split: "train", Dir: root})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(Labels(ds), tc.labels) || ds.Info().NumClasses() != tc.classes || ds.Info().Classes[3] != "f3" {
			t.Errorf("%s: labels %v, %d classes, want %v, %d", tc.name, Labels(ds), ds.Info().NumClasses(), tc.labels, tc.classes)
		}
		checkPixels(t, ds, 2, 2, 32)
	}

	// Binary version: coarse byte, fine byte, then the planes.
	bin := filepath.Join(t.TempDir(), "cifar-100-binary")
	var b []byte
	for i := 0; i < 3; i++ {
		b = append(b, byte(i), byte(50+i))
		for c := range 3 {
			for y := range 32 {
				for x := range 32 {
					b = append(b, pixel(i, y, x, c))
				}
			}
		}
	}
	writeFile(t, filepath.Join(bin, "test.bin"), b)
	writeFile(t, filepath.Join(bin, "fine_label_names.txt"), []byte(strings.Join(fine, "\n")+"\n"))
	ds, err := OpenCIFAR100(filepath.Dir(bin), "test", false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(Labels(ds), []int{50, 51, 52}) || ds.Info().Classes[51] != "f51" {
		t.Errorf("binary: labels %v", Labels(ds))
	}
	checkPixels(t, ds, 1, 1, 32)
	coarse, err := OpenCIFAR100(filepath.Dir(bin), "test", true)
	if err != nil || !slices.Equal(Labels(coarse), []int{0, 1, 2}) || coarse.Info().Classes[1] != "class_1" {
		t.Errorf("binary coarse: %v, %v", err, coarse)
	}
}

// TestCIFARNumPyPickle reads batches pickled by NumPy itself (scripts/torch-fixtures.py,
// protocols 2 and 4) and compares with the raw array NumPy wrote alongside.
func TestCIFARNumPyPickle(t *testing.T) {
	raw, err := os.ReadFile("testdata/cifar100_numpy.u8")
	if err != nil {
		t.Fatal(err)
	}
	for _, proto := range []int{2, 4} {
		path := fmt.Sprintf("testdata/cifar100_numpy_p%d.pkl", proto)
		d, err := readPickle(path)
		if err != nil {
			t.Fatal(err)
		}
		pix, labels, err := decodeCIFARBatch(d, "fine_labels", path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(labels, []uint8{5, 99, 0}) {
			t.Errorf("protocol %d: labels %v", proto, labels)
		}
		for i := 0; i < 3; i++ {
			for p := 0; p < 1024; p++ {
				for c := 0; c < 3; c++ {
					if got, want := pix[i*3072+3*p+c], raw[i*3072+c*1024+p]; got != want {
						t.Fatalf("protocol %d image %d pixel %d channel %d: got %d, want %d", proto, i, p, c, got, want)
					}
				}
			}
		}
	}
}

// TestCIFARPythonBad truncates a batch at every length and feeds foreign pickles.
func TestCIFARPythonBad(t *testing.T) {
	good := cifarBatch(0, 2, map[string][]int{"labels": {1, 2}})
	dir := t.TempDir()
	path := filepath.Join(dir, "data_batch_1")
	for n := 0; n < len(good); n += 97 {
		writeFile(t, path, good[:n])
		if _, err := openCIFARPython(dir, []string{"data_batch_1"}, "labels", Info{Name: "cifar10", Split: "train", Classes: CIFAR10Classes}); err == nil {
			t.Fatalf("cut at %d of %d bytes: no error", n, len(good))
		}
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"list", []byte("\x80\x02]."), "want a dict"},
		{"no data", []byte("\x80\x02}."), `no "data" entry`},
		{"label count", cifarBatch(0, 2, map[string][]int{"labels": {1}}), "want a list of 2 labels"},
		{"label range", cifarBatch(0, 1, map[string][]int{"labels": {10}}), "label 10 of image 0"},
		{"fine missing", cifarBatch(0, 1, map[string][]int{"labels": {1}}), `no "fine_labels"`},
	} {
		writeFile(t, path, tc.b)
		key := "labels"
		if tc.name == "fine missing" {
			key = "fine_labels"
		}
		_, err := openCIFARPython(dir, []string{"data_batch_1"}, key, Info{Name: "cifar10", Split: "train", Classes: CIFAR10Classes})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
