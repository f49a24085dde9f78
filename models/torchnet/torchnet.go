//go:build !notorch

package torchnet

import (
	"fmt"

	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/safetensors"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
)

// Module is one IR network bound to tensors of a Store.
type Module struct {
	Net    *models.Network
	st     *nn.Store
	prefix string
	// vars maps a parameter's name relative to the network to its tensor (owned by the Store).
	vars map[string]*torch.Tensor
	// lastUse[v] is the index of the last node reading value v (-1: none): Forward frees a
	// value's handle after it.
	lastUse []int
	// reluInPlace[i] says node i is a ReLU that may overwrite its input (see inPlaceReLU).
	reluInPlace []bool
	// relayout[i] is the memory layout convolution node i converts its input to first
	// (layoutKeep: none; see planLayouts).
	relayout []layout
	// contiguous[i] says convolution node i is stored contiguous in a channels-last store
	// (nil: none is).
	contiguous []bool
}

// layout is a 4-D tensor's memory layout as far as a Module's convolutions care.
type layout int8

const (
	layoutKeep         layout = iota // no conversion
	layoutContiguous                 // NCHW
	layoutChannelsLast               // NHWC
)

// Build registers net's parameters and buffers under p (torchvision initialisation) and returns
// the module interpreting net over them. Failures are recorded in the store (check Store.Err).
func Build(net *models.Network, p nn.Path) *Module {
	return build(net, p, nil)
}

// build is Build with the convolution nodes i where contiguous[i] stored contiguous (NCHW)
// in a channels-last store (nil: none).
func build(net *models.Network, p nn.Path, contiguous []bool) *Module {
	m := &Module{Net: net, st: p.Store(), prefix: p.Name(""), vars: map[string]*torch.Tensor{}}
	m.lastUse = make([]int, net.NumValues)
	for v := range m.lastUse {
		m.lastUse[v] = -1
	}
	for i, nd := range net.Nodes {
		for _, v := range nd.Inputs {
			m.lastUse[v] = i
		}
	}
	m.reluInPlace = inPlaceReLU(net)
	channelsLast := p.Store().ChannelsLast()
	defer p.Store().SetChannelsLast(channelsLast)
	m.relayout = planLayouts(net, channelsLast, contiguous)
	if channelsLast {
		m.contiguous = contiguous
	}
	for _, par := range net.Params() {
		p.Store().SetChannelsLast(channelsLast && !(contiguous != nil && contiguous[par.Node]))
		var init nn.Init
		switch par.Init {
		case models.InitNormal:
			init = nn.Normal(0, par.Scale)
		case models.InitUniform:
			init = nn.Uniform(-par.Scale, par.Scale)
		default:
			init = nn.Const(par.Scale)
		}
		var t *torch.Tensor
		if par.Kind == models.Parameter {
			t = p.Param(par.Name, init, par.Shape...)
		} else {
			dt := p.Store().DType()
			if par.Int {
				dt = torch.Int64
			}
			t = p.Buffer(par.Name, dt, init, par.Shape...)
		}
		m.vars[par.Name] = t
	}
	return m
}

