package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/scl-dev/scl/pickle"
)

// The "python version" of CIFAR-10 and CIFAR-100 (what torchvision downloads) stores each batch
// as a Python pickle of a dict: b"data" a NumPy uint8 array [N, 3072] (R, G, B planes of 32×32,
// row-major), b"labels" (CIFAR-10) or b"fine_labels" and b"coarse_labels" (CIFAR-100) lists of
// ints, b"filenames". batches.meta / meta hold the class names.

// maxCIFARPickle bounds what is read of one pickled batch: 100,000 images plus their lists.
const maxCIFARPickle = 100000*cifarPlanes + 64<<20

const cifarPlanes = 3 * cifarSide * cifarSide

// readPickle reads and decodes a pickle file of at most maxCIFARPickle bytes.
func readPickle(path string) (*pickle.Dict, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if st.Size() > maxCIFARPickle {
		return nil, fmt.Errorf("%w: %s: size %d bytes, want at most %d", ErrFormat, path, st.Size(), maxCIFARPickle)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	v, err := pickle.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	d, ok := v.(*pickle.Dict)
	if !ok {
		return nil, fmt.Errorf("%w: %s: a pickled %s, want a dict", ErrFormat, path, pickle.TypeName(v))
	}
	return d, nil
}

// uint8Array decodes a pickled 2-D NumPy uint8 array (numpy.core.multiarray._reconstruct with
// its BUILD state, or numpy.core.numeric._frombuffer of protocol 5) into its shape and bytes.
func uint8Array(v any) (rows, cols int, b []byte, err error) {
	o, ok := v.(*pickle.Object)
	if !ok {
		return 0, 0, nil, fmt.Errorf("a %s, want a NumPy array", pickle.TypeName(v))
	}
	g, _ := o.Callable.(pickle.Global)
	var shapeV, dtypeV, dataV any
	fortran := false
	switch g.Name {
	case "_reconstruct":
		st, ok := o.State.(pickle.Tuple)
		if !ok || len(st) != 5 {
			return 0, 0, nil, fmt.Errorf("NumPy array state is a %s, want (version, shape, dtype, fortran, data)", pickle.TypeName(o.State))
		}
		shapeV, dtypeV, dataV = st[1], st[2], st[4]
		fortran, _ = st[3].(bool)
	case "_frombuffer":
		if len(o.Args) != 4 {
			return 0, 0, nil, fmt.Errorf("_frombuffer with %d arguments, want 4", len(o.Args))
		}
		dataV, dtypeV, shapeV = o.Args[0], o.Args[1], o.Args[2]
		order, _ := pickle.Str(o.Args[3])
		fortran = order == "F"
	default:
		return 0, 0, nil, fmt.Errorf("a %s, want a NumPy array", pickle.TypeName(v))
	}
	if fortran {
		return 0, 0, nil, errors.New("array in Fortran order, want C order (NumPy's default)")
	}
	dt, ok := dtypeV.(*pickle.Object)
	if !ok || len(dt.Args) == 0 {
		return 0, 0, nil, fmt.Errorf("dtype is a %s, want numpy.dtype", pickle.TypeName(dtypeV))
	}
	if name, _ := pickle.Str(dt.Args[0]); name != "u1" && name != "uint8" {
		return 0, 0, nil, fmt.Errorf("dtype %v, want uint8", dt.Args[0])
	}
	shape, ok := pickle.Items(shapeV)
	if !ok || len(shape) != 2 {
		return 0, 0, nil, fmt.Errorf("shape %v, want 2 dimensions", shapeV)
	}
	r, ok1 := pickle.Int(shape[0])
	c, ok2 := pickle.Int(shape[1])
	if !ok1 || !ok2 || r < 0 || c < 0 {
		return 0, 0, nil, fmt.Errorf("shape %v, want two non-negative ints", shapeV)
	}
	switch x := dataV.(type) {
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		return 0, 0, nil, fmt.Errorf("array data is a %s, want bytes", pickle.TypeName(dataV))
	}
	if int64(len(b)) != r*c {
		return 0, 0, nil, fmt.Errorf("array data has %d bytes, want %d × %d", len(b), r, c)
	}
	return int(r), int(c), b, nil
}

// decodeCIFARBatch turns one pickled batch into HWC pixels and the labels under labelKey.
func decodeCIFARBatch(d *pickle.Dict, labelKey, path string) (pix, labels []uint8, err error) {
	dataV, ok := d.GetString("data")
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s: no \"data\" entry, want a CIFAR python batch", ErrFormat, path)
	}
	n, cols, raw, err := uint8Array(dataV)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: data: %v", ErrFormat, path, err)
	}
	if cols != cifarPlanes {
		return nil, nil, fmt.Errorf("%w: %s: data has %d columns, want %d (3 × 32 × 32)", ErrFormat, path, cols, cifarPlanes)
	}
	lv, ok := d.GetString(labelKey)
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s: no %q entry", ErrFormat, path, labelKey)
	}
	items, ok := pickle.Items(lv)
	if !ok || len(items) != n {
		return nil, nil, fmt.Errorf("%w: %s: %s is a %s of %d items, want a list of %d labels", ErrFormat, path, labelKey, pickle.TypeName(lv), len(items), n)
	}
	labels = make([]uint8, n)
	for i, x := range items {
		l, ok := pickle.Int(x)
		if !ok || l < 0 || l > 255 {
			return nil, nil, fmt.Errorf("%w: %s: %s[%d] = %v, want a label in 0..255", ErrFormat, path, labelKey, i, x)
		}
		labels[i] = uint8(l)
	}
	const plane = cifarSide * cifarSide
	pix = make([]uint8, n*cifarPlanes)
	for i := 0; i < n; i++ {
		src, dst := raw[i*cifarPlanes:], pix[i*cifarPlanes:]
		for p := 0; p < plane; p++ {
			dst[3*p], dst[3*p+1], dst[3*p+2] = src[p], src[plane+p], src[2*plane+p]
		}
	}
	return pix, labels, nil
}

