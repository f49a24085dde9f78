package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sort"

	"github.com/scl-dev/scl/internal/atomicfile"
	"github.com/scl-dev/scl/internal/safefile"
)

// DType is a safetensors element type name, such as "F32".
type DType string

// Element types understood by this package.
const (
	F32  DType = "F32"
	F64  DType = "F64"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size is the element size in bytes, or 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// Tensor is a dense little-endian tensor. Data holds exactly NumElements()·DType.Size() bytes.
type Tensor struct {
	DType DType
	Shape []int64
	Data  []byte
}

// NumElements is the product of the shape (1 for a scalar), or -1 when a dimension is
// negative or the product overflows int64 (shapes decoded by Unmarshal never do).
func (t *Tensor) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		if d < 0 {
			return -1
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return -1
		}
		n = int64(lo)
	}
	return n
}

// FromF32 returns an F32 tensor holding a copy of data.
func FromF32(shape []int64, data []float32) *Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return &Tensor{DType: F32, Shape: append([]int64{}, shape...), Data: b}
}

// FromI64 returns an I64 tensor holding a copy of data.
func FromI64(shape []int64, data []int64) *Tensor {
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return &Tensor{DType: I64, Shape: append([]int64{}, shape...), Data: b}
}

// F32 decodes an F32 tensor (F64, F16 and BF16 are converted).
func (t *Tensor) F32() ([]float32, error) {
	n := int(t.NumElements())
	if n < 0 || n > len(t.Data) || len(t.Data) != n*t.DType.Size() || t.DType.Size() == 0 {
		return nil, fmt.Errorf("safetensors: %s tensor of shape %v has %d bytes", t.DType, t.Shape, len(t.Data))
	}
	out := make([]float32, n)
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:])))
		}
	case BF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(t.Data[2*i:])) << 16)
		}
	case F16:
		for i := range out {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	default:
		return nil, fmt.Errorf("safetensors: cannot convert %s to F32", t.DType)
	}
	return out, nil
}

// I64 decodes an I64 or I32 tensor.
func (t *Tensor) I64() ([]int64, error) {
	n := int(t.NumElements())
	if n < 0 || n > len(t.Data) || len(t.Data) != n*t.DType.Size() || t.DType.Size() == 0 {
		return nil, fmt.Errorf("safetensors: %s tensor of shape %v has %d bytes", t.DType, t.Shape, len(t.Data))
	}
	out := make([]int64, n)
	switch t.DType {
	case I64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
		}
	case I32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(t.Data[4*i:])))
		}
	default:
		return nil, fmt.Errorf("safetensors: cannot convert %s to I64", t.DType)
	}
	return out, nil
}

func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		v := float32(frac) / 1024 / 16384
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 31:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}

// File is the content of one safetensors file.
type File struct {
	Tensors  map[string]*Tensor
	Metadata map[string]string
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for n := range f.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type entry struct {
	DType       DType    `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Marshal encodes the file. Tensors are laid out in sorted name order.
func (f *File) Marshal() ([]byte, error) {
	header := map[string]any{}
	if len(f.Metadata) > 0 {
		header["__metadata__"] = f.Metadata
	}
	var off int64
	names := f.Names()
	for _, name := range names {
		t := f.Tensors[name]
		if name == "__metadata__" || name == "" {
			return nil, fmt.Errorf("safetensors: invalid tensor name %q", name)
		}
		if t.DType.Size() == 0 {
			return nil, fmt.Errorf("safetensors: tensor %q has unknown dtype %q", name, t.DType)
		}
		n := t.NumElements()
		want := n * int64(t.DType.Size())
		if n < 0 || n > int64(len(t.Data)) || int64(len(t.Data)) != want {
			return nil, fmt.Errorf("safetensors: tensor %q has %d bytes, want %d for %s%v", name, len(t.Data), want, t.DType, t.Shape)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int64{}
		}
		header[name] = entry{DType: t.DType, Shape: shape, DataOffsets: [2]int64{off, off + want}}
		off += want
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("safetensors: encode header: %w", err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := make([]byte, 8, 8+len(h)+int(off))
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	out = append(out, h...)
	for _, name := range names {
		out = append(out, f.Tensors[name].Data...)
	}
	return out, nil
}

// maxHeader bounds the JSON header, as Python's safetensors does (100 MB).
const maxHeader = 100 << 20

// Unmarshal decodes a safetensors file's bytes. The tensors' Data alias b.
func Unmarshal(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("safetensors: file has %d bytes, too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the file's %d remaining bytes (truncated or not a safetensors file)", n, len(b)-8)
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b[8 : 8+n]))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("safetensors: header is not valid JSON: %w", err)
	}
	buf := b[8+n:]
	f := &File{Tensors: map[string]*Tensor{}}
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: bad header entry: %w", name, err)
		}
		sz := e.DType.Size()
		if sz == 0 {
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, e.DType)
		}
		// Each partial product is checked so that count·size cannot overflow int64 (shapes
		// such as [3, 6148914691236517206] would otherwise wrap to a few bytes).
		count := int64(1)
		for _, d := range e.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q: negative dimension in shape %v", name, e.Shape)
			}
			if d != 0 && count > math.MaxInt64/int64(sz)/d {
				return nil, fmt.Errorf("safetensors: tensor %q: shape %v overflows the element count", name, e.Shape)
			}
			count *= d
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin || end > int64(len(buf)) {
			return nil, fmt.Errorf("safetensors: tensor %q: data offsets [%d, %d] outside the %d data bytes (file truncated?)", name, begin, end, len(buf))
		}
		if end-begin != count*int64(sz) {
			return nil, fmt.Errorf("safetensors: tensor %q: %d data bytes, want %d for %s%v", name, end-begin, count*int64(sz), e.DType, e.Shape)
		}
		f.Tensors[name] = &Tensor{DType: e.DType, Shape: e.Shape, Data: buf[begin:end:end]}
		spans = append(spans, span{name, begin, end})
	}
	sort.Slice(spans, func(i, j int) bool {
		return spans[i].begin < spans[j].begin || spans[i].begin == spans[j].begin && spans[i].end < spans[j].end
	})
	var pos int64
	for _, s := range spans {
		if s.begin != pos {
			return nil, fmt.Errorf("safetensors: tensor %q starts at byte %d, want %d (overlapping or gapped data)", s.name, s.begin, pos)
		}
		pos = s.end
	}
	if pos != int64(len(buf)) {
		return nil, fmt.Errorf("safetensors: tensors cover %d data bytes but the file holds %d", pos, len(buf))
	}
	return f, nil
}

// MaxFileBytes bounds the files ReadFile reads (1 TiB: a sanity bound, far above any model).
const MaxFileBytes = 1 << 40

// ReadFile reads and validates a safetensors file (a regular file: FIFOs and devices are
// refused); errors name the path.
func ReadFile(path string) (*File, error) {
	b, err := safefile.ReadFile(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// WriteFile encodes f and writes it atomically: a temporary file in the same directory is
// written, fsynced and renamed over path, and the directory is fsynced. Missing parent
// directories are created.
func WriteFile(path string, f *File) error {
	b, err := f.Marshal()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
