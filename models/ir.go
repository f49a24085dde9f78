package models

import (
	"fmt"
	"math"
)

// Op is the kind of a Node.
type Op int

// Node kinds. Shapes are NCHW for images and [B, C] after Flatten.
const (
	OpConv            Op = iota // 2-D convolution: Conv
	OpBatchNorm                 // batch normalisation over channel axis 1 (2-D or 4-D input): BN
	OpReLU                      // max(x, 0)
	OpSiLU                      // x·σ(x)
	OpSigmoid                   // σ(x)
	OpMaxPool                   // 2-D max pooling with implicit −∞ padding: Pool
	OpGlobalAvgPool             // mean over H, W keeping [B, C, 1, 1]
	OpAdd                       // element-wise sum of two values of one shape
	OpMul                       // product, the second input [B, C, 1, 1] broadcast over H, W
	OpLinear                    // y = x·Wᵀ (+ b): Linear
	OpFlatten                   // [B, C, 1, 1] → [B, C]
	OpStochasticDepth           // training: drop whole rows with probability P and scale by 1/(1−P); eval: identity
)

var opNames = [...]string{"conv", "batchnorm", "relu", "silu", "sigmoid", "maxpool", "global_avg_pool", "add", "mul", "linear", "flatten", "stochastic_depth"}

// String returns the op's short name.
func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Value identifies a tensor flowing through a Network; Value 0 is the network's input.
type Value int

// ConvSpec describes a Conv2d (square kernel, symmetric padding, no dilation).
type ConvSpec struct {
	In, Out, Kernel, Stride, Padding, Groups int
	Bias                                     bool
}

// BNSpec describes a BatchNorm1d/2d.
type BNSpec struct {
	Channels int
	Eps      float64
	Momentum float64
}

// PoolSpec describes a MaxPool2d.
type PoolSpec struct {
	Kernel, Stride, Padding int
}

// LinearSpec describes a Linear layer.
type LinearSpec struct {
	In, Out int
	Bias    bool
}

// Node is one operation. Name is the PyTorch module path; for ops with parameters, the
// parameter names are Name + "." + {weight, bias, running_mean, running_var,
// num_batches_tracked}.
type Node struct {
	Op     Op
	Name   string
	Inputs []Value
	Output Value
	Conv   ConvSpec
	BN     BNSpec
	Pool   PoolSpec
	Linear LinearSpec
	// P is OpStochasticDepth's drop probability.
	P float64
}

// Network is a feed-forward graph of Nodes in execution order.
type Network struct {
	// Name is the architecture, e.g. "resnet18" or "projector".
	Name string
	// InputShape is the input's shape without the batch axis: [C] for a vector input
	// (the projector) or [C, 0, 0] for images of any size.
	InputShape []int
	Nodes      []Node
	// Output is the Value holding the network's result, [B, OutDim].
	Output    Value
	OutDim    int
	NumValues int
}

// ParamKind tells a trainable parameter from a buffer.
type ParamKind int

// Kinds of named tensors.
const (
	Parameter ParamKind = iota // trained by the optimiser
	Buffer                     // running statistics (float) or counters (integer)
)

// InitKind is how a tensor is initialised.
type InitKind int

// Initialisation rules (torchvision / torch.nn defaults).
const (
	InitNormal  InitKind = iota // N(0, Scale²): kaiming_normal_(mode="fan_out") for convs
	InitUniform                 // U(−Scale, Scale): nn.Linear's default, Scale = 1/√fan_in
	InitConst                   // every element = Scale (ones, zeros)
)

// Param is a named parameter or buffer of a Network.
type Param struct {
	Name  string
	Shape []int64
	Kind  ParamKind
	// Int marks an integer (int64) buffer such as num_batches_tracked; others are float32.
	Int   bool
	Init  InitKind
	Scale float64
	// Node is the index of the node owning the tensor.
	Node int
}

