package augment

import (
	"fmt"
	"strconv"
	"strings"
)

// Recipe changes parts of SPEC §6's views; its zero value is the specification. It lets a run
// adapt the views to small images (e.g. gentler crops and blur for 28-pixel grey images)
// while the specification's views stay the default.
type Recipe struct {
	// GlobalScale and LocalScale are RandomResizedCrop's area ranges (zero: 0.1–1 and 0.05–1).
	GlobalScale [2]float64 `json:",omitempty"`
	LocalScale  [2]float64 `json:",omitempty"`
	// LocalSize is the local views' side (0: int(s·3/7)).
	LocalSize int `json:",omitempty"`
	// BlurP is the Gaussian blur probability of every view (nil: 1, always).
	BlurP *float64 `json:",omitempty"`
	// SolarizeP is the global views' solarize probability (nil: 0.2; local views never solarize).
	SolarizeP *float64 `json:",omitempty"`
	// Jitter scales ColorJitter's four strengths (nil: 1, i.e. 0.8, 0.8, 0.8, 0.2).
	Jitter *float64 `json:",omitempty"`
}

// IsZero reports whether r is the specification's views.
func (r Recipe) IsZero() bool {
	return r.GlobalScale == [2]float64{} && r.LocalScale == [2]float64{} && r.LocalSize == 0 &&
		r.BlurP == nil && r.SolarizeP == nil && r.Jitter == nil
}

// String lists the settings that differ from the specification ("spec" when none do).
func (r Recipe) String() string {
	var parts []string
	if r.GlobalScale != [2]float64{} {
		parts = append(parts, "global-crop-scale "+FormatRange(r.GlobalScale))
	}
	if r.LocalScale != [2]float64{} {
		parts = append(parts, "local-crop-scale "+FormatRange(r.LocalScale))
	}
	if r.LocalSize != 0 {
		parts = append(parts, fmt.Sprintf("local-size %d", r.LocalSize))
	}
	for _, p := range []struct {
		name string
		v    *float64
	}{{"blur-prob", r.BlurP}, {"solarize-prob", r.SolarizeP}, {"jitter-strength", r.Jitter}} {
		if p.v != nil {
			parts = append(parts, fmt.Sprintf("%s %g", p.name, *p.v))
		}
	}
	if len(parts) == 0 {
		return "spec"
	}
	return strings.Join(parts, ", ")
}

// Validate checks every set field.
func (r Recipe) Validate() error {
	for _, s := range []struct {
		name string
		v    [2]float64
	}{{"global crop scale", r.GlobalScale}, {"local crop scale", r.LocalScale}} {
		if s.v != [2]float64{} && !(0 < s.v[0] && s.v[0] <= s.v[1] && s.v[1] <= 1) {
			return fmt.Errorf("augment: %s %s, want 0 < min ≤ max ≤ 1", s.name, FormatRange(s.v))
		}
	}
	if r.LocalSize < 0 {
		return fmt.Errorf("augment: local size %d, want ≥ 1 (0: int(s·3/7))", r.LocalSize)
	}
	for _, p := range []struct {
		name string
		v    *float64
	}{{"blur probability", r.BlurP}, {"solarize probability", r.SolarizeP}} {
		if p.v != nil && !(*p.v >= 0 && *p.v <= 1) {
			return fmt.Errorf("augment: %s %v, want 0..1", p.name, *p.v)
		}
	}
	if r.Jitter != nil && !(*r.Jitter >= 0 && *r.Jitter <= 2.5) {
		return fmt.Errorf("augment: jitter strength %v, want 0..2.5 (hue 0.2·strength must stay ≤ 0.5)", *r.Jitter)
	}
	return nil
}

// LocalSide returns the local views' side for global size s.
func (r Recipe) LocalSide(s int) int {
	if r.LocalSize > 0 {
		return r.LocalSize
	}
	return s * 3 / 7
}

// apply changes v, a global (local false) or local view of global size s, as r says.
func (r Recipe) apply(v *ViewConfig, s int, local bool) {
	scale := r.GlobalScale
	if local {
		scale = r.LocalScale
		v.Size = r.LocalSide(s)
	}
	if scale != [2]float64{} {
		v.Scale = scale
	}
	if r.BlurP != nil {
		v.BlurP = *r.BlurP
	}
	if r.SolarizeP != nil && !local {
		v.SolarizeP = *r.SolarizeP
	}
	if r.Jitter != nil {
		k := *r.Jitter
		v.Brightness, v.Contrast, v.Saturation, v.Hue = 0.8*k, 0.8*k, 0.8*k, 0.2*k
	}
}

// ParseRange reads "lo,hi" (e.g. "0.2,1") as a crop-scale range.
func ParseRange(s string) ([2]float64, error) {
	lo, hi, ok := strings.Cut(s, ",")
	if !ok {
		return [2]float64{}, fmt.Errorf("range %q: want lo,hi (e.g. 0.2,1)", s)
	}
	a, err := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	if err != nil {
		return [2]float64{}, fmt.Errorf("range %q: %w", s, err)
	}
	b, err := strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if err != nil {
		return [2]float64{}, fmt.Errorf("range %q: %w", s, err)
	}
	return [2]float64{a, b}, nil
}

// FormatRange writes a range as ParseRange reads it.
func FormatRange(v [2]float64) string { return fmt.Sprintf("%g,%g", v[0], v[1]) }
