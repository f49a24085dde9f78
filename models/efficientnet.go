package models

import (
	"fmt"
	"math"
)

// stageConfig is one row of torchvision's inverted-residual settings
// (MBConvConfig / FusedMBConvConfig).
type stageConfig struct {
	fused                bool
	expand, kernel       int
	stride, in, out, num int
}

// efficientNetV2S is torchvision's efficientnet_v2_s setting.
var efficientNetV2S = []stageConfig{
	{true, 1, 3, 1, 24, 24, 2},
	{true, 4, 3, 2, 24, 48, 4},
	{true, 4, 3, 2, 48, 64, 4},
	{false, 4, 3, 2, 64, 128, 6},
	{false, 6, 3, 1, 128, 160, 9},
	{false, 6, 3, 2, 160, 256, 15},
}

// efficientNetB0 is torchvision's efficientnet_b0 setting (width and depth multipliers 1).
var efficientNetB0 = []stageConfig{
	{false, 1, 3, 1, 32, 16, 1},
	{false, 6, 3, 2, 16, 24, 2},
	{false, 6, 5, 2, 24, 40, 2},
	{false, 6, 3, 2, 40, 80, 3},
	{false, 6, 5, 1, 80, 112, 3},
	{false, 6, 5, 2, 112, 192, 4},
	{false, 6, 3, 1, 192, 320, 1},
}

// makeDivisible is torchvision's _make_divisible(v, 8): round to the nearest multiple of 8,
// at least 8, never more than 10% below v.
func makeDivisible(v float64) int {
	const divisor = 8
	n := int(v+divisor/2) / divisor * divisor
	if n < divisor {
		n = divisor
	}
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// efficientNet builds torchvision's EfficientNet.features followed by the global average pool
// (the classifier removed). lastChannel 0 means 4 × the last stage's width (B0).
func efficientNet(name string, stages []stageConfig, lastChannel int, eps float64, cfg Config) *Network {
	const sdProb = 0.2
	b := newBuilder(name, cfg.InChannels, 0, 0)
	adjust := func(c int) int { return makeDivisible(float64(c) * cfg.WidthMult) }
	depth := func(n int) int { return int(math.Ceil(float64(n) * cfg.DepthMult)) }
	convBNAct := func(prefix string, x Value, in, out, k, stride, groups int, act bool) Value {
		x = b.conv(prefix+".0", x, in, out, k, stride, groups, false)
		x = b.bn(prefix+".1", x, out, eps)
		if act {
			x = b.unary(OpSiLU, prefix+".2", x)
		}
		return x
	}
	total := 0
	for _, s := range stages {
		total += depth(s.num)
	}
	first := adjust(stages[0].in)
	x := convBNAct("features.0", 0, cfg.InChannels, first, 3, 2, 1, true)
	blockID := 0
	for si, s := range stages {
		in, out := adjust(s.in), adjust(s.out)
		for i := 0; i < depth(s.num); i++ {
			stride := s.stride
			if i > 0 {
				in, stride = out, 1
			}
			p := fmt.Sprintf("features.%d.%d.block", si+1, i)
			expanded := makeDivisible(float64(in) * float64(s.expand))
			sd := sdProb * float64(blockID) / float64(total)
			blockID++
			input := x
			if s.fused {
				if expanded != in {
					x = convBNAct(p+".0", x, in, expanded, s.kernel, stride, 1, true)
					x = convBNAct(p+".1", x, expanded, out, 1, 1, 1, false)
				} else {
					x = convBNAct(p+".0", x, in, out, s.kernel, stride, 1, true)
				}
			} else {
				j := 0
				if expanded != in {
					x = convBNAct(fmt.Sprintf("%s.%d", p, j), x, in, expanded, 1, 1, 1, true)
					j++
				}
				x = convBNAct(fmt.Sprintf("%s.%d", p, j), x, expanded, expanded, s.kernel, stride, expanded, true)
				j++
				se := fmt.Sprintf("%s.%d", p, j)
				squeeze := in / 4
				if squeeze < 1 {
					squeeze = 1
				}
				scale := b.unary(OpGlobalAvgPool, se+".avgpool", x)
				scale = b.conv(se+".fc1", scale, expanded, squeeze, 1, 1, 1, true)
				scale = b.unary(OpSiLU, se+".activation", scale)
				scale = b.conv(se+".fc2", scale, squeeze, expanded, 1, 1, 1, true)
				scale = b.unary(OpSigmoid, se+".scale_activation", scale)
				x = b.binary(OpMul, se+".mul", x, scale)
				j++
				x = convBNAct(fmt.Sprintf("%s.%d", p, j), x, expanded, out, 1, 1, 1, false)
			}
			if stride == 1 && in == out {
				x = b.add(Node{Op: OpStochasticDepth, Name: fmt.Sprintf("features.%d.%d.stochastic_depth", si+1, i), Inputs: []Value{x}, P: sd})
				x = b.binary(OpAdd, fmt.Sprintf("features.%d.%d.add", si+1, i), x, input)
			}
		}
	}
	lastIn := adjust(stages[len(stages)-1].out)
	lastOut := 4 * lastIn
	if lastChannel > 0 {
		lastOut = makeDivisible(float64(lastChannel) * cfg.WidthMult)
	}
	x = convBNAct(fmt.Sprintf("features.%d", len(stages)+1), x, lastIn, lastOut, 1, 1, 1, true)
	x = b.unary(OpGlobalAvgPool, "avgpool", x)
	x = b.unary(OpFlatten, "flatten", x)
	return b.finish(x, lastOut)
}
