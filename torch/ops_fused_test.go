//go:build !notorch

package torch_test

import (
	"math"
	"testing"

	"github.com/scl-dev/scl/torch"
)

// adamRef32 is the fused Adam kernel's documented order of float32 operations, written in Go:
// every operation rounds to float32 (Go does not fuse float32 multiply-adds on amd64), and a
// float32 square root is correctly rounded either way, so kernel and reference agree bit for bit.
func adamRef32(p, g, m, v []float32, wd float32, u torch.AdamUpdate) {
	keep := float32(1 - u.LR*float64(wd))
	b1, omb1 := float32(u.Beta1), float32(1-u.Beta1)
	b2, omb2 := float32(u.Beta2), float32(1-u.Beta2)
	bc2, eps, neg := float32(u.BC2Sqrt), float32(u.Eps), float32(-u.StepSize)
	for i := range p {
		gi := g[i]
		switch {
		case wd != 0 && u.Decoupled:
			p[i] = p[i] * keep
		case wd != 0:
			gi = gi + float32(wd*p[i])
		}
		m[i] = float32(m[i] * b1)
		m[i] = m[i] + float32(omb1*gi)
		v[i] = float32(v[i] * b2)
		v[i] = v[i] + float32(float32(omb2*gi)*gi)
		d := float32(math.Sqrt(float64(v[i])))
		d = float32(d / bc2)
		d = d + eps
		p[i] = p[i] + float32(float32(neg*m[i])/d)
	}
}

func f32s(g *lcg, n int, lo, hi float64) []float32 {
	out := make([]float32, n)
	for i, x := range g.uniform(n, lo, hi) {
		out[i] = float32(x)
	}
	return out
}

func values32(t *testing.T, x *torch.Tensor) []float32 {
	t.Helper()
	v, err := x.Float32s()
	if err != nil {
		t.Fatalf("Float32s: %v", err)
	}
	return v
}

