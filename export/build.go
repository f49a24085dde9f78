package export

import (
	"fmt"
	"maps"
	"math"
	"strconv"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/onnx"
	"github.com/scl-dev/scl/preprocess"
	"github.com/scl-dev/scl/safetensors"
)

// Names of the graph's input and outputs.
const (
	InputName      = "images"
	FeaturesName   = "features"
	ProjectionName = "projection"
)

// Keys of the ONNX metadata_props written by Build.
const (
	MetaImageSize     = preprocess.MetaImageSize    // side of the square input in pixels, e.g. "32"
	MetaMean          = preprocess.MetaMean         // per-channel mean after scaling to [0,1], "0.485,0.456,0.406"
	MetaStd           = preprocess.MetaStd          // per-channel std, "0.229,0.224,0.225"
	MetaChannelOrder  = preprocess.MetaChannelOrder // "RGB", "BGR" or "L"
	MetaLayout        = "layout"                    // always "NCHW"
	MetaInChannels    = "in_channels"               // input channels, "3"
	MetaFeatureDim    = preprocess.MetaFeatureDim   // D of the features output
	MetaProjectionDim = "projection_dim"            // P of the projection output, only with a projector
	MetaArchitecture  = "architecture"              // models.Arch, e.g. "resnet18"
	MetaStem          = "stem"                      // models.Stem (ResNets)
	MetaTrainingStep  = "training_step"             // optimizer steps of the checkpoint
	MetaInputName     = "input_name"                // InputName
	MetaOutputName    = "output_name"               // FeaturesName
	MetaProjection    = "projection_name"
	MetaSource        = "source" // which network was exported: "target"
	MetaDataset       = preprocess.MetaDataset
)

// Options control Build and Export. The zero value exports the target encoder with BatchNorm
// folded into the preceding convolution or linear layer.
type Options struct {
	// WithProjector adds the projection head's output ProjectionName.
	WithProjector bool
	// KeepBatchNorm writes BatchNormalization nodes instead of folding them.
	KeepBatchNorm bool
	// Source selects the network: checkpoint.Target (default) or checkpoint.Online.
	Source checkpoint.Role
}

