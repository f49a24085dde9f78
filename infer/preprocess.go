package infer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
)

// Metadata keys read from the model's metadata_props (written by scl export).
const (
	MetaImageSize    = "image_size"    // "224" (square) or "H,W"
	MetaMean         = "mean"          // per-channel mean of [0,1] pixels: "0.485,0.456,0.406" or a JSON list
	MetaStd          = "std"           // per-channel standard deviation, same format
	MetaChannelOrder = "channel_order" // "RGB" (default), "BGR" or "L" (grey)
	MetaFeatureDim   = "feature_dim"   // D, checked against the output shape when present
)

// Preprocess turns an 8-bit image into the model's float32 CHW input:
//
//	x[c, y, x] = (pixel(c, y, x) / 255 − Mean[c]) / Std[c]
//
// after converting the channels (grey ↔ RGB, see data.Image.ToChannels), swapping to BGR when
// Order is "BGR", and resizing to Height×Width when the image has another size. Square sizes
// resize with the data package's inference transform (augment.Inference: PIL's antialiased
// bilinear filter, as the reference's torchvision Resize, SPEC §6), so scl embed and scl serve
// see what training-side evaluation sees; other sizes use plain bilinear interpolation
// (half-pixel centres, like torch.nn.functional.interpolate(align_corners=False)).
// A Preprocess is a value: safe for concurrent use.
type Preprocess struct {
	Height   int       `json:"height"`
	Width    int       `json:"width"`
	Channels int       `json:"channels"`      // 1 or 3, from the model's input
	Mean     []float32 `json:"mean"`          // one value per channel
	Std      []float32 `json:"std"`           // one value per channel
	Order    string    `json:"channel_order"` // "RGB" or "BGR" for 3 channels, "L" for grey
}

// Overrides are user settings that replace the model's metadata; zero fields keep it.
type Overrides struct {
	ImageSize int       // square side; 0 keeps the metadata (or the model's input shape)
	Mean, Std []float32 // nil keeps the metadata
	Order     string    // "" keeps the metadata
}

// PreprocessFor returns the preprocessing of a session: its input shape, then the model's
// metadata_props, then the overrides. Missing mean/std default to 0 and 1 (pixels in [0,1]).
func PreprocessFor(s *Session, o Overrides) (Preprocess, error) {
	shape := s.InputShape()
	meta := s.Metadata()
	p := Preprocess{Channels: shape[0], Height: shape[1], Width: shape[2]}
	if v, ok := meta[MetaImageSize]; ok {
		h, w, err := parseSize(v)
		if err != nil {
			return Preprocess{}, fmt.Errorf("infer: model %s metadata %s=%q: %w", s.Path(), MetaImageSize, v, err)
		}
		if (p.Height > 0 && h != p.Height) || (p.Width > 0 && w != p.Width) {
			return Preprocess{}, fmt.Errorf("infer: model %s metadata %s=%q disagrees with its input shape %v", s.Path(), MetaImageSize, v, shape)
		}
		p.Height, p.Width = h, w
	}
	for _, f := range []struct {
		key string
		dst *[]float32
	}{{MetaMean, &p.Mean}, {MetaStd, &p.Std}} {
		if v, ok := meta[f.key]; ok {
			xs, err := parseFloats(v)
			if err != nil {
				return Preprocess{}, fmt.Errorf("infer: model %s metadata %s=%q: %w", s.Path(), f.key, v, err)
			}
			*f.dst = xs
		}
	}
	p.Order = strings.ToUpper(meta[MetaChannelOrder])
	if v, ok := meta[MetaFeatureDim]; ok {
		if d, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || d != s.Dim() {
			return Preprocess{}, fmt.Errorf("infer: model %s metadata %s=%q, want %d (the output's dimension)", s.Path(), MetaFeatureDim, v, s.Dim())
		}
	}
	if o.ImageSize > 0 {
		if (shape[1] > 0 && shape[1] != o.ImageSize) || (shape[2] > 0 && shape[2] != o.ImageSize) {
			return Preprocess{}, fmt.Errorf("infer: image size %d: the model's input is fixed at %d×%d", o.ImageSize, shape[1], shape[2])
		}
		p.Height, p.Width = o.ImageSize, o.ImageSize
	}
	if o.Mean != nil {
		p.Mean = o.Mean
	}
	if o.Std != nil {
		p.Std = o.Std
	}
	if o.Order != "" {
		p.Order = strings.ToUpper(o.Order)
	}
	return p.withDefaults()
}