// classNames reads a list of names under key from a pickled meta file; nil when absent.
func classNames(path, key string) ([]string, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	d, err := readPickle(path)
	if err != nil {
		return nil, err
	}
	v, ok := d.GetString(key)
	if !ok {
		return nil, fmt.Errorf("%w: %s: no %q entry", ErrFormat, path, key)
	}
	items, ok := pickle.Items(v)
	if !ok {
		return nil, fmt.Errorf("%w: %s: %s is a %s, want a list", ErrFormat, path, key, pickle.TypeName(v))
	}
	out := make([]string, len(items))
	for i, x := range items {
		if out[i], ok = pickle.Str(x); !ok {
			return nil, fmt.Errorf("%w: %s: %s[%d] is a %s, want a string", ErrFormat, path, key, i, pickle.TypeName(x))
		}
	}
	return out, nil
}

// openCIFARPython reads batch files from dir into an in-memory data set.
func openCIFARPython(dir string, files []string, labelKey string, info Info) (Dataset, error) {
	var pix, labels []uint8
	for _, name := range files {
		path := filepath.Join(dir, name)
		d, err := readPickle(path)
		if err != nil {
			return nil, fmt.Errorf("data: %s %s: %w", info.Name, info.Split, err)
		}
		p, l, err := decodeCIFARBatch(d, labelKey, path)
		if err != nil {
			return nil, err
		}
		pix = append(pix, p...)
		labels = append(labels, l...)
	}
	for i, l := range labels {
		if int(l) >= len(info.Classes) {
			return nil, fmt.Errorf("%w: %s %s: label %d of image %d, want < %d classes", ErrFormat, info.Name, info.Split, l, i, len(info.Classes))
		}
	}
	info.Width, info.Height, info.Channels = cifarSide, cifarSide, 3
	return &memory{info: info, pix: pix, labels: labels, n: len(labels)}, nil
}

// isCIFAR10Python reports whether dir (or dir/cifar-10-batches-py) holds the python version.
func cifar10PythonDir(dir string) (string, bool) {
	d := findSubdir(dir, "data_batch_1", "cifar-10-batches-py")
	_, err := os.Stat(filepath.Join(d, "data_batch_1"))
	if err != nil {
		d = findSubdir(dir, "test_batch", "cifar-10-batches-py")
		_, err = os.Stat(filepath.Join(d, "test_batch"))
	}
	return d, err == nil
}

