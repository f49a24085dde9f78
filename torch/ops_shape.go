//go:build !notorch

package torch

// Views, copies between types and devices, indexing and joining.

var (
	opReshape   = newOp("aten::reshape", "")
	opView      = newOp("aten::view", "")
	opPermute   = newOp("aten::permute", "")
	opTranspose = newOp("aten::transpose", "int")
	opFlatten   = newOp("aten::flatten", "using_ints")
	opSqueeze   = newOp("aten::squeeze", "dim")
	opUnsqueeze = newOp("aten::unsqueeze", "")
	opSlice     = newOp("aten::slice", "Tensor")
	opSelect    = newOp("aten::select", "int")
	opNarrow    = newOp("aten::narrow", "")
	opIndexSel  = newOp("aten::index_select", "")
	opIndex     = newOp("aten::index", "Tensor")
	opGather    = newOp("aten::gather", "")
	opCat       = newOp("aten::cat", "")
	opStack     = newOp("aten::stack", "")
	opChunk     = newOp("aten::chunk", "")
	opSplit     = newOp("aten::split", "Tensor")
	opContig    = newOp("aten::contiguous", "")
	opExpand    = newOp("aten::expand", "")
	opClone     = newOp("aten::clone", "")
	opDetach    = newOp("aten::detach", "")
	opToDtype   = newOp("aten::to", "dtype")
	opToDevice  = newOp("aten::to", "device")
	opOneHot    = newOp("aten::one_hot", "")
	opDiag      = newOp("aten::diag", "")
	opRepeat    = newOp("aten::repeat", "")
)

// MemoryFormat codes (c10::MemoryFormat).
const (
	memContiguous   = 0
	memChannelsLast = 2
)

// Reshape returns x with a new shape (a view when possible); one size may be −1.
func (s *Scope) Reshape(x *Tensor, shape ...int64) *Tensor {
	return s.call1(opReshape, newArgs().Tensor(x).Ints(shape...))
}

// View returns a view of x with a new shape (x must be compatible, e.g. contiguous).
func (s *Scope) View(x *Tensor, shape ...int64) *Tensor {
	return s.call1(opView, newArgs().Tensor(x).Ints(shape...))
}

// Permute returns a view with the dimensions reordered.
func (s *Scope) Permute(x *Tensor, dims ...int64) *Tensor {
	return s.call1(opPermute, newArgs().Tensor(x).Ints(dims...))
}

// Transpose swaps dimensions d0 and d1 (a view).
func (s *Scope) Transpose(x *Tensor, d0, d1 int64) *Tensor {
	return s.call1(opTranspose, newArgs().Tensor(x).Int(d0).Int(d1))
}

// T transposes a 2-D tensor.
func (s *Scope) T(x *Tensor) *Tensor { return s.Transpose(x, 0, 1) }

// Flatten merges dimensions start..end (inclusive; negative counts from the end).
func (s *Scope) Flatten(x *Tensor, start, end int64) *Tensor {
	return s.call1(opFlatten, newArgs().Tensor(x).Int(start).Int(end))
}

// Squeeze removes dimension dim if it has size 1.
func (s *Scope) Squeeze(x *Tensor, dim int64) *Tensor {
	return s.call1(opSqueeze, newArgs().Tensor(x).Int(dim))
}

// Unsqueeze inserts a dimension of size 1 at dim.
func (s *Scope) Unsqueeze(x *Tensor, dim int64) *Tensor {
	return s.call1(opUnsqueeze, newArgs().Tensor(x).Int(dim))
}

// Slice returns x[start:end:step] along dim (a view), like Python slicing (negative indices
// count from the end; end is clipped).
func (s *Scope) Slice(x *Tensor, dim, start, end, step int64) *Tensor {
	return s.call1(opSlice, newArgs().Tensor(x).Int(dim).Int(start).Int(end).Int(step))
}

// Narrow returns length elements from start along dim (a view).
func (s *Scope) Narrow(x *Tensor, dim, start, length int64) *Tensor {
	return s.call1(opNarrow, newArgs().Tensor(x).Int(dim).Int(start).Int(length))
}

// Select returns x[index] along dim, removing that dimension (a view).
func (s *Scope) Select(x *Tensor, dim, index int64) *Tensor {
	return s.call1(opSelect, newArgs().Tensor(x).Int(dim).Int(index))
}

