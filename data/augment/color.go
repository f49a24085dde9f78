package augment

import "math"

// The colour operations below follow torchvision's tensor definitions (transforms.functional_tensor)
// on float images with values in [0, 1]; every result is clamped to [0, 1]. r, g, b are the
// three planes of one image.

// Brightness multiplies by f: x ← clamp(f·x).
func Brightness(planes [][]float32, f float32) {
	for _, p := range planes {
		for i, v := range p {
			p[i] = clamp01(v * f)
		}
	}
}

// Contrast blends with the mean grey level m of the image: x ← clamp(f·x + (1−f)·m), where m
// is the mean of 0.299·r + 0.587·g + 0.114·b (of the single plane for grey images).
func Contrast(planes [][]float32, f float32) {
	var sum float64
	if len(planes) == 3 {
		r, g, b := planes[0], planes[1], planes[2][:len(planes[0])]
		g = g[:len(r)]
		for i := range r {
			sum += float64(0.299*r[i] + 0.587*g[i] + 0.114*b[i])
		}
	} else {
		for _, v := range planes[0] {
			sum += float64(v)
		}
	}
	m := float32(sum/float64(len(planes[0]))) * (1 - f)
	for _, p := range planes {
		for i, v := range p {
			p[i] = clamp01(f*v + m)
		}
	}
}

// Saturation blends each pixel with its grey level: x ← clamp(f·x + (1−f)·grey(x)). Grey
// images are unchanged.
func Saturation(planes [][]float32, f float32) {
	if len(planes) != 3 {
		return
	}
	r, g, b := planes[0], planes[1][:len(planes[0])], planes[2][:len(planes[0])]
	k := 1 - f
	for i := range r {
		l := k * (0.299*r[i] + 0.587*g[i] + 0.114*b[i])
		r[i] = clamp01(f*r[i] + l)
		g[i] = clamp01(f*g[i] + l)
		b[i] = clamp01(f*b[i] + l)
	}
}

// Grayscale replaces r, g and b by 0.299·r + 0.587·g + 0.114·b (written to r; callers treat the
// image as one plane from then on).
func Grayscale(r, g, b []float32) {
	g, b = g[:len(r)], b[:len(r)]
	for i := range r {
		r[i] = 0.299*r[i] + 0.587*g[i] + 0.114*b[i]
	}
}

// Hue rotates the hue of every pixel by h ∈ [−0.5, 0.5] turns in HSV space: RGB → HSV,
// H ← (H + h) mod 1, HSV → RGB (torchvision's adjust_hue). Grey images are unchanged.
//
// The round trip is fused: with V = max, m = min and C = V − m, HSV → RGB only needs
// p = V(1−S) = m, q = V(1−S·f) = V − C·f and t = V(1−S(1−f)) = m + C·f, so no division by V is
// needed and the results stay in [0, 1] without clamping (equal to the two-step form up to
// float rounding).
func Hue(planes [][]float32, h float32) {
	if len(planes) != 3 {
		return
	}
	r, g, b := planes[0], planes[1][:len(planes[0])], planes[2][:len(planes[0])]
	for i := range r {
		ri, gi, bi := r[i], g[i], b[i]
		maxc := max(ri, gi, bi)
		minc := min(ri, gi, bi)
		cr := maxc - minc
		if cr == 0 {
			continue
		}
		inv := 1 / cr
		var hh float32
		switch {
		case maxc == ri:
			hh = (gi - bi) * inv // bc − gc
		case maxc == gi:
			hh = 2 + (bi-ri)*inv // 2 + rc − bc
		default:
			hh = 4 + (ri-gi)*inv // 4 + gc − rc
		}
		hh = hh/6 + h
		for hh < 0 {
			hh++
		}
		for hh >= 1 {
			hh--
		}
		h6 := hh * 6
		sector := int(h6)
		f := h6 - float32(sector)
		cf := cr * f
		switch sector {
		case 0:
			r[i], g[i], b[i] = maxc, minc+cf, minc
		case 1:
			r[i], g[i], b[i] = maxc-cf, maxc, minc
		case 2:
			r[i], g[i], b[i] = minc, maxc, minc+cf
		case 3:
			r[i], g[i], b[i] = minc, maxc-cf, maxc
		case 4:
			r[i], g[i], b[i] = minc+cf, minc, maxc
		default: // 5, or 6 when h6 rounds up to 6: the end of sector 5 (f = 1)
			if sector > 5 {
				cf = cr
			}
			r[i], g[i], b[i] = maxc, minc, maxc-cf
		}
	}
}

// RGBToHSV converts one pixel, all values in [0, 1], as torchvision's _rgb2hsv: H in [0, 1),
// S = (max−min)/max (0 for black), V = max.
func RGBToHSV(r, g, b float32) (h, s, v float32) {
	maxc := max(r, g, b)
	minc := min(r, g, b)
	cr := maxc - minc
	if cr == 0 {
		return 0, 0, maxc
	}
	s = cr / maxc
	inv := 1 / cr
	rc := (maxc - r) * inv
	gc := (maxc - g) * inv
	bc := (maxc - b) * inv
	switch {
	case maxc == r:
		h = bc - gc
	case maxc == g:
		h = 2 + rc - bc
	default:
		h = 4 + gc - rc
	}
	h = h/6 + 1
	h -= float32(int(h))
	return h, s, maxc
}

// HSVToRGB converts one pixel back, as torchvision's _hsv2rgb.
func HSVToRGB(h, s, v float32) (r, g, b float32) {
	h6 := h * 6
	fi := float32(math.Floor(float64(h6)))
	f := h6 - fi
	i := int(fi) % 6
	if i < 0 {
		i += 6
	}
	p := clamp01(v * (1 - s))
	q := clamp01(v * (1 - s*f))
	t := clamp01(v * (1 - s*(1-f)))
	switch i {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	}
	return v, p, q
}

// Solarize inverts values at or above the threshold: x ← 1 − x when x ≥ t.
func Solarize(planes [][]float32, t float32) {
	for _, p := range planes {
		for i, v := range p {
			if v >= t {
				p[i] = 1 - v
			}
		}
	}
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }
