package models

import (
	"fmt"
	"strings"
)

// Arch names an encoder architecture.
type Arch string

// Supported encoders.
const (
	ResNet18        Arch = "resnet18"
	ResNet50        Arch = "resnet50"
	EfficientNetV2S Arch = "efficientnet_v2_s"
	EfficientNetB0  Arch = "efficientnet_b0"
)

// Archs lists the supported encoders.
var Archs = []Arch{ResNet18, ResNet50, EfficientNetV2S, EfficientNetB0}

// Stem selects the ResNet input stem.
type Stem string

// ResNet stems.
const (
	// StemImageNet is a 7×7 stride-2 conv followed by a 3×3 stride-2 max-pool.
	StemImageNet Stem = "imagenet"
	// StemCIFAR is a 3×3 stride-1 conv without max-pool, for 32×32-sized images.
	StemCIFAR Stem = "cifar"
	// StemCIFARStride2 is the CIFAR stem's 3×3 conv with stride 2 (no max-pool): the network
	// sees the full-resolution image but its stages run at half the resolution, a quarter of the
	// CIFAR stem's cost at equal width (for small images on small machines).
	StemCIFARStride2 Stem = "cifar-s2"
)

// Prefixes of the encoder's and the projector's tensors in checkpoints and exports.
const (
	EncoderPrefix   = "encoder."
	ProjectorPrefix = "projector."
)

// Config selects and sizes the networks. Zero fields take the documented defaults; WithDefaults
// fills them in. It is stored verbatim in a checkpoint's config.json under "model".
type Config struct {
	Arch Arch `json:"arch"`
	// Stem applies to ResNets only; default StemImageNet.
	Stem Stem `json:"stem,omitempty"`
	// InChannels is the number of input image channels; default 3 (1 for grey images).
	InChannels int `json:"in_channels,omitempty"`
	// Width is the ResNet base width (channels of the stem and the first stage); default 64.
	Width int `json:"width,omitempty"`
	// LastStageWidth is a ResNet's fourth-stage planes (its feature dimension over the
	// bottleneck expansion); 0 means 8·Width, torchvision's (see FourthStageWidth). A wider last stage gives the
	// features more dimensions for little compute, the last stage running at the lowest
	// resolution.
	LastStageWidth int `json:"last_stage_width,omitempty"`
	// WidthMult and DepthMult scale EfficientNet channels (rounded to multiples of 8) and
	// blocks per stage (rounded up); default 1.
	WidthMult float64 `json:"width_mult,omitempty"`
	DepthMult float64 `json:"depth_mult,omitempty"`
	// ProjectorHidden and ProjectorOut size the projection head; defaults 512 and 64.
	ProjectorHidden int `json:"projector_hidden,omitempty"`
	ProjectorOut    int `json:"projector_out,omitempty"`
}

// FourthStageWidth returns the planes of a ResNet's fourth stage: LastStageWidth, or 8·Width
// when it is 0.
func (c Config) FourthStageWidth() int {
	if c.LastStageWidth > 0 {
		return c.LastStageWidth
	}
	return 8 * c.Width
}

// WithDefaults returns c with zero fields replaced by their defaults.
func (c Config) WithDefaults() Config {
	if c.Stem == "" {
		c.Stem = StemImageNet
	}
	if c.InChannels == 0 {
		c.InChannels = 3
	}
	if c.Width == 0 {
		c.Width = 64
	}
	if c.WidthMult == 0 {
		c.WidthMult = 1
	}
	if c.DepthMult == 0 {
		c.DepthMult = 1
	}
	if c.ProjectorHidden == 0 {
		c.ProjectorHidden = 512
	}
	if c.ProjectorOut == 0 {
		c.ProjectorOut = 64
	}
	return c
}

// Validate checks the configuration (after defaults) and names the offending field.
func (c Config) Validate() error {
	c = c.WithDefaults()
	known := false
	for _, a := range Archs {
		known = known || a == c.Arch
	}
	if !known {
		names := make([]string, len(Archs))
		for i, a := range Archs {
			names[i] = string(a)
		}
		return fmt.Errorf("models: unknown architecture %q, want one of %s", c.Arch, strings.Join(names, ", "))
	}
	if c.Stem != StemImageNet && c.Stem != StemCIFAR && c.Stem != StemCIFARStride2 {
		return fmt.Errorf("models: unknown stem %q, want %q, %q or %q", c.Stem, StemImageNet, StemCIFAR, StemCIFARStride2)
	}
	switch {
	case c.InChannels < 1:
		return fmt.Errorf("models: in_channels %d, want ≥ 1", c.InChannels)
	case c.Width < 1:
		return fmt.Errorf("models: width %d, want ≥ 1", c.Width)
	case c.LastStageWidth < 0:
		return fmt.Errorf("models: last_stage_width %d, want ≥ 1 (0: 8·width)", c.LastStageWidth)
	case c.WidthMult <= 0 || c.DepthMult <= 0:
		return fmt.Errorf("models: width_mult %g and depth_mult %g, want > 0", c.WidthMult, c.DepthMult)
	case c.ProjectorHidden < 1 || c.ProjectorOut < 1:
		return fmt.Errorf("models: projector_hidden %d and projector_out %d, want ≥ 1", c.ProjectorHidden, c.ProjectorOut)
	}
	return nil
}

// Encoder builds the encoder described by cfg: images [B, InChannels, H, W] → features [B, D].
func Encoder(cfg Config) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	switch cfg.Arch {
	case ResNet18:
		return resnet(string(cfg.Arch), [4]int{2, 2, 2, 2}, false, cfg), nil
	case ResNet50:
		return resnet(string(cfg.Arch), [4]int{3, 4, 6, 3}, true, cfg), nil
	case EfficientNetV2S:
		return efficientNet(string(cfg.Arch), efficientNetV2S, 1280, 1e-3, cfg), nil
	default: // EfficientNetB0, checked by Validate
		return efficientNet(string(cfg.Arch), efficientNetB0, 0, 1e-5, cfg), nil
	}
}

// Projector builds the projection head Linear(in→hidden, no bias) → BatchNorm1d → ReLU →
// Linear(hidden→out, no bias), with torch.nn.Sequential's names "0", "1", "3".
func Projector(in, hidden, out int) *Network {
	b := newBuilder("projector", in)
	x := b.add(Node{Op: OpLinear, Name: "0", Inputs: []Value{0}, Linear: LinearSpec{In: in, Out: hidden}})
	x = b.bn("1", x, hidden, 1e-5)
	x = b.unary(OpReLU, "2", x)
	x = b.add(Node{Op: OpLinear, Name: "3", Inputs: []Value{x}, Linear: LinearSpec{In: hidden, Out: out}})
	return b.finish(x, out)
}

// Networks builds the encoder and its projector (input = the encoder's feature dimension).
func Networks(cfg Config) (encoder, projector *Network, err error) {
	encoder, err = Encoder(cfg)
	if err != nil {
		return nil, nil, err
	}
	cfg = cfg.WithDefaults()
	return encoder, Projector(encoder.OutDim, cfg.ProjectorHidden, cfg.ProjectorOut), nil
}
