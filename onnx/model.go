package onnx

import (
	"fmt"
	"math"
	"sort"
)

// DataType is an ONNX tensor element type (TensorProto.DataType).
type DataType int32

// Element types used by this package. Values are those of onnx.proto.
const (
	Undefined DataType = 0
	Float     DataType = 1
	Uint8     DataType = 2
	Int8      DataType = 3
	Int32     DataType = 6
	Int64     DataType = 7
	Bool      DataType = 9
	Float16   DataType = 10
	Double    DataType = 11
)

// String returns the ONNX name of the type, for example "FLOAT".
func (d DataType) String() string {
	switch d {
	case Float:
		return "FLOAT"
	case Uint8:
		return "UINT8"
	case Int8:
		return "INT8"
	case Int32:
		return "INT32"
	case Int64:
		return "INT64"
	case Bool:
		return "BOOL"
	case Float16:
		return "FLOAT16"
	case Double:
		return "DOUBLE"
	case Undefined:
		return "UNDEFINED"
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

// Size is the element size in bytes, or 0 for types without a fixed size.
func (d DataType) Size() int {
	switch d {
	case Uint8, Int8, Bool:
		return 1
	case Float16:
		return 2
	case Float, Int32:
		return 4
	case Int64, Double:
		return 8
	}
	return 0
}

// Default versions written when a Model leaves them zero.
const (
	DefaultIRVersion = 8  // IR version of ONNX 1.12/1.13, the first with opset 17
	DefaultOpset     = 17 // default-domain operator set
)

// Model is an ONNX ModelProto: one graph plus versions and metadata.
type Model struct {
	Graph *Graph
	// IRVersion defaults to DefaultIRVersion, Opset to DefaultOpset.
	IRVersion int64
	Opset     int64
	// ProducerName defaults to "scl".
	ProducerName    string
	ProducerVersion string
	ModelVersion    int64
	DocString       string
	// Metadata becomes metadata_props, written in sorted key order.
	Metadata map[string]string
}

// Graph is an ONNX GraphProto under construction. The zero value is not ready: use NewGraph.
type Graph struct {
	Name         string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
	DocString    string

	counter int
}

// Node is an ONNX NodeProto.
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// AttrType is AttributeProto.AttributeType.
type AttrType int32

// Attribute types written by this package.
const (
	AttrTypeFloat   AttrType = 1
	AttrTypeInt     AttrType = 2
	AttrTypeString  AttrType = 3
	AttrTypeTensor  AttrType = 4
	AttrTypeFloats  AttrType = 6
	AttrTypeInts    AttrType = 7
	AttrTypeStrings AttrType = 8
)

// Attr is an ONNX AttributeProto; only the field matching Type is written.
type Attr struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       string
	T       *Tensor
	Floats  []float32
	Ints    []int64
	Strings []string
}

// AttrInt returns an INT attribute.
func AttrInt(name string, v int64) Attr { return Attr{Name: name, Type: AttrTypeInt, I: v} }

// AttrFloat returns a FLOAT attribute.
func AttrFloat(name string, v float32) Attr { return Attr{Name: name, Type: AttrTypeFloat, F: v} }

// AttrString returns a STRING attribute.
func AttrString(name, v string) Attr { return Attr{Name: name, Type: AttrTypeString, S: v} }

// AttrInts returns an INTS attribute.
func AttrInts(name string, v ...int64) Attr {
	return Attr{Name: name, Type: AttrTypeInts, Ints: append([]int64(nil), v...)}
}

// AttrFloats returns a FLOATS attribute.
func AttrFloats(name string, v ...float32) Attr {
	return Attr{Name: name, Type: AttrTypeFloats, Floats: append([]float32(nil), v...)}
}

// AttrTensor returns a TENSOR attribute (for example Constant's "value").
func AttrTensor(name string, t *Tensor) Attr { return Attr{Name: name, Type: AttrTypeTensor, T: t} }

// Tensor is an ONNX TensorProto whose data is stored as raw little-endian bytes.
type Tensor struct {
	Name  string
	DType DataType
	Dims  []int64
	Raw   []byte
}

// FloatTensor returns a FLOAT tensor holding a copy of data; len(data) must equal the product
// of dims (checked by Marshal).
func FloatTensor(name string, dims []int64, data []float32) *Tensor {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		u := math.Float32bits(v)
		raw[4*i], raw[4*i+1], raw[4*i+2], raw[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return &Tensor{Name: name, DType: Float, Dims: append([]int64(nil), dims...), Raw: raw}
}

// Int64Tensor returns an INT64 tensor holding a copy of data.
func Int64Tensor(name string, dims []int64, data []int64) *Tensor {
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		u := uint64(v)
		for k := 0; k < 8; k++ {
			raw[8*i+k] = byte(u >> (8 * k))
		}
	}
	return &Tensor{Name: name, DType: Int64, Dims: append([]int64(nil), dims...), Raw: raw}
}

// Floats decodes a FLOAT tensor's data.
func (t *Tensor) Floats() ([]float32, error) {
	if t.DType != Float {
		return nil, fmt.Errorf("onnx: tensor %q has type %v, want FLOAT", t.Name, t.DType)
	}
	if len(t.Raw)%4 != 0 {
		return nil, fmt.Errorf("onnx: tensor %q has %d raw bytes, not a multiple of 4", t.Name, len(t.Raw))
	}
	out := make([]float32, len(t.Raw)/4)
	for i := range out {
		b := t.Raw[4*i:]
		out[i] = math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
	}
	return out, nil
}

// Dimension is one axis of a ValueInfo shape: a fixed size (Value ≥ 0) or a symbolic name
// (Param, for example "batch") which makes the axis dynamic.
type Dimension struct {
	Value int64
	Param string
}

// Dim builds a Dimension from an int (fixed size) or a string (symbolic, dynamic axis).
// It panics on other types, which is a programming error.
func Dim(v any) Dimension {
	switch x := v.(type) {
	case int:
		return Dimension{Value: int64(x)}
	case int64:
		return Dimension{Value: x}
	case string:
		return Dimension{Param: x}
	}
	panic(fmt.Sprintf("onnx: Dim(%T): want int, int64 or string", v))
}

// ValueInfo is an ONNX ValueInfoProto describing a tensor-typed graph input or output.
type ValueInfo struct {
	Name  string
	DType DataType
	Shape []Dimension
}

// NewGraph returns an empty graph with the given name.
func NewGraph(name string) *Graph { return &Graph{Name: name} }

// Input declares a graph input and returns its name.
func (g *Graph) Input(name string, dtype DataType, shape ...Dimension) string {
	g.Inputs = append(g.Inputs, ValueInfo{Name: name, DType: dtype, Shape: shape})
	return name
}

// Output declares the value named name as a graph output.
func (g *Graph) Output(name string, dtype DataType, shape ...Dimension) {
	g.Outputs = append(g.Outputs, ValueInfo{Name: name, DType: dtype, Shape: shape})
}

// Initializer adds a constant tensor (a weight) and returns its name.
func (g *Graph) Initializer(t *Tensor) string {
	g.Initializers = append(g.Initializers, t)
	return t.Name
}

// Node appends a single-output node whose output gets a fresh name, and returns that name.
func (g *Graph) Node(op string, inputs []string, attrs ...Attr) string {
	g.counter++
	return g.NodeNamed(op, fmt.Sprintf("%s_%d", op, g.counter), inputs, attrs...)
}

// NodeNamed appends a single-output node whose output (and node name) is out, and returns out.
func (g *Graph) NodeNamed(op, out string, inputs []string, attrs ...Attr) string {
	g.Nodes = append(g.Nodes, &Node{
		Name:    out,
		OpType:  op,
		Inputs:  append([]string(nil), inputs...),
		Outputs: []string{out},
		Attrs:   attrs,
	})
	return out
}

// Validate checks the graph's structure: unique value names, every node input defined before
// use (an empty input name means an omitted optional input), outputs produced, tensor sizes
// consistent with their dims.
func (g *Graph) Validate() error {
	defined := map[string]string{}
	define := func(name, what string) error {
		if name == "" {
			return fmt.Errorf("onnx: graph %q: %s has an empty name", g.Name, what)
		}
		if prev, ok := defined[name]; ok {
			return fmt.Errorf("onnx: graph %q: value %q defined twice (%s and %s)", g.Name, name, prev, what)
		}
		defined[name] = what
		return nil
	}
	for _, in := range g.Inputs {
		if err := define(in.Name, "graph input"); err != nil {
			return err
		}
	}
	for _, t := range g.Initializers {
		if err := define(t.Name, "initializer"); err != nil {
			return err
		}
		if err := t.validate(); err != nil {
			return fmt.Errorf("onnx: graph %q: %w", g.Name, err)
		}
	}
	for i, n := range g.Nodes {
		if n.OpType == "" {
			return fmt.Errorf("onnx: graph %q: node %d (%q) has no op type", g.Name, i, n.Name)
		}
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			if _, ok := defined[in]; !ok {
				return fmt.Errorf("onnx: graph %q: node %q (%s) reads %q before it is defined", g.Name, n.Name, n.OpType, in)
			}
		}
		for _, a := range n.Attrs {
			if a.Type == AttrTypeTensor && a.T != nil {
				if err := a.T.validate(); err != nil {
					return fmt.Errorf("onnx: graph %q: node %q attribute %q: %w", g.Name, n.Name, a.Name, err)
				}
			}
		}
		for _, out := range n.Outputs {
			if err := define(out, fmt.Sprintf("output of node %q", n.Name)); err != nil {
				return err
			}
		}
	}
	if len(g.Outputs) == 0 {
		return fmt.Errorf("onnx: graph %q has no outputs", g.Name)
	}
	for _, out := range g.Outputs {
		if _, ok := defined[out.Name]; !ok {
			return fmt.Errorf("onnx: graph %q: output %q is not produced by any node", g.Name, out.Name)
		}
	}
	return nil
}

func (t *Tensor) validate() error {
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 {
			return fmt.Errorf("tensor %q has negative dimension in %v", t.Name, t.Dims)
		}
		if d != 0 && n > math.MaxInt64/8/d { // keeps n·size from overflowing
			return fmt.Errorf("tensor %q: dims %v overflow the element count", t.Name, t.Dims)
		}
		n *= d
	}
	if sz := t.DType.Size(); sz == 0 {
		return fmt.Errorf("tensor %q has unsupported type %v", t.Name, t.DType)
	} else if int64(len(t.Raw)) != n*int64(sz) {
		return fmt.Errorf("tensor %q has %d bytes of data, want %d for dims %v of %v", t.Name, len(t.Raw), n*int64(sz), t.Dims, t.DType)
	}
	return nil
}

func (m *Model) metadataKeys() []string {
	keys := make([]string, 0, len(m.Metadata))
	for k := range m.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
