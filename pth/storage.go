package pth

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/scl-dev/scl/pickle"
	"github.com/scl-dev/scl/safetensors"
)

// storageDTypes maps torch's storage class names to element types.
var storageDTypes = map[string]safetensors.DType{
	"DoubleStorage":   safetensors.F64,
	"FloatStorage":    safetensors.F32,
	"HalfStorage":     safetensors.F16,
	"BFloat16Storage": safetensors.BF16,
	"LongStorage":     safetensors.I64,
	"IntStorage":      safetensors.I32,
	"CharStorage":     safetensors.I8,
	"ByteStorage":     safetensors.U8,
	"BoolStorage":     safetensors.Bool,
	"UntypedStorage":  safetensors.U8,
}

// storage is one tensor storage: its element type, its length in elements, and its bytes once
// they are read.
type storage struct {
	key   string
	dtype safetensors.DType
	numel int64
	data  []byte // numel·dtype.Size() bytes once loaded
}

// parseStorageID decodes the persistent id torch.save writes for a storage:
// ('storage', <Type>Storage, key, location, numel[, view_metadata]).
func parseStorageID(pid any) (*storage, error) {
	items, ok := pid.(pickle.Tuple)
	if !ok || len(items) < 5 {
		return nil, fmt.Errorf("pth: persistent id is a %s, want a ('storage', type, key, location, numel) tuple", pickle.TypeName(pid))
	}
	if s, _ := pickle.Str(items[0]); s != "storage" {
		return nil, fmt.Errorf("pth: persistent id of kind %v, want 'storage'", items[0])
	}
	g, ok := items[1].(pickle.Global)
	if !ok || !strings.HasPrefix(g.Module, "torch") {
		return nil, fmt.Errorf("pth: storage type is a %s, want a torch.<Type>Storage class", pickle.TypeName(items[1]))
	}
	dt, ok := storageDTypes[g.Name]
	if !ok {
		return nil, fmt.Errorf("pth: storage type %s is not supported (want float64/32/16, bfloat16, int64/32/8, uint8 or bool)", g)
	}
	key, ok := pickle.Str(items[2])
	if !ok {
		if k, ok2 := pickle.Int(items[2]); ok2 {
			key, ok = fmt.Sprint(k), true
		}
	}
	if !ok {
		return nil, fmt.Errorf("pth: storage key is a %s, want str", pickle.TypeName(items[2]))
	}
	n, ok := pickle.Int(items[4])
	if !ok || n < 0 {
		return nil, fmt.Errorf("pth: storage %s: element count %v, want an int ≥ 0", key, items[4])
	}
	if len(items) > 5 && items[5] != nil {
		return nil, fmt.Errorf("pth: storage %s: legacy storage views are not supported", key)
	}
	return &storage{key: key, dtype: dt, numel: n}, nil
}

// TensorRef is a tensor found in a decoded pickle. Tensor is filled once its storage is read.
type TensorRef struct {
	Tensor       *safetensors.Tensor
	RequiresGrad bool

	st     *storage
	offset int64
	size   []int64
	stride []int64
}

// rebuild turns the arguments of torch._utils._rebuild_tensor_v2 (storage, storage_offset, size,
// stride, requires_grad, backward_hooks[, metadata]) or _rebuild_tensor (the first four) into a
// *TensorRef.
func rebuild(args pickle.Tuple) (*TensorRef, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("%d arguments, want storage, offset, size, stride", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("storage is a %s, want a persistent storage", pickle.TypeName(args[0]))
	}
	off, ok := pickle.Int(args[1])
	if !ok || off < 0 {
		return nil, fmt.Errorf("storage offset %v, want an int ≥ 0", args[1])
	}
	size, err := intTuple("size", args[2])
	if err != nil {
		return nil, err
	}
	stride, err := intTuple("stride", args[3])
	if err != nil {
		return nil, err
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("size %v and stride %v have different lengths", size, stride)
	}
	r := &TensorRef{st: st, offset: off, size: size, stride: stride}
	if len(args) > 4 {
		r.RequiresGrad, _ = args[4].(bool)
	}
	// The element count, the last element addressed and the storage length are checked now,
	// before anything is allocated; the bytes are checked when the storage is read.
	n := big.NewInt(1)
	last := big.NewInt(off)
	for i, s := range size {
		if s < 0 || stride[i] < 0 {
			return nil, fmt.Errorf("size %v, stride %v: want non-negative values", size, stride)
		}
		n.Mul(n, big.NewInt(s))
		if s > 0 {
			last.Add(last, new(big.Int).Mul(big.NewInt(s-1), big.NewInt(stride[i])))
		}
	}
	if n.Sign() > 0 && last.Cmp(big.NewInt(st.numel)) >= 0 {
		return nil, fmt.Errorf("size %v, stride %v at offset %d address element %s of storage %s, which holds %d", size, stride, off, last, st.key, st.numel)
	}
	if n.Cmp(big.NewInt(max(st.numel, 1))) > 0 {
		return nil, fmt.Errorf("size %v holds %s elements, more than its storage %s (%d): expanded views are not supported", size, n, st.key, st.numel)
	}
	return r, nil
}

func intTuple(what string, v any) ([]int64, error) {
	items, ok := pickle.Items(v)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, want a tuple of ints", what, pickle.TypeName(v))
	}
	out := make([]int64, len(items))
	for i, x := range items {
		n, ok := pickle.Int(x)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is a %s, want an int", what, i, pickle.TypeName(x))
		}
		out[i] = n
	}
	return out, nil
}

// materialize gathers the tensor's elements from its loaded storage into a dense row-major copy.
func (r *TensorRef) materialize() error {
	es := int64(r.st.dtype.Size())
	if int64(len(r.st.data)) != r.st.numel*es {
		return fmt.Errorf("pth: storage %s has %d bytes, want %d", r.st.key, len(r.st.data), r.st.numel*es)
	}
	n := int64(1)
	for _, s := range r.size {
		n *= s
	}
	out := make([]byte, n*es)
	t := &safetensors.Tensor{DType: r.st.dtype, Shape: append([]int64{}, r.size...), Data: out}
	if n == 0 {
		r.Tensor = t
		return nil
	}
	// Copy runs of the innermost contiguous dimension; the index walks the shape in row-major
	// order.
	inner := int64(1)
	dims := len(r.size)
	for dims > 0 && r.stride[dims-1] == inner {
		inner *= r.size[dims-1]
		dims--
	}
	idx := make([]int64, dims)
	run := inner * es
	for o := int64(0); o < n*es; o += run {
		src := r.offset
		for i := 0; i < dims; i++ {
			src += idx[i] * r.stride[i]
		}
		copy(out[o:o+run], r.st.data[src*es:src*es+run])
		for i := dims - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < r.size[i] {
				break
			}
			idx[i] = 0
		}
	}
	r.Tensor = t
	return nil
}