func (p Preprocess) withDefaults() (Preprocess, error) {
	if p.Height <= 0 || p.Width <= 0 {
		return Preprocess{}, fmt.Errorf("infer: image size unknown (%d×%d): the model's input is dynamic and has no %s metadata; pass an image size", p.Height, p.Width, MetaImageSize)
	}
	if p.Channels != 1 && p.Channels != 3 {
		return Preprocess{}, fmt.Errorf("infer: model input has %d channels, want 1 or 3", p.Channels)
	}
	if p.Mean == nil {
		p.Mean = make([]float32, p.Channels)
	}
	if p.Std == nil {
		p.Std = make([]float32, p.Channels)
		for i := range p.Std {
			p.Std[i] = 1
		}
	}
	// A single value applies to every channel.
	if len(p.Mean) == 1 && p.Channels == 3 {
		p.Mean = []float32{p.Mean[0], p.Mean[0], p.Mean[0]}
	}
	if len(p.Std) == 1 && p.Channels == 3 {
		p.Std = []float32{p.Std[0], p.Std[0], p.Std[0]}
	}
	if len(p.Mean) != p.Channels || len(p.Std) != p.Channels {
		return Preprocess{}, fmt.Errorf("infer: mean %v and std %v: want %d values each (the model's channels)", p.Mean, p.Std, p.Channels)
	}
	for _, s := range p.Std {
		if !(s > 0) {
			return Preprocess{}, fmt.Errorf("infer: std %v: want every value > 0", p.Std)
		}
	}
	switch {
	case p.Order == "" && p.Channels == 3:
		p.Order = "RGB"
	case p.Order == "" || p.Order == "GREY" || p.Order == "GRAY":
		p.Order = "L"
	}
	if (p.Channels == 3 && p.Order != "RGB" && p.Order != "BGR") || (p.Channels == 1 && p.Order != "L") {
		return Preprocess{}, fmt.Errorf("infer: channel order %q for %d channels: want RGB or BGR for 3, L for 1", p.Order, p.Channels)
	}
	return p, nil
}

// Size returns the number of float32 values of one preprocessed image (C·H·W).
func (p Preprocess) Size() int { return p.Channels * p.Height * p.Width }

// ImageTo writes the preprocessed image into dst, which must hold Size() values.
func (p Preprocess) ImageTo(dst []float32, img data.Image) error {
	if len(dst) != p.Size() {
		return fmt.Errorf("infer: preprocess destination has %d values, want %d", len(dst), p.Size())
	}
	if !img.Valid() || img.W <= 0 || img.H <= 0 {
		return fmt.Errorf("infer: invalid image %d×%d×%d with %d bytes", img.W, img.H, img.C, len(img.Pix))
	}
	img, err := img.ToChannels(p.Channels)
	if err != nil {
		return fmt.Errorf("infer: preprocess: %w", err)
	}
	C, H, W := p.Channels, p.Height, p.Width
	var scale, shift [3]float32
	for c := 0; c < C; c++ {
		src := c
		if p.Order == "BGR" {
			src = 2 - c
		}
		// (v/255 − mean)/std = v·scale + shift, indexed by the source channel.
		scale[src] = 1 / (255 * p.Std[c])
		shift[src] = -p.Mean[c] / p.Std[c]
	}
	dstOf := func(src int) int {
		if p.Order == "BGR" {
			return 2 - src
		}
		return src
	}
	if img.W == W && img.H == H {
		for y := 0; y < H; y++ {
			row := img.Pix[y*W*C : (y+1)*W*C]
			for x := 0; x < W; x++ {
				for c := 0; c < C; c++ {
					dst[(dstOf(c)*H+y)*W+x] = float32(row[x*C+c])*scale[c] + shift[c]
				}
			}
		}
		return nil
	}
	if H == W {
		return p.resizeSquareTo(dst, img)
	}
	// Bilinear resize, sampling the source at ((x+0.5)·sw/W − 0.5), clamped at the borders.
	sx := float32(img.W) / float32(W)
	sy := float32(img.H) / float32(H)
	for y := 0; y < H; y++ {
		y0, y1, fy := sample(y, sy, img.H)
		for x := 0; x < W; x++ {
			x0, x1, fx := sample(x, sx, img.W)
			for c := 0; c < C; c++ {
				a := float32(img.Pix[(y0*img.W+x0)*C+c])
				b := float32(img.Pix[(y0*img.W+x1)*C+c])
				d := float32(img.Pix[(y1*img.W+x0)*C+c])
				e := float32(img.Pix[(y1*img.W+x1)*C+c])
				top := a + (b-a)*fx
				bot := d + (e-d)*fx
				v := top + (bot-top)*fy
				dst[(dstOf(c)*H+y)*W+x] = v*scale[c] + shift[c]
			}
		}
	}
	return nil
}

