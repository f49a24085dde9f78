package infer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/scl-dev/scl/preprocess"
)

// Metadata keys read from the model's metadata_props (written by scl export; package
// preprocess owns them).
const (
	MetaImageSize    = preprocess.MetaImageSize    // "224" (square) or "H,W"
	MetaMean         = preprocess.MetaMean         // per-channel mean of [0,1] pixels
	MetaStd          = preprocess.MetaStd          // per-channel standard deviation
	MetaChannelOrder = preprocess.MetaChannelOrder // "RGB" (default), "BGR" or "L" (grey)
	MetaFeatureDim   = preprocess.MetaFeatureDim   // D, checked against the output shape when present
)

// Preprocess turns an 8-bit image into the model's float32 CHW input: the project's one
// preprocessing spec (see package preprocess), resizing with PIL's antialiased bilinear filter
// as training-side evaluation does.
type Preprocess = preprocess.Spec

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
	p, err := preprocess.FromMetadata(meta, shape[0])
	if err != nil {
		return Preprocess{}, fmt.Errorf("infer: model %s: %w", s.Path(), err)
	}
	if p.Height == 0 {
		p.Height, p.Width = shape[1], shape[2]
	} else if (shape[1] > 0 && p.Height != shape[1]) || (shape[2] > 0 && p.Width != shape[2]) {
		return Preprocess{}, fmt.Errorf("infer: model %s metadata %s=%q disagrees with its input shape %v", s.Path(), MetaImageSize, meta[MetaImageSize], shape)
	}
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
	if p.Height <= 0 || p.Width <= 0 {
		return Preprocess{}, fmt.Errorf("infer: image size unknown (%d×%d): the model's input is dynamic and has no %s metadata; pass an image size", p.Height, p.Width, MetaImageSize)
	}
	if p, err = p.WithDefaults(); err != nil {
		return Preprocess{}, fmt.Errorf("infer: model %s: %w", s.Path(), err)
	}
	return p, nil
}
