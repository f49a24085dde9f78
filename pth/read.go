package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"sort"
	"strings"

	"github.com/scl-dev/scl/pickle"
	"github.com/scl-dev/scl/safetensors"
)

// Format names a torch.save container.
type Format string

// Container formats.
const (
	Zip    Format = "zip"
	Legacy Format = "legacy"
)

// legacyMagic is the first pickle of a legacy file.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// legacyProtocol is the second pickle of a legacy file.
const legacyProtocol = 1001

// File is a decoded torch.save file.
type File struct {
	Format Format
	// Object is the saved object, decoded by package pickle, with tensors as *TensorRef.
	Object any
}

// ReadFile reads and decodes a torch.save file.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pth: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Decode decodes a torch.save file held in b. Tensors share no memory with b.
func Decode(b []byte) (*File, error) {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return decodeZip(b)
	case len(b) > 2 && b[0] == 0x80 && b[1] <= 5:
		return decodeLegacy(b)
	case len(b) == 0:
		return nil, errors.New("pth: empty file, want a torch.save file")
	}
	return nil, fmt.Errorf("pth: not a torch.save file: starts with % x, want a zip archive (PK) or a legacy pickle (0x80)", b[:min(len(b), 4)])
}

// decoder sets up a pickle decoder that resolves storages through load and rebuilds tensors.
func newDecoder(b []byte, load func(pid any) (any, error)) (*pickle.Decoder, *[]*TensorRef) {
	refs := &[]*TensorRef{}
	d := pickle.NewDecoder(b)
	d.PersistentLoad = load
	d.Reduce = func(fn pickle.Global, args pickle.Tuple) (any, bool, error) {
		if fn.Module != "torch._utils" {
			return nil, false, nil
		}
		switch fn.Name {
		case "_rebuild_tensor_v2", "_rebuild_tensor":
			r, err := rebuild(args)
			if err != nil {
				return nil, false, err
			}
			*refs = append(*refs, r)
			return r, true, nil
		case "_rebuild_parameter", "_rebuild_parameter_with_state":
			if len(args) < 1 {
				return nil, false, errors.New("no arguments, want a tensor")
			}
			r, ok := args[0].(*TensorRef)
			if !ok {
				return nil, false, fmt.Errorf("data is a %s, want a tensor", pickle.TypeName(args[0]))
			}
			if len(args) > 1 {
				r.RequiresGrad, _ = args[1].(bool)
			}
			return r, true, nil
		}
		return nil, false, fmt.Errorf("unsupported tensor kind (quantized, sparse or nested tensors are not read)")
	}
	return d, refs
}

func decodeZip(b []byte) (*File, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("pth: zip archive: %w (truncated file?)", err)
	}
	var pkl *zip.File
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		entries[f.Name] = f
		if f.Name == "data.pkl" || strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			if pkl != nil {
				return nil, fmt.Errorf("pth: zip archive holds both %s and %s", pkl.Name, f.Name)
			}
			pkl = f
		}
	}
	if pkl == nil {
		return nil, errors.New("pth: zip archive without <name>/data.pkl: not a torch.save file")
	}
	prefix := strings.TrimSuffix(pkl.Name, "data.pkl")
	if bo, ok := entries[prefix+"byteorder"]; ok {
		v, err := readEntry(bo, 16, int64(len(b)))
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(v)); s != "little" {
			return nil, fmt.Errorf("pth: %s says %q, only little-endian files are supported", bo.Name, s)
		}
	}
	data, err := readEntry(pkl, int64(len(b))*4+1<<20, int64(len(b)))
	if err != nil {
		return nil, err
	}
	storages := map[string]*storage{}
	load := func(pid any) (any, error) {
		st, err := parseStorageID(pid)
		if err != nil {
			return nil, err
		}
		if prev, ok := storages[st.key]; ok {
			if prev.dtype != st.dtype {
				return nil, fmt.Errorf("pth: storage %s used as both %s and %s", st.key, prev.dtype, st.dtype)
			}
			return prev, nil
		}
		name := prefix + "data/" + st.key
		e, ok := entries[name]
		if !ok {
			return nil, fmt.Errorf("pth: storage %s: archive has no %s", st.key, name)
		}
		want := st.numel * int64(st.dtype.Size())
		if int64(e.UncompressedSize64) < want {
			return nil, fmt.Errorf("pth: %s has %d bytes, want %d (%d × %s)", name, e.UncompressedSize64, want, st.numel, st.dtype)
		}
		raw, err := readEntry(e, want, int64(len(b)))
		if err != nil {
			return nil, err
		}
		st.data = raw[:want:want]
		storages[st.key] = st
		return st, nil
	}
	d, refs := newDecoder(data, load)
	obj, err := d.Decode()
	if err != nil {
		return nil, fmt.Errorf("pth: %s: %w", pkl.Name, err)
	}
	if err := materializeAll(*refs); err != nil {
		return nil, err
	}
	return &File{Format: Zip, Object: obj}, nil
}