// resizeSquareTo applies augment.Inference (in RGB order; BGR swaps the outer planes after).
func (p Preprocess) resizeSquareTo(dst []float32, img data.Image) error {
	t := augment.Inference{Size: p.Height, Channels: p.Channels}
	for c := 0; c < p.Channels; c++ {
		src := c
		if p.Order == "BGR" {
			src = 2 - c
		}
		t.Mean[c], t.Std[c] = p.Mean[src], p.Std[src]
	}
	if err := t.ApplyTo(img, dst); err != nil {
		return fmt.Errorf("infer: preprocess: %w", err)
	}
	if p.Order == "BGR" {
		n := p.Height * p.Width
		r, b := dst[:n], dst[2*n:3*n]
		for i := range r {
			r[i], b[i] = b[i], r[i]
		}
	}
	return nil
}

func sample(i int, scale float32, n int) (lo, hi int, frac float32) {
	s := (float32(i)+0.5)*scale - 0.5
	if s < 0 {
		s = 0
	}
	lo = int(s)
	if lo > n-1 {
		lo = n - 1
	}
	hi = lo + 1
	if hi > n-1 {
		hi = n - 1
	}
	return lo, hi, s - float32(lo)
}

func parseSize(v string) (h, w int, err error) {
	v = strings.Trim(strings.TrimSpace(v), "[]()")
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == 'x' || r == '×' || r == ' ' })
	var n []int
	for _, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x <= 0 {
			return 0, 0, fmt.Errorf("want a positive size like 224 or 224,224")
		}
		n = append(n, x)
	}
	switch len(n) {
	case 1:
		return n[0], n[0], nil
	case 2:
		return n[0], n[1], nil
	}
	return 0, 0, fmt.Errorf("want a positive size like 224 or 224,224")
}

// parseFloats reads "0.1,0.2,0.3", "0.1 0.2 0.3" or a JSON list.
func parseFloats(v string) ([]float32, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "[") {
		var xs []float64
		if err := json.Unmarshal([]byte(v), &xs); err != nil {
			return nil, fmt.Errorf("want a list of numbers: %v", err)
		}
		out := make([]float32, len(xs))
		for i, x := range xs {
			out[i] = float32(x)
		}
		return out, nil
	}
	var out []float32
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		x, err := strconv.ParseFloat(p, 32)
		if err != nil {
			return nil, fmt.Errorf("want numbers separated by commas, got %q", p)
		}
		out = append(out, float32(x))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("want at least one number")
	}
	return out, nil
}

// ParseFloats reads a comma-separated list of numbers such as a --mean flag.
func ParseFloats(v string) ([]float32, error) {
	xs, err := parseFloats(v)
	if err != nil {
		return nil, fmt.Errorf("infer: %q: %w", v, err)
	}
	return xs, nil
}