// Forward runs the network on x ([B, C, H, W] images, or [B, D] for the projector) in the
// store's training mode. Errors are recorded in s.
func (m *Module) Forward(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	if err := m.st.Err(); err != nil {
		s.Fail(fmt.Errorf("torchnet: %s: %w", m.Net.Name, err))
		return nil
	}
	train := m.st.Training()
	vals := make([]*torch.Tensor, m.Net.NumValues)
	vals[0] = x
	for i := range m.Net.Nodes {
		nd := &m.Net.Nodes[i]
		in := vals[nd.Inputs[0]]
		var out *torch.Tensor
		switch nd.Op {
		case models.OpConv:
			c := nd.Conv
			p := int64(c.Padding)
			st := int64(c.Stride)
			var relaid *torch.Tensor // a new handle, freed after the convolution
			switch m.relayout[i] {
			case layoutContiguous:
				relaid = s.Contiguous(in)
			case layoutChannelsLast:
				relaid = s.ChannelsLast(in)
			}
			if relaid != nil {
				in = relaid
			}
			out = s.Conv2d(in, m.vars[nd.Name+".weight"], m.vars[nd.Name+".bias"], torch.Conv2dOpts{
				Stride: [2]int64{st, st}, Padding: [2]int64{p, p}, Groups: int64(c.Groups)})
			if relaid != nil {
				relaid.Close()
			}
		case models.OpBatchNorm:
			if train {
				s.NoGrad().AddScalarInPlace(m.vars[nd.Name+".num_batches_tracked"], 1)
			}
			out = s.BatchNorm(in, m.vars[nd.Name+".weight"], m.vars[nd.Name+".bias"],
				m.vars[nd.Name+".running_mean"], m.vars[nd.Name+".running_var"], train, nd.BN.Momentum, nd.BN.Eps)
		case models.OpReLU:
			if m.reluInPlace[i] {
				s.ReluInPlace(in)
				out = in
			} else {
				out = s.Relu(in)
			}
		case models.OpSiLU:
			out = s.Silu(in)
		case models.OpSigmoid:
			out = s.Sigmoid(in)
		case models.OpMaxPool:
			out = s.MaxPool2d(in, int64(nd.Pool.Kernel), int64(nd.Pool.Stride), int64(nd.Pool.Padding), false)
		case models.OpGlobalAvgPool:
			out = s.AdaptiveAvgPool2d(in, 1, 1)
		case models.OpAdd:
			out = s.Add(in, vals[nd.Inputs[1]])
		case models.OpMul:
			out = s.Mul(in, vals[nd.Inputs[1]])
		case models.OpLinear:
			out = s.Linear(in, m.vars[nd.Name+".weight"], m.vars[nd.Name+".bias"])
		case models.OpFlatten:
			out = s.Flatten(in, 1, -1)
		case models.OpStochasticDepth:
			out = in
			if train && nd.P > 0 {
				// torchvision's StochasticDepth(mode="row"): keep each sample's branch with
				// probability 1−p and rescale by 1/(1−p).
				keep := 1 - nd.P
				shape := in.Shape()
				noiseShape := make([]int64, len(shape))
				noiseShape[0] = shape[0]
				for j := 1; j < len(shape); j++ {
					noiseShape[j] = 1
				}
				noise := s.Bernoulli(s.Empty(torch.Opts{DType: in.DType(), Device: in.Device()}, noiseShape...), keep)
				out = s.Mul(in, s.DivScalar(noise, keep))
			}
		default:
			s.Failf("torchnet: %s: node %q has unknown op %v", m.Net.Name, nd.Name, nd.Op)
			return nil
		}
		vals[nd.Output] = out
		// Free the handles of values no later node reads (not x, the caller's, nor the output):
		// what autograd saved for the backward pass stays alive through its graph; the rest
		// (e.g. a BatchNorm output once its ReLU has run) goes now rather than with s.
		for _, v := range nd.Inputs {
			if m.lastUse[v] == i && v != 0 && v != m.Net.Output && vals[v] != out {
				vals[v].Close()
				vals[v] = nil
			}
		}
	}
	return vals[m.Net.Output]
}

// planLayouts says which convolution nodes of net convert their input's memory layout: in a
// channels-last network (whose input comes channels-last) those stored contiguous
// (contiguous[i]) take NCHW inputs, and the channels-last ones after them NHWC again. Other
// nodes pass their first input's layout on; a conversion of a tensor already in the wanted
// layout costs nothing, so the plan only has to be right to be fast, not to be correct.
func planLayouts(net *models.Network, channelsLast bool, contiguous []bool) []layout {
	plan := make([]layout, len(net.Nodes))
	if !channelsLast || contiguous == nil {
		return plan
	}
	cl := make([]bool, net.NumValues)
	cl[0] = true
	for i, nd := range net.Nodes {
		want := cl[nd.Inputs[0]]
		if nd.Op == models.OpConv {
			want = !contiguous[i]
			switch {
			case want && !cl[nd.Inputs[0]]:
				plan[i] = layoutChannelsLast
			case !want && cl[nd.Inputs[0]]:
				plan[i] = layoutContiguous
			}
		}
		cl[nd.Output] = want
	}
	return plan
}