// Build converts the network in tensors (names prefixed models.EncoderPrefix and
// models.ProjectorPrefix) described by cfg into an ONNX model with metadata.
func Build(cfg *checkpoint.Config, tensors map[string]*safetensors.Tensor, opts Options) (*onnx.Model, error) {
	enc, proj, err := models.Networks(cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := models.CheckState(enc, models.EncoderPrefix, tensors); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if opts.WithProjector {
		if err := models.CheckState(proj, models.ProjectorPrefix, tensors); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	mc := cfg.Model.WithDefaults()
	size := cfg.Data.Height
	g := onnx.NewGraph("scl_" + string(mc.Arch))
	x := g.Input(InputName, onnx.Float, onnx.Dim("batch"), onnx.Dim(mc.InChannels), onnx.Dim(size), onnx.Dim(size))
	w := &writer{g: g, tensors: tensors, fold: !opts.KeepBatchNorm}
	feat, err := w.network(enc, models.EncoderPrefix, x)
	if err != nil {
		return nil, err
	}
	g.NodeNamed("Identity", FeaturesName, []string{feat})
	g.Output(FeaturesName, onnx.Float, onnx.Dim("batch"), onnx.Dim(enc.OutDim))
	source := opts.Source
	if source == "" {
		source = checkpoint.Target
	}
	meta := cfg.Data.Metadata() // image_size, mean, std, channel_order, dataset
	maps.Copy(meta, map[string]string{
		MetaLayout:       "NCHW",
		MetaInChannels:   strconv.Itoa(mc.InChannels),
		MetaFeatureDim:   strconv.Itoa(enc.OutDim),
		MetaArchitecture: string(mc.Arch),
		MetaTrainingStep: strconv.FormatInt(cfg.Step, 10),
		MetaInputName:    InputName,
		MetaOutputName:   FeaturesName,
		MetaSource:       string(source),
	})
	if mc.Arch == models.ResNet18 || mc.Arch == models.ResNet50 {
		meta[MetaStem] = string(mc.Stem)
	}
	if opts.WithProjector {
		p, err := w.network(proj, models.ProjectorPrefix, feat)
		if err != nil {
			return nil, err
		}
		g.NodeNamed("Identity", ProjectionName, []string{p})
		g.Output(ProjectionName, onnx.Float, onnx.Dim("batch"), onnx.Dim(proj.OutDim))
		meta[MetaProjectionDim] = strconv.Itoa(proj.OutDim)
		meta[MetaProjection] = ProjectionName
	}
	return &onnx.Model{
		Graph:     g,
		DocString: fmt.Sprintf("scl %s encoder (%s network, step %d)", mc.Arch, source, cfg.Step),
		Metadata:  meta,
	}, nil
}

// writer emits ONNX nodes for IR networks.
type writer struct {
	g       *onnx.Graph
	tensors map[string]*safetensors.Tensor
	fold    bool
}

func (w *writer) floats(name string) ([]float32, error) {
	t, ok := w.tensors[name]
	if !ok {
		return nil, fmt.Errorf("export: tensor %q missing", name)
	}
	v, err := t.F32()
	if err != nil {
		return nil, fmt.Errorf("export: tensor %q: %w", name, err)
	}
	return v, nil
}

// bnAffine returns BatchNorm's eval-mode scale γ/√(var+ε) and shift β − mean·scale, in float64.
func (w *writer) bnAffine(prefix string, nd *models.Node) (scale, shift []float64, err error) {
	p := prefix + nd.Name
	var vals [4][]float32
	for i, s := range []string{".weight", ".bias", ".running_mean", ".running_var"} {
		if vals[i], err = w.floats(p + s); err != nil {
			return nil, nil, err
		}
	}
	c := nd.BN.Channels
	scale, shift = make([]float64, c), make([]float64, c)
	for i := 0; i < c; i++ {
		scale[i] = float64(vals[0][i]) / math.Sqrt(float64(vals[3][i])+nd.BN.Eps)
		shift[i] = float64(vals[1][i]) - float64(vals[2][i])*scale[i]
	}
	return scale, shift, nil
}

// network appends the nodes of net, reading its input from the value named in, and returns the
// name of its output value.
func (w *writer) network(net *models.Network, prefix, in string) (string, error) {
	uses := make([]int, net.NumValues)
	for _, nd := range net.Nodes {
		for _, v := range nd.Inputs {
			uses[v]++
		}
	}
	names := make([]string, net.NumValues)
	names[0] = in
	for i := 0; i < len(net.Nodes); i++ {
		nd := &net.Nodes[i]
		out := prefix + nd.Name
		args := make([]string, len(nd.Inputs))
		for j, v := range nd.Inputs {
			args[j] = names[v]
		}
		// A BatchNorm reading only this node's output folds into it.
		var bn *models.Node
		if w.fold && (nd.Op == models.OpConv || nd.Op == models.OpLinear) && i+1 < len(net.Nodes) {
			next := &net.Nodes[i+1]
			if next.Op == models.OpBatchNorm && next.Inputs[0] == nd.Output && uses[nd.Output] == 1 {
				bn = next
			}
		}
		var err error
		switch nd.Op {
		case models.OpConv:
			out, err = w.conv(prefix, nd, bn, args[0])
		case models.OpLinear:
			out, err = w.linear(prefix, nd, bn, args[0])
		case models.OpBatchNorm:
			out, err = w.batchNorm(prefix, nd, args[0])
		case models.OpReLU:
			w.g.NodeNamed("Relu", out, args)
		case models.OpSigmoid:
			w.g.NodeNamed("Sigmoid", out, args)
		case models.OpSiLU:
			s := w.g.NodeNamed("Sigmoid", out+".sigmoid", args)
			w.g.NodeNamed("Mul", out, []string{args[0], s})
		case models.OpMaxPool:
			p := nd.Pool
			w.g.NodeNamed("MaxPool", out, args,
				onnx.AttrInts("kernel_shape", int64(p.Kernel), int64(p.Kernel)),
				onnx.AttrInts("strides", int64(p.Stride), int64(p.Stride)),
				onnx.AttrInts("pads", int64(p.Padding), int64(p.Padding), int64(p.Padding), int64(p.Padding)))
		case models.OpGlobalAvgPool:
			w.g.NodeNamed("GlobalAveragePool", out, args)
		case models.OpAdd:
			w.g.NodeNamed("Add", out, args)
		case models.OpMul:
			w.g.NodeNamed("Mul", out, args)
		case models.OpFlatten:
			w.g.NodeNamed("Flatten", out, args, onnx.AttrInt("axis", 1))
		case models.OpStochasticDepth:
			out = args[0] // identity at inference
		default:
			return "", fmt.Errorf("export: %s: node %q: op %v has no ONNX translation", net.Name, nd.Name, nd.Op)
		}
		if err != nil {
			return "", err
		}
		names[nd.Output] = out
		if bn != nil {
			names[bn.Output] = out
			i++
		}
	}
	return names[net.Output], nil
}

// foldedWeights loads the weight (and the bias when hasBias) of the layer node nd and folds bn
// (may be nil) into them. It returns the node name the layer's ONNX node and initialisers take:
// the BatchNorm's when folded, since the folded node produces the BatchNorm's output.
func (w *writer) foldedWeights(prefix string, nd, bn *models.Node, hasBias bool) (name string, weight, bias []float32, err error) {
	name = prefix + nd.Name
	if weight, err = w.floats(name + ".weight"); err != nil {
		return "", nil, nil, err
	}
	if hasBias {
		if bias, err = w.floats(name + ".bias"); err != nil {
			return "", nil, nil, err
		}
	}
	if bn != nil {
		scale, shift, err := w.bnAffine(prefix, bn)
		if err != nil {
			return "", nil, nil, err
		}
		weight, bias = foldInto(weight, bias, scale, shift)
		name = prefix + bn.Name
	}
	return name, weight, bias, nil
}

// layerInputs registers the weight (of shape wshape) and the optional bias of length out as
// initialisers and returns the node's inputs: in, weight[, bias].
func (w *writer) layerInputs(name, in string, wshape []int64, weight, bias []float32, out int) []string {
	inputs := []string{in, w.g.Initializer(onnx.FloatTensor(name+".weight", wshape, weight))}
	if bias != nil {
		inputs = append(inputs, w.g.Initializer(onnx.FloatTensor(name+".bias", []int64{int64(out)}, bias)))
	}
	return inputs
}

// conv writes a Conv node, folding bn (may be nil) into its weight and bias.
func (w *writer) conv(prefix string, nd, bn *models.Node, in string) (string, error) {
	c := nd.Conv
	name, weight, bias, err := w.foldedWeights(prefix, nd, bn, c.Bias)
	if err != nil {
		return "", err
	}
	k := int64(c.Kernel)
	inputs := w.layerInputs(name, in, []int64{int64(c.Out), int64(c.In / c.Groups), k, k}, weight, bias, c.Out)
	p := int64(c.Padding)
	return w.g.NodeNamed("Conv", name, inputs,
		onnx.AttrInts("kernel_shape", k, k),
		onnx.AttrInts("strides", int64(c.Stride), int64(c.Stride)),
		onnx.AttrInts("pads", p, p, p, p),
		onnx.AttrInt("group", int64(c.Groups))), nil
}

// linear writes a Gemm node (y = x·Wᵀ + b), folding bn (may be nil) into it.
func (w *writer) linear(prefix string, nd, bn *models.Node, in string) (string, error) {
	l := nd.Linear
	name, weight, bias, err := w.foldedWeights(prefix, nd, bn, l.Bias)
	if err != nil {
		return "", err
	}
	inputs := w.layerInputs(name, in, []int64{int64(l.Out), int64(l.In)}, weight, bias, l.Out)
	return w.g.NodeNamed("Gemm", name, inputs, onnx.AttrInt("transB", 1)), nil
}

// batchNorm writes an eval-mode BatchNormalization with the checkpoint's statistics as they are.
func (w *writer) batchNorm(prefix string, nd *models.Node, in string) (string, error) {
	name := prefix + nd.Name
	c := []int64{int64(nd.BN.Channels)}
	inputs := []string{in}
	for _, s := range []string{".weight", ".bias", ".running_mean", ".running_var"} {
		v, err := w.floats(name + s)
		if err != nil {
			return "", err
		}
		inputs = append(inputs, w.g.Initializer(onnx.FloatTensor(name+s, c, v)))
	}
	return w.g.NodeNamed("BatchNormalization", name, inputs, onnx.AttrFloat("epsilon", float32(nd.BN.Eps))), nil
}

// foldInto scales each output row of weight (first axis) by scale and returns the folded bias
// (bias·scale + shift), computed in float64 and rounded once to float32.
func foldInto(weight, bias []float32, scale, shift []float64) ([]float32, []float32) {
	out := len(scale)
	per := len(weight) / out
	w := make([]float32, len(weight))
	b := make([]float32, out)
	for o := 0; o < out; o++ {
		for i := 0; i < per; i++ {
			w[o*per+i] = float32(float64(weight[o*per+i]) * scale[o])
		}
		v := shift[o]
		if bias != nil {
			v += float64(bias[o]) * scale[o]
		}
		b[o] = float32(v)
	}
	return w, b
}