// openCIFAR10Python reads torchvision's cifar-10-batches-py: data_batch_1..5 (train) or
// test_batch (test), class names from batches.meta.
func openCIFAR10Python(dir, split string) (Dataset, error) {
	var files []string
	switch split {
	case "train":
		for i := 1; i <= 5; i++ {
			files = append(files, fmt.Sprintf("data_batch_%d", i))
		}
	case "test":
		files = []string{"test_batch"}
	default:
		return nil, fmt.Errorf("data: cifar10 split %q, want train or test", split)
	}
	classes, err := classNames(filepath.Join(dir, "batches.meta"), "label_names")
	if err != nil {
		return nil, err
	}
	if classes == nil {
		classes = CIFAR10Classes
	}
	return openCIFARPython(dir, files, "labels", Info{Name: "cifar10", Split: split, Classes: classes, ImageSize: 32})
}

// OpenCIFAR100 reads split "train" or "test" of CIFAR-100 from dir: torchvision's python version
// (cifar-100-python/train, test, meta) or the binary version (cifar-100-binary/train.bin,
// test.bin: a coarse and a fine label byte, then the 3072 pixel bytes; class names from
// fine_label_names.txt / coarse_label_names.txt). coarse selects the 20 superclass labels instead
// of the 100 fine ones.
func OpenCIFAR100(dir, split string, coarse bool) (Dataset, error) {
	if split != "train" && split != "test" {
		return nil, fmt.Errorf("data: cifar100 split %q, want train or test", split)
	}
	name, labelKey, namesKey := "cifar100", "fine_labels", "fine_label_names"
	if coarse {
		name, labelKey, namesKey = "cifar100_coarse", "coarse_labels", "coarse_label_names"
	}
	nClasses := map[bool]int{false: 100, true: 20}[coarse]
	if py := findSubdir(dir, split, "cifar-100-python"); fileExists(filepath.Join(py, split)) {
		classes, err := classNames(filepath.Join(py, "meta"), namesKey)
		if err != nil {
			return nil, err
		}
		if classes == nil {
			classes = numberedClasses(nClasses)
		}
		return openCIFARPython(py, []string{split}, labelKey, Info{Name: name, Split: split, Classes: classes, ImageSize: 32})
	}
	bin := findSubdir(dir, split+".bin", "cifar-100-binary")
	path := filepath.Join(bin, split+".bin")
	if !fileExists(path) {
		return nil, fmt.Errorf("data: cifar100: neither %s (python version) nor %s (binary version) found", filepath.Join(dir, "cifar-100-python", split), path)
	}
	classes, err := readNameList(filepath.Join(bin, namesKey+".txt"))
	if err != nil {
		return nil, err
	}
	if classes == nil {
		classes = numberedClasses(nClasses)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	const rec = 2 + cifarPlanes
	if st.Size() > maxCIFARPickle {
		return nil, fmt.Errorf("%w: %s: size %d bytes, want at most %d", ErrFormat, path, st.Size(), maxCIFARPickle)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if len(b) == 0 || len(b)%rec != 0 {
		return nil, fmt.Errorf("%w: %s: size %d bytes, want a positive multiple of the %d-byte CIFAR-100 record (truncated after record %d)", ErrFormat, path, len(b), rec, len(b)/rec)
	}
	n := len(b) / rec
	pix, labels := make([]uint8, n*cifarPlanes), make([]uint8, n)
	const plane = cifarSide * cifarSide
	for i := 0; i < n; i++ {
		r := b[i*rec:]
		labels[i] = r[1]
		if coarse {
			labels[i] = r[0]
		}
		if int(labels[i]) >= len(classes) {
			return nil, fmt.Errorf("%w: %s: record %d has label %d, want < %d", ErrFormat, path, i, labels[i], len(classes))
		}
		src, dst := r[2:], pix[i*cifarPlanes:]
		for p := 0; p < plane; p++ {
			dst[3*p], dst[3*p+1], dst[3*p+2] = src[p], src[plane+p], src[2*plane+p]
		}
	}
	return &memory{info: Info{Name: name, Split: split, Classes: classes, Width: cifarSide, Height: cifarSide, Channels: 3, ImageSize: 32},
		pix: pix, labels: labels, n: n}, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func numberedClasses(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("class_%d", i)
	}
	return out
}