// inPlaceReLU marks the ReLU nodes of net that can overwrite their input, as torchvision's
// nn.ReLU(inplace=True) does: the input is an intermediate value (not the network's input or
// output) that this ReLU alone reads, made by an op whose backward function does not need its
// own output (convolution, batch norm, addition, linear). That saves the allocation and the
// memory traffic of one activation per ReLU; autograd's version counters would report a misuse
// as an error at the backward pass, and the values are the same either way.
func inPlaceReLU(net *models.Network) []bool {
	// Every value but 0 (the network's input) is the output of exactly one node.
	readers := make([]int, net.NumValues)
	producer := make([]models.Op, net.NumValues)
	for _, nd := range net.Nodes {
		for _, v := range nd.Inputs {
			readers[v]++
		}
		producer[nd.Output] = nd.Op
	}
	marks := make([]bool, len(net.Nodes))
	for i, nd := range net.Nodes {
		if nd.Op != models.OpReLU {
			continue
		}
		v := nd.Inputs[0]
		if v == 0 || v == net.Output || nd.Output == net.Output || readers[v] != 1 {
			continue
		}
		switch producer[v] {
		case models.OpConv, models.OpBatchNorm, models.OpAdd, models.OpLinear:
			marks[i] = true
		}
	}
	return marks
}

// Model is an encoder and its projector in one Store, named as in checkpoints.
type Model struct {
	Config    models.Config
	Store     *nn.Store
	Encoder   *Module
	Projector *Module
}

// New builds the encoder (under "encoder") and projector (under "projector") described by cfg
// in a new float32 Store on dev. The caller must Close the model.
func New(cfg models.Config, dev torch.Device) (*Model, error) {
	return NewOf(cfg, dev, torch.Float32)
}

// NewOf is New with parameters and float buffers of type dt (Float32 or Float64).
func NewOf(cfg models.Config, dev torch.Device, dt torch.DType) (*Model, error) {
	return NewWith(cfg, dev, Options{DType: dt})
}

// Options are how NewWith stores a model's tensors.
type Options struct {
	// DType is the type of parameters and float buffers (torch.Default: Float32).
	DType torch.DType
	// ChannelsLast stores convolution weights channels-last (nn.Store.SetChannelsLast); feed
	// such a model channels-last inputs (torch.Scope.ChannelsLast) for the fast kernels.
	ChannelsLast bool
	// ContiguousConv, in a ChannelsLast model, picks encoder convolutions to keep contiguous
	// (NCHW): it is asked about each one with its output maps on ViewSize×ViewSize images.
	// Forward converts activations between the layouts where they change. nil keeps every
	// convolution channels-last.
	ContiguousConv func(c models.ConvSpec, out models.MapSize) bool
	// ViewSize is the input size ContiguousConv judges by.
	ViewSize int
}

// NewWith is New with the storage options o.
func NewWith(cfg models.Config, dev torch.Device, o Options) (*Model, error) {
	enc, proj, err := models.Networks(cfg)
	if err != nil {
		return nil, fmt.Errorf("torchnet: %w", err)
	}
	dt := o.DType
	if dt == torch.Default {
		dt = torch.Float32
	}
	var contiguous []bool
	if o.ChannelsLast && o.ContiguousConv != nil {
		if contiguous, err = enc.ConvsWhere(o.ViewSize, o.ViewSize, o.ContiguousConv); err != nil {
			return nil, fmt.Errorf("torchnet: %w", err)
		}
	}
	st := nn.NewStoreOf(dev, dt)
	st.SetChannelsLast(o.ChannelsLast)
	m := &Model{Config: cfg.WithDefaults(), Store: st,
		Encoder:   build(enc, st.Root().Sub(trim(models.EncoderPrefix)), contiguous),
		Projector: Build(proj, st.Root().Sub(trim(models.ProjectorPrefix))),
	}
	if err := st.Err(); err != nil {
		st.Close()
		return nil, fmt.Errorf("torchnet: build %s: %w", cfg.Arch, err)
	}
	return m, nil
}