// readEntry reads a zip entry of at most limit bytes (its first limit bytes when longer).
func readEntry(f *zip.File, limit, fileSize int64) ([]byte, error) {
	if int64(f.CompressedSize64) > fileSize {
		return nil, fmt.Errorf("pth: %s: %d bytes claimed in a file of %d (damaged archive)", f.Name, f.CompressedSize64, fileSize)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("pth: %s: %w", f.Name, err)
	}
	defer rc.Close()
	n := min(int64(f.UncompressedSize64), limit)
	if f.Method == zip.Store && int64(f.CompressedSize64) < n {
		return nil, fmt.Errorf("pth: %s: %d bytes stored, want %d (truncated)", f.Name, f.CompressedSize64, n)
	}
	// Deflate expands at most 1032:1; a larger claim is a damaged or hostile header.
	if f.Method != zip.Store && n > int64(f.CompressedSize64)*1032+1024 {
		return nil, fmt.Errorf("pth: %s: %d compressed bytes cannot hold %d", f.Name, f.CompressedSize64, n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, fmt.Errorf("pth: %s: %w (truncated archive?)", f.Name, err)
	}
	return buf, nil
}

func decodeLegacy(b []byte) (*File, error) {
	d := pickle.NewDecoder(b)
	magic, err := d.Decode()
	if err != nil {
		return nil, fmt.Errorf("pth: legacy format: magic number: %w", err)
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, fmt.Errorf("pth: a pickle of a %s, not a torch.save file (legacy files start with the magic number 0x%x)", pickle.TypeName(magic), legacyMagic)
	}
	proto, err := d.Decode()
	if err != nil {
		return nil, fmt.Errorf("pth: legacy format: protocol version: %w", err)
	}
	if p, ok := pickle.Int(proto); !ok || p != legacyProtocol {
		return nil, fmt.Errorf("pth: legacy protocol version %v, want %d", proto, legacyProtocol)
	}
	info, err := d.Decode()
	if err != nil {
		return nil, fmt.Errorf("pth: legacy format: system info: %w", err)
	}
	if m, ok := info.(*pickle.Dict); ok {
		if v, ok := m.GetString("little_endian"); ok && v != true {
			return nil, errors.New("pth: file written on a big-endian machine, only little-endian files are supported")
		}
	}
	storages := map[string]*storage{}
	load := func(pid any) (any, error) {
		st, err := parseStorageID(pid)
		if err != nil {
			return nil, err
		}
		if prev, ok := storages[st.key]; ok {
			if prev.dtype != st.dtype || prev.numel != st.numel {
				return nil, fmt.Errorf("pth: storage %s declared twice with different types or sizes", st.key)
			}
			return prev, nil
		}
		storages[st.key] = st
		return st, nil
	}
	od, refs := newDecoder(b, load)
	od.Offset = d.Offset
	obj, err := od.Decode()
	if err != nil {
		return nil, fmt.Errorf("pth: legacy format: object: %w", err)
	}
	kd := pickle.NewDecoder(b)
	kd.Offset = od.Offset
	keysV, err := kd.Decode()
	if err != nil {
		return nil, fmt.Errorf("pth: legacy format: storage keys: %w", err)
	}
	keys, ok := pickle.Items(keysV)
	if !ok {
		return nil, fmt.Errorf("pth: legacy format: storage keys are a %s, want a list", pickle.TypeName(keysV))
	}
	off := kd.Offset
	for i, k := range keys {
		key, ok := pickle.Str(k)
		if !ok {
			return nil, fmt.Errorf("pth: legacy format: storage key %d is a %s, want str", i, pickle.TypeName(k))
		}
		st, ok := storages[key]
		if !ok {
			return nil, fmt.Errorf("pth: legacy format: storage %s listed but never used", key)
		}
		if len(b)-off < 8 {
			return nil, fmt.Errorf("pth: legacy format: storage %s: truncated at offset %d", key, off)
		}
		n := int64(binary.LittleEndian.Uint64(b[off:]))
		off += 8
		if n != st.numel {
			return nil, fmt.Errorf("pth: legacy format: storage %s at offset %d holds %d elements, the pickle says %d", key, off-8, n, st.numel)
		}
		nb := n * int64(st.dtype.Size())
		if nb > int64(len(b)-off) {
			return nil, fmt.Errorf("pth: legacy format: storage %s needs %d bytes at offset %d, %d left (truncated file)", key, nb, off, len(b)-off)
		}
		st.data = append([]byte(nil), b[off:off+int(nb)]...)
		off += int(nb)
	}
	for key, st := range storages {
		if st.data == nil && st.numel == 0 {
			// torch writes no bytes for empty storages.
			st.data = []byte{}
		}
		if st.data == nil {
			return nil, fmt.Errorf("pth: legacy format: storage %s is used but missing from the storage list", key)
		}
	}
	if err := materializeAll(*refs); err != nil {
		return nil, err
	}
	return &File{Format: Legacy, Object: obj}, nil
}

func materializeAll(refs []*TensorRef) error {
	for _, r := range refs {
		if err := r.materialize(); err != nil {
			return err
		}
	}
	return nil
}

// maxDepth bounds the nesting Tensors descends into.
const maxDepth = 64

// Tensors flattens the tensors of a decoded object into dotted names: a state dict's keys as they
// are, nested dicts joined with "." ({"model": {"fc.weight": t}} → "model.fc.weight"). Values
// that are neither dicts nor tensors (numbers, strings, optimizer states in lists) are skipped;
// the names of what was skipped are returned too.
func Tensors(obj any) (map[string]*safetensors.Tensor, []string, error) {
	out := map[string]*safetensors.Tensor{}
	var skipped []string
	var walk func(prefix string, v any, depth int) error
	walk = func(prefix string, v any, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("pth: %s: nested deeper than %d", prefix, maxDepth)
		}
		switch x := v.(type) {
		case *TensorRef:
			if prefix == "" {
				prefix = "tensor"
			}
			out[prefix] = x.Tensor
		case *pickle.Dict:
			for i, k := range x.Keys {
				ks, ok := pickle.Str(k)
				if !ok {
					if n, ok2 := pickle.Int(k); ok2 {
						ks, ok = fmt.Sprint(n), true
					}
				}
				if !ok {
					skipped = append(skipped, prefix+"[key of type "+pickle.TypeName(k)+"]")
					continue
				}
				name := ks
				if prefix != "" {
					name = prefix + "." + ks
				}
				if err := walk(name, x.Values[i], depth+1); err != nil {
					return err
				}
			}
		default:
			skipped = append(skipped, prefix)
		}
		return nil
	}
	if o, ok := obj.(*pickle.Object); ok {
		return nil, nil, fmt.Errorf("pth: the file holds a %s, not a state dict: save model.state_dict() instead of the module", pickle.TypeName(o))
	}
	if err := walk("", obj, 0); err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("pth: no tensors found in a %s, want a state dict", pickle.TypeName(obj))
	}
	sort.Strings(skipped)
	return out, skipped, nil
}

// Load reads a torch.save file of a state dict (possibly nested) and returns its tensors by
// dotted name; see Tensors.
func Load(path string) (map[string]*safetensors.Tensor, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, _, err := Tensors(f.Object)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