// TestFusedAdamMatchesReferenceBitForBit runs three steps on parameters of several sizes (laid
// end to end they are split across libtorch's threads inside the third, so a thread's share
// starts and ends mid-tensor; some leave a remainder after the kernel's four-lane blocks),
// with and without weight decay, coupled and decoupled, against adamRef32.
func TestFusedAdamMatchesReferenceBitForBit(t *testing.T) {
	checkLive(t)
	sizes := []int{40003, 37, 70001, 1}
	wds := []float32{1e-2, 0, 5e-2, 1e-3}
	for _, decoupled := range []bool{false, true} {
		gen := lcg(7)
		s := torch.NewScope()
		var ps, ms, vs []*torch.Tensor
		var rp, rm, rv [][]float32
		for _, n := range sizes {
			p := f32s(&gen, n, -1, 1)
			rp = append(rp, append([]float32(nil), p...))
			rm = append(rm, make([]float32, n))
			rv = append(rv, make([]float32, n))
			ps = append(ps, s.FromFloat32s(p))
			ms = append(ms, s.FromFloat32s(make([]float32, n)))
			vs = append(vs, s.FromFloat32s(make([]float32, n)))
		}
		wd64 := make([]float64, len(wds))
		for k, wd := range wds {
			wd64[k] = float64(wd)
		}
		for step := 1; step <= 3; step++ {
			var gs []*torch.Tensor
			var rg [][]float32
			for _, n := range sizes {
				g := f32s(&gen, n, -0.5, 0.5)
				rg = append(rg, g)
				gs = append(gs, s.FromFloat32s(g))
			}
			u := torch.AdamUpdate{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Decoupled: decoupled,
				StepSize: 1e-3 / (1 - math.Pow(0.9, float64(step))), BC2Sqrt: math.Sqrt(1 - math.Pow(0.999, float64(step)))}
			// The reference's weight decays are the float32 values the kernel receives as double.
			if !s.FusedAdam(ps, gs, ms, vs, wd64, u) {
				t.Fatalf("decoupled %v step %d: FusedAdam declined contiguous float32 CPU tensors (err %v)", decoupled, step, s.Err())
			}
			for k := range sizes {
				adamRef32(rp[k], rg[k], rm[k], rv[k], wds[k], u)
				for name, pair := range map[string][2][]float32{
					"param": {values32(t, ps[k]), rp[k]}, "exp_avg": {values32(t, ms[k]), rm[k]}, "exp_avg_sq": {values32(t, vs[k]), rv[k]}} {
					for i := range pair[0] {
						if pair[0][i] != pair[1][i] {
							t.Fatalf("decoupled %v step %d size %d %s[%d]: kernel %v, reference %v", decoupled, step, sizes[k], name, i, pair[0][i], pair[1][i])
						}
					}
				}
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFusedUpdatesChannelsLastParameters: convolution weights stored channels-last (with
// gradients and moments in the same layout) take the fused kernels too, element by element as
// the reference computes them in logical order.
func TestFusedUpdatesChannelsLastParameters(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	gen := lcg(11)
	shape := []int64{6, 5, 3, 3}
	n := 6 * 5 * 3 * 3
	p0, g0 := f32s(&gen, n, -1, 1), f32s(&gen, n, -0.5, 0.5)
	p := s.ChannelsLast(s.FromFloat32s(p0, shape...))
	g := s.ChannelsLast(s.FromFloat32s(g0, shape...))
	m, v := s.ZerosLike(p), s.ZerosLike(p)
	// Channels-last strides of [6, 5, 3, 3]: C is innermost.
	for name, x := range map[string]*torch.Tensor{"param": p, "grad": g, "exp_avg": m} {
		if st := x.Strides(); st[1] != 1 || st[0] != 45 {
			t.Fatalf("%s strides %v: not channels-last", name, st)
		}
	}
	u := torch.AdamUpdate{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, StepSize: 1e-3 / 0.1, BC2Sqrt: math.Sqrt(1 - 0.999)}
	if !s.FusedAdam([]*torch.Tensor{p}, []*torch.Tensor{g}, []*torch.Tensor{m}, []*torch.Tensor{v}, []float64{0.01}, u) {
		t.Fatalf("FusedAdam declined channels-last tensors (err %v)", s.Err())
	}
	rp, rm, rv := append([]float32(nil), p0...), make([]float32, n), make([]float32, n)
	adamRef32(rp, g0, rm, rv, 0.01, u)
	for name, pair := range map[string][2][]float32{"param": {values32(t, p), rp}, "exp_avg": {values32(t, m), rm}, "exp_avg_sq": {values32(t, v), rv}} {
		for i := range pair[1] {
			if pair[0][i] != pair[1][i] {
				t.Fatalf("%s[%d]: kernel %v, reference %v", name, i, pair[0][i], pair[1][i])
			}
		}
	}
	// The EMA: target channels-last, source channels-last.
	target := s.ChannelsLast(s.FromFloat32s(p0, shape...))
	if !s.FusedLerp([]*torch.Tensor{target}, []*torch.Tensor{g}, 0.5) {
		t.Fatalf("FusedLerp declined channels-last tensors (err %v)", s.Err())
	}
	got := values32(t, target)
	for i := range got {
		if want := p0[i]*0.5 + 0.5*g0[i]; math.Abs(float64(got[i]-want)) > 1e-6 {
			t.Fatalf("lerp[%d]: %v, want %v", i, got[i], want)
		}
	}
}

// TestFusedLerpMatchesForeach compares the fused EMA with the two multi-tensor ops it replaces,
// for float32 and float64 tensors.
func TestFusedLerpMatchesForeach(t *testing.T) {
	checkLive(t)
	for _, dt := range []torch.DType{torch.Float32, torch.Float64} {
		s := torch.NewScope()
		gen := lcg(3)
		var ts, os, want []*torch.Tensor
		for _, n := range []int{30001, 5, 70001} {
			a := s.To(s.FromFloat64s(gen.uniform(n, -2, 2)), dt)
			b := s.To(s.FromFloat64s(gen.uniform(n, -2, 2)), dt)
			ts = append(ts, a)
			os = append(os, b)
			want = append(want, s.Clone(a))
		}
		const beta = 0.996
		s.ForeachMulScalarInPlace(want, beta)
		s.ForeachAddInPlace(want, os, 1-beta)
		if !s.FusedLerp(ts, os, beta) {
			t.Fatalf("%v: FusedLerp declined (err %v)", dt, s.Err())
		}
		for k := range ts {
			// ATen's add may use a fused multiply-add: one rounding apart at most.
			closeTo(t, dt.String(), values64(t, s.To(ts[k], torch.Float64)), values64(t, s.To(want[k], torch.Float64)), 2e-7)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFusedDeclinesWithoutWriting: tensors the kernels do not handle leave everything as it was
// and report false, so that the caller can use the multi-tensor ops.
func TestFusedDeclinesWithoutWriting(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	base := func() *torch.Tensor { return s.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 2, 3) }
	u := torch.AdamUpdate{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, StepSize: 1, BC2Sqrt: 1}
	cases := []struct {
		name string
		ps   []*torch.Tensor // the first is checked for changes
		gs   []*torch.Tensor
	}{
		{"bf16 parameter", []*torch.Tensor{s.To(base(), torch.BFloat16)}, []*torch.Tensor{s.To(base(), torch.BFloat16)}},
		{"channels-last parameter, contiguous gradient", []*torch.Tensor{s.ChannelsLast(s.FromFloat32s(make([]float32, 24), 1, 2, 3, 4))},
			[]*torch.Tensor{s.FromFloat32s(make([]float32, 24), 1, 2, 3, 4)}},
		{"strided gradient", []*torch.Tensor{base()}, []*torch.Tensor{s.Transpose(s.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 3, 2), 0, 1)}},
		{"dtype mismatch", []*torch.Tensor{base(), s.To(base(), torch.Float64)}, []*torch.Tensor{base(), base()}},
		{"size mismatch", []*torch.Tensor{base()}, []*torch.Tensor{s.FromFloat32s([]float32{1, 2, 3})}},
	}
	for _, c := range cases {
		before := values64(t, s.To(c.ps[0], torch.Float64))
		ms := make([]*torch.Tensor, len(c.ps))
		vs := make([]*torch.Tensor, len(c.ps))
		wds := make([]float64, len(c.ps))
		for i, p := range c.ps {
			ms[i], vs[i] = s.ZerosLike(p), s.ZerosLike(p)
		}
		if s.FusedAdam(c.ps, c.gs, ms, vs, wds, u) {
			t.Errorf("%s: FusedAdam accepted it", c.name)
		}
		if s.FusedLerp(c.ps, c.gs, 0.5) {
			t.Errorf("%s: FusedLerp accepted it", c.name)
		}
		closeTo(t, c.name, values64(t, s.To(c.ps[0], torch.Float64)), before, 0)
		if err := s.Err(); err != nil {
			t.Fatalf("%s: declining must not fail the scope: %v", c.name, err)
		}
	}
	x := base()
	if s.FusedLerp([]*torch.Tensor{x}, []*torch.Tensor{x}, 0.5) {
		t.Error("FusedLerp accepted a target that is its own source")
	}
}