// NumElements is the product of the shape (1 for a scalar).
func (p Param) NumElements() int64 {
	n := int64(1)
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Params lists the network's parameters and buffers in PyTorch state_dict order (module by
// module, parameters before buffers), with names relative to the network.
func (n *Network) Params() []Param {
	var ps []Param
	for i, nd := range n.Nodes {
		switch nd.Op {
		case OpConv:
			c := nd.Conv
			k := int64(c.Kernel)
			fanOut := float64(int64(c.Out) * k * k)
			ps = append(ps, Param{Name: nd.Name + ".weight", Shape: []int64{int64(c.Out), int64(c.In / c.Groups), k, k},
				Init: InitNormal, Scale: math.Sqrt(2 / fanOut), Node: i})
			if c.Bias {
				ps = append(ps, Param{Name: nd.Name + ".bias", Shape: []int64{int64(c.Out)}, Init: InitConst, Scale: 0, Node: i})
			}
		case OpBatchNorm:
			c := []int64{int64(nd.BN.Channels)}
			ps = append(ps,
				Param{Name: nd.Name + ".weight", Shape: c, Init: InitConst, Scale: 1, Node: i},
				Param{Name: nd.Name + ".bias", Shape: c, Init: InitConst, Scale: 0, Node: i},
				Param{Name: nd.Name + ".running_mean", Shape: c, Kind: Buffer, Init: InitConst, Scale: 0, Node: i},
				Param{Name: nd.Name + ".running_var", Shape: c, Kind: Buffer, Init: InitConst, Scale: 1, Node: i},
				Param{Name: nd.Name + ".num_batches_tracked", Shape: []int64{}, Kind: Buffer, Int: true, Init: InitConst, Scale: 0, Node: i})
		case OpLinear:
			l := nd.Linear
			bound := 1 / math.Sqrt(float64(l.In))
			ps = append(ps, Param{Name: nd.Name + ".weight", Shape: []int64{int64(l.Out), int64(l.In)}, Init: InitUniform, Scale: bound, Node: i})
			if l.Bias {
				ps = append(ps, Param{Name: nd.Name + ".bias", Shape: []int64{int64(l.Out)}, Init: InitUniform, Scale: bound, Node: i})
			}
		}
	}
	return ps
}

// NumParams counts trainable parameter elements (as sum(p.numel() for p in m.parameters())).
func (n *Network) NumParams() int64 {
	var total int64
	for _, p := range n.Params() {
		if p.Kind == Parameter {
			total += p.NumElements()
		}
	}
	return total
}

// builder appends nodes to a Network under construction.
type builder struct {
	net *Network
}

func newBuilder(name string, inputShape ...int) *builder {
	return &builder{net: &Network{Name: name, InputShape: inputShape, NumValues: 1}}
}

func (b *builder) add(nd Node) Value {
	nd.Output = Value(b.net.NumValues)
	b.net.NumValues++
	b.net.Nodes = append(b.net.Nodes, nd)
	return nd.Output
}

func (b *builder) conv(name string, x Value, in, out, k, stride, groups int, bias bool) Value {
	return b.add(Node{Op: OpConv, Name: name, Inputs: []Value{x},
		Conv: ConvSpec{In: in, Out: out, Kernel: k, Stride: stride, Padding: (k - 1) / 2, Groups: groups, Bias: bias}})
}

func (b *builder) bn(name string, x Value, c int, eps float64) Value {
	return b.add(Node{Op: OpBatchNorm, Name: name, Inputs: []Value{x}, BN: BNSpec{Channels: c, Eps: eps, Momentum: 0.1}})
}

func (b *builder) unary(op Op, name string, x Value) Value {
	return b.add(Node{Op: op, Name: name, Inputs: []Value{x}})
}

func (b *builder) binary(op Op, name string, x, y Value) Value {
	return b.add(Node{Op: op, Name: name, Inputs: []Value{x, y}})
}

func (b *builder) finish(out Value, dim int) *Network {
	b.net.Output = out
	b.net.OutDim = dim
	return b.net
}