// ContiguousConvs names the encoder convolutions stored contiguous in a channels-last model
// (Options.ContiguousConv), in network order.
func (m *Model) ContiguousConvs() []string {
	var names []string
	for i, nd := range m.Encoder.Net.Nodes {
		if m.Encoder.contiguous != nil && m.Encoder.contiguous[i] {
			names = append(names, nd.Name)
		}
	}
	return names
}

func trim(prefix string) string { return prefix[:len(prefix)-1] }

// Close frees the model's parameters. Idempotent.
func (m *Model) Close() error {
	if m == nil {
		return nil
	}
	return m.Store.Close()
}

// Forward returns the features [B, D] and projections [B, P] of images x.
func (m *Model) Forward(s *torch.Scope, x *torch.Tensor) (features, projection *torch.Tensor) {
	features = m.Encoder.Forward(s, x)
	return features, m.Projector.Forward(s, features)
}

// State copies every parameter and buffer of st into checkpoint tensors (float64 ones as F64,
// other float parameters and buffers as F32, integer buffers as I64), named as in the store.
func State(st *nn.Store) (map[string]*safetensors.Tensor, error) {
	out := map[string]*safetensors.Tensor{}
	for _, v := range st.Vars() {
		shape := v.T.Shape()
		var t *safetensors.Tensor
		switch v.T.DType() {
		case torch.Int64:
			d, err := v.T.Int64s()
			if err != nil {
				return nil, fmt.Errorf("torchnet: state %q: %w", v.Name, err)
			}
			t = safetensors.FromI64(shape, d)
		case torch.Float64:
			b, err := v.T.Bytes()
			if err != nil {
				return nil, fmt.Errorf("torchnet: state %q: %w", v.Name, err)
			}
			t = &safetensors.Tensor{DType: safetensors.F64, Shape: append([]int64{}, shape...), Data: b}
		default:
			d, err := v.T.Float32s()
			if err != nil {
				return nil, fmt.Errorf("torchnet: state %q: %w", v.Name, err)
			}
			t = safetensors.FromF32(shape, d)
		}
		out[v.Name] = t
	}
	return out, nil
}

// LoadState copies checkpoint tensors into st's variables by name. Every variable of the store
// must be present with its shape; tensors under other names (trainer extras) are ignored.
// Errors name the tensor.
func LoadState(st *nn.Store, tensors map[string]*safetensors.Tensor) error {
	s := torch.NewScope()
	defer s.Close()
	state := map[string]*torch.Tensor{}
	for _, v := range st.Vars() {
		src, ok := tensors[v.Name]
		if !ok {
			return fmt.Errorf("torchnet: load: tensor %q missing", v.Name)
		}
		var t *torch.Tensor
		if src.DType == safetensors.I64 {
			d, err := src.I64()
			if err != nil {
				return fmt.Errorf("torchnet: load %q: %w", v.Name, err)
			}
			t = s.FromInt64s(d, src.Shape...)
		} else if src.DType == safetensors.F64 {
			if int64(len(src.Data)) != 8*src.NumElements() {
				return fmt.Errorf("torchnet: load %q: F64 tensor of shape %v has %d bytes", v.Name, src.Shape, len(src.Data))
			}
			t = s.FromBytes(src.Data, torch.Float64, src.Shape...)
		} else {
			d, err := src.F32()
			if err != nil {
				return fmt.Errorf("torchnet: load %q: %w", v.Name, err)
			}
			t = s.FromFloat32s(d, src.Shape...)
		}
		state[v.Name] = t
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("torchnet: load: %w", err)
	}
	if err := st.Load(state); err != nil {
		return fmt.Errorf("torchnet: %w", err)
	}
	return nil
}
