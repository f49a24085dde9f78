package augment

import "math"

// BlurKernelSize is the Gaussian blur kernel of SPEC §6 for view size s: int(0.1·s) rounded up
// to the next odd number (28 → 3, 32 → 3, 64 → 7, 96 → 9, 192 → 19).
func BlurKernelSize(s int) int {
	k := int(0.1 * float64(s))
	if k%2 == 0 {
		k++
	}
	return k
}

// GaussianKernel1D fills w (odd length k) with torchvision's 1-D Gaussian kernel: samples of
// exp(−x²/(2σ²)) at x = −(k−1)/2 … (k−1)/2, normalised to sum 1.
func GaussianKernel1D(w []float32, sigma float64) {
	k := len(w)
	half := float64(k-1) / 2
	var sum float64
	var buf [64]float64
	tmp := buf[:0]
	if k > len(buf) {
		tmp = make([]float64, k)
	}
	tmp = tmp[:k]
	for i := range k {
		x := -half + float64(i)
		tmp[i] = math.Exp(-0.5 * (x / sigma) * (x / sigma))
		sum += tmp[i]
	}
	for i := range k {
		w[i] = float32(tmp[i] / sum)
	}
}

// reflect maps an index outside [0, n) into it by mirroring without repeating the edge
// (torch's "reflect" padding: −1 → 1, n → n−2), periodically for indices far outside.
func reflect(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i
}

// blurrer holds the buffers of a separable Gaussian blur.
type blurrer struct {
	row []float32
	tmp []float32
	idx []int
}

// negligible is the kernel mass below which outer taps are skipped: their total weight changes
// no output by more than 1e-7·max|x| (about one float32 ulp of values near 1).
const negligible = 1e-7

// halfWidth returns how many taps on each side of the centre carry weight: the outer taps of a
// symmetric kernel whose combined mass is below negligible are dropped.
func halfWidth(kernel []float32) int {
	p := len(kernel) / 2
	var mass float64
	for r := p; r > 0; r-- {
		mass += 2 * float64(kernel[p-r])
		if mass >= negligible {
			return r
		}
	}
	return 0
}

// blur convolves each w×h plane with the separable, symmetric kernel (odd length), reflect
// padding, as torchvision's gaussian_blur (a 2-D convolution with the outer product of two 1-D
// kernels). Symmetry halves the multiplications; taps of negligible weight are skipped.
func (bl *blurrer) blur(planes [][]float32, w, h int, kernel []float32) {
	p := len(kernel) / 2
	r := halfWidth(kernel)
	if r == 0 {
		// the kernel is a unit impulse to float32 precision
		return
	}
	kc := kernel[p]
	bl.row = growF(bl.row, w+2*r)
	bl.tmp = growF(bl.tmp, w*h)
	if cap(bl.idx) < h+2*r {
		bl.idx = make([]int, h+2*r)
	}
	idx := bl.idx[:h+2*r]
	for i := range idx {
		idx[i] = reflect(i-r, h)
	}
	row := bl.row
	tmp := bl.tmp
	for _, pl := range planes {
		// horizontal pass into tmp
		for y := range h {
			src := pl[y*w : (y+1)*w]
			copy(row[r:r+w], src)
			for i := range r {
				row[r-1-i] = src[reflect(-1-i, w)]
				row[r+w+i] = src[reflect(w+i, w)]
			}
			convRow(tmp[y*w:(y+1)*w], row[:w+2*r], kernel[p:p+r+1])
		}
		// vertical pass back into the plane
		for y := range h {
			dst := pl[y*w : (y+1)*w]
			line := func(j int) []float32 { q := idx[y+r+j]; return tmp[q*w : q*w+len(dst)] }
			c := line(0)
			k1 := kernel[p+1]
			a1, b1 := line(-1), line(1)
			if r == 1 {
				for x := range dst {
					dst[x] = kc*c[x] + k1*(a1[x]+b1[x])
				}
				continue
			}
			// two rows of taps per sweep over the row
			k2 := kernel[p+2]
			a2, b2 := line(-2), line(2)
			for x := range dst {
				dst[x] = kc*c[x] + k1*(a1[x]+b1[x]) + k2*(a2[x]+b2[x])
			}
			j := 3
			for ; j+1 <= r; j += 2 {
				ka, kb := kernel[p+j], kernel[p+j+1]
				a1, b1 := line(-j), line(j)
				a2, b2 := line(-j-1), line(j+1)
				for x := range dst {
					dst[x] += ka*(a1[x]+b1[x]) + kb*(a2[x]+b2[x])
				}
			}
			if j == r {
				kj := kernel[p+j]
				a1, b1 := line(-j), line(j)
				for x := range dst {
					dst[x] += kj * (a1[x] + b1[x])
				}
			}
		}
	}
}

// convRow computes dst[x] = k[0]·src[x+r] + Σ_{j=1..r} k[j]·(src[x+r−j] + src[x+r+j]) with
// r = len(k)−1 and len(src) = len(dst)+2r: one symmetric kernel half applied along a padded row.
func convRow(dst, src, k []float32) {
	r := len(k) - 1
	w := len(dst)
	src = src[:w+2*r]
	switch r {
	case 1:
		k0, k1 := k[0], k[1]
		for x := range dst {
			s := src[x : x+3 : x+3]
			dst[x] = k0*s[1] + k1*(s[0]+s[2])
		}
	case 2:
		k0, k1, k2 := k[0], k[1], k[2]
		for x := range dst {
			s := src[x : x+5 : x+5]
			dst[x] = k0*s[2] + k1*(s[1]+s[3]) + k2*(s[0]+s[4])
		}
	case 3:
		k0, k1, k2, k3 := k[0], k[1], k[2], k[3]
		for x := range dst {
			s := src[x : x+7 : x+7]
			dst[x] = k0*s[3] + k1*(s[2]+s[4]) + k2*(s[1]+s[5]) + k3*(s[0]+s[6])
		}
	case 4:
		k0, k1, k2, k3, k4 := k[0], k[1], k[2], k[3], k[4]
		for x := range dst {
			s := src[x : x+9 : x+9]
			dst[x] = k0*s[4] + k1*(s[3]+s[5]) + k2*(s[2]+s[6]) + k3*(s[1]+s[7]) + k4*(s[0]+s[8])
		}
	default:
		k0 := k[0]
		for x := range dst {
			s := src[x : x+2*r+1]
			acc := k0 * s[r]
			for j := 1; j <= r; j++ {
				acc += k[j] * (s[r-j] + s[r+j])
			}
			dst[x] = acc
		}
	}
}
