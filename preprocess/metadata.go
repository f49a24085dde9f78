package preprocess

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Keys of the preprocessing entries of an ONNX model's metadata_props (written by scl export,
// read by scl embed and scl serve).
const (
	MetaImageSize    = "image_size"    // "224" (square) or "H,W"
	MetaMean         = "mean"          // per-channel mean of [0,1] pixels: "0.485,0.456,0.406" (or a JSON list)
	MetaStd          = "std"           // per-channel standard deviation, same format
	MetaChannelOrder = "channel_order" // "RGB", "BGR" or "L" (grey)
	MetaDataset      = "dataset"       // the training data's name (informative)
)

// Metadata returns the spec's metadata entries: image_size ("S" for a square input, "H,W"
// otherwise), mean, std, channel_order and, when set, dataset.
func (s Spec) Metadata() map[string]string {
	size := strconv.Itoa(s.Height)
	if s.Square() == 0 {
		size = strconv.Itoa(s.Height) + "," + strconv.Itoa(s.Width)
	}
	m := map[string]string{
		MetaImageSize:    size,
		MetaMean:         FormatFloats(s.Mean),
		MetaStd:          FormatFloats(s.Std),
		MetaChannelOrder: s.Order,
	}
	if s.Dataset != "" {
		m[MetaDataset] = s.Dataset
	}
	return m
}

// FromMetadata reads the preprocessing entries of meta that are present (absent ones leave
// their fields zero; see WithDefaults); channels is the model's input channels. Errors name
// the key and its value.
func FromMetadata(meta map[string]string, channels int) (Spec, error) {
	s := Spec{Channels: channels}
	if v, ok := meta[MetaImageSize]; ok {
		h, w, err := ParseSize(v)
		if err != nil {
			return Spec{}, fmt.Errorf("preprocess: metadata %s=%q: %w", MetaImageSize, v, err)
		}
		s.Height, s.Width = h, w
	}
	for _, f := range []struct {
		key string
		dst *[]float32
	}{{MetaMean, &s.Mean}, {MetaStd, &s.Std}} {
		if v, ok := meta[f.key]; ok {
			xs, err := parseFloats(v)
			if err != nil {
				return Spec{}, fmt.Errorf("preprocess: metadata %s=%q: %w", f.key, v, err)
			}
			*f.dst = xs
		}
	}
	s.Order = strings.ToUpper(strings.TrimSpace(meta[MetaChannelOrder]))
	s.Dataset = meta[MetaDataset]
	return s, nil
}

// FormatFloats writes values as comma-separated shortest decimals ("0.485,0.456,0.406").
func FormatFloats(v []float32) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = strconv.FormatFloat(float64(f), 'g', -1, 32)
	}
	return strings.Join(s, ",")
}

// ParseFloats reads a list of numbers such as a --mean flag: "0.1,0.2,0.3", "0.1 0.2 0.3" or
// a JSON list.
func ParseFloats(v string) ([]float32, error) {
	xs, err := parseFloats(v)
	if err != nil {
		return nil, fmt.Errorf("preprocess: %q: %w", v, err)
	}
	return xs, nil
}

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

// ParseSize reads "224" (square) or "H,W" (also "HxW", "[H, W]").
func ParseSize(v string) (h, w int, err error) {
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

// MetaFeatureDim is the metadata key of the features' dimension D: not preprocessing, but
// written with it by scl export and checked with it by every consumer against the model's
// output shape.
const MetaFeatureDim = "feature_dim"