// IndexSelect gathers the entries index (int64, 1-D) along dim.
func (s *Scope) IndexSelect(x *Tensor, dim int64, index *Tensor) *Tensor {
	return s.call1(opIndexSel, newArgs().Tensor(x).Int(dim).Tensor(index))
}

// Index is advanced indexing x[i0, i1, …] with index tensors (nil for a full slice ":").
func (s *Scope) Index(x *Tensor, indices ...*Tensor) *Tensor {
	return s.call1(opIndex, newArgs().Tensor(x).OptTensors(indices...))
}

// Gather picks x[…, index[…], …] along dim (torch.gather).
func (s *Scope) Gather(x *Tensor, dim int64, index *Tensor) *Tensor {
	return s.call1(opGather, newArgs().Tensor(x).Int(dim).Tensor(index).Bool(false))
}

// Cat concatenates tensors along dim.
func (s *Scope) Cat(dim int64, ts ...*Tensor) *Tensor {
	return s.call1(opCat, newArgs().Tensors(ts...).Int(dim))
}

// Stack stacks tensors along a new dimension dim.
func (s *Scope) Stack(dim int64, ts ...*Tensor) *Tensor {
	return s.call1(opStack, newArgs().Tensors(ts...).Int(dim))
}

// Chunk splits x into n nearly equal views along dim.
func (s *Scope) Chunk(x *Tensor, n, dim int64) []*Tensor {
	return s.callOp(opChunk, newArgs().Tensor(x).Int(n).Int(dim))
}

// Split splits x into views of size each along dim (the last may be smaller).
func (s *Scope) Split(x *Tensor, size, dim int64) []*Tensor {
	return s.callOp(opSplit, newArgs().Tensor(x).Int(size).Int(dim))
}

// Contiguous returns x in contiguous row-major layout (x itself, shared, when it already is).
func (s *Scope) Contiguous(x *Tensor) *Tensor {
	return s.call1(opContig, newArgs().Tensor(x).Int(memContiguous))
}

// ChannelsLast returns a 4-D tensor in channels-last (NHWC) memory layout; shape is unchanged.
func (s *Scope) ChannelsLast(x *Tensor) *Tensor {
	return s.call1(opContig, newArgs().Tensor(x).Int(memChannelsLast))
}

// Expand broadcasts x to shape (−1 keeps a size) without copying.
func (s *Scope) Expand(x *Tensor, shape ...int64) *Tensor {
	return s.call1(opExpand, newArgs().Tensor(x).Ints(shape...).Bool(false))
}

// Repeat tiles x reps times along each dimension.
func (s *Scope) Repeat(x *Tensor, reps ...int64) *Tensor {
	return s.call1(opRepeat, newArgs().Tensor(x).Ints(reps...))
}

// Clone returns a copy of x (differentiable).
func (s *Scope) Clone(x *Tensor) *Tensor {
	return s.call1(opClone, newArgs().Tensor(x).None())
}

// Detach returns a view of x that autograd does not track.
func (s *Scope) Detach(x *Tensor) *Tensor { return s.unary(opDetach, x) }

// To converts x to dtype dt (shares x when it already has that type).
func (s *Scope) To(x *Tensor, dt DType) *Tensor {
	if dt == Default {
		dt = Float32
	}
	return s.call1(opToDtype, newArgs().Tensor(x).DType(dt).Bool(false).Bool(false).None())
}

// ToDevice moves x to dev (shares x when it is already there). nonBlocking allows an
// asynchronous copy from pinned memory.
func (s *Scope) ToDevice(x *Tensor, dev Device, nonBlocking bool) *Tensor {
	return s.call1(opToDevice, newArgs().Tensor(x).Device(dev).DType(x.DType()).Bool(nonBlocking).Bool(false).None())
}

// OneHot returns the one-hot encoding (int64) of the class indices in x.
func (s *Scope) OneHot(x *Tensor, classes int64) *Tensor {
	return s.call1(opOneHot, newArgs().Tensor(x).Int(classes))
}

// Diag returns the diagonal of a matrix, or the diagonal matrix of a vector.
func (s *Scope) Diag(x *Tensor) *Tensor { return s.call1(opDiag, newArgs().Tensor(x).Int(0)) }
