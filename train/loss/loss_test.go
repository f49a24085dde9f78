//go:build !notorch

package loss

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/scl-dev/scl/torch"
)

type goldenCase struct {
	Config struct {
		Gamma                float64 `json:"gamma"`
		Alpha                float64 `json:"alpha"`
		MaxScale             float64 `json:"max_scale"`
		Filtering            bool    `json:"filtering"`
		Step                 int     `json:"step"`
		FilteringWarmupSteps int     `json:"filtering_warmup_steps"`
		FilteringThreshold   float64 `json:"filtering_threshold"`
	} `json:"config"`
	Online     [][]float64 `json:"online"`
	Target     [][]float64 `json:"target"`
	Tau        float64     `json:"tau"`
	Bias       float64     `json:"bias"`
	Loss       float64     `json:"loss"`
	KL         float64     `json:"kl"`
	GradOnline [][]float64 `json:"grad_online"`
	GradTau    float64     `json:"grad_tau"`
	GradBias   float64     `json:"grad_bias"`
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	b, err := os.ReadFile("testdata/loss_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 {
		t.Fatal("golden file has no cases")
	}
	return g.Cases
}

func flat(m [][]float64) ([]float64, []int64) {
	var out []float64
	for _, r := range m {
		out = append(out, r...)
	}
	return out, []int64{int64(len(m)), int64(len(m[0]))}
}

func (c goldenCase) lossConfig() Config {
	return Config{
		Alpha:           c.Config.Alpha,
		Gamma:           c.Config.Gamma,
		MaxScale:        c.Config.MaxScale,
		Filter:          c.Config.Filtering && c.Config.Step > c.Config.FilteringWarmupSteps,
		FilterThreshold: c.Config.FilteringThreshold,
	}
}

type result struct {
	loss, kl, gradTau, gradBias float64
	gradOnline                  []float64
}

// run evaluates the loss and its gradients on the golden inputs in dtype dt.
func run(t *testing.T, c goldenCase, cfg Config, dt torch.DType, online []float64) result {
	t.Helper()
	s := torch.NewScope()
	defer s.Close()
	on, shape := flat(c.Online)
	if online != nil {
		on = online
	}
	tg, _ := flat(c.Target)
	x := s.To(s.FromFloat64s(on, shape...), dt)
	xt := s.To(s.FromFloat64s(tg, shape...), dt)
	tau := s.To(s.FromFloat64s([]float64{c.Tau}), dt)
	bias := s.To(s.FromFloat64s([]float64{c.Bias}), dt)
	tau = s.Reshape(tau)
	bias = s.Reshape(bias)
	for _, p := range []*torch.Tensor{x, tau, bias} {
		if err := p.SetRequiresGrad(true); err != nil {
			t.Fatal(err)
		}
	}
	l, kl := Pair(s, x, xt, tau, bias, cfg)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Backward(l); err != nil {
		t.Fatal(err)
	}
	var r result
	var err error
	get := func(x *torch.Tensor) float64 {
		v, e := x.Item()
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	r.loss, r.kl = get(l), get(kl)
	r.gradTau, r.gradBias = get(s.Grad(tau)), get(s.Grad(bias))
	g := s.To(s.Grad(x), torch.Float64)
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	r.gradOnline, err = g.Float64s()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

func TestGoldenVectors(t *testing.T) {
	cases := loadGolden(t)
	dtypes := []struct {
		dt  torch.DType
		tol float64 // SPEC §1: 1e-6 relative in float64, 1e-4 in float32.
	}{
		{torch.Float64, 1e-6},
		{torch.Float32, 1e-4},
	}
	for i, c := range cases {
		for _, d := range dtypes {
			name := fmt.Sprintf("case%d/%v/n%d_d%d_gamma%v_alpha%v_filter%v", i, d.dt, len(c.Online), len(c.Online[0]), c.Config.Gamma, c.Config.Alpha, c.Config.Filtering)
			t.Run(name, func(t *testing.T) {
				r := run(t, c, c.lossConfig(), d.dt, nil)
				scalars := []struct {
					name      string
					got, want float64
				}{
					{"loss", r.loss, c.Loss},
					{"kl", r.kl, c.KL},
					{"grad_tau", r.gradTau, c.GradTau},
					{"grad_bias", r.gradBias, c.GradBias},
				}
				for _, sc := range scalars {
					if e := relErr(sc.got, sc.want); e > d.tol {
						t.Errorf("%s = %.12g, want %.12g (relative error %.2g > %g)", sc.name, sc.got, sc.want, e, d.tol)
					}
				}
				// Gradient matrix: error relative to its largest entry (entries near zero have
				// no meaningful element-wise relative error).
				want, _ := flat(c.GradOnline)
				maxAbs := 0.0
				for _, w := range want {
					maxAbs = math.Max(maxAbs, math.Abs(w))
				}
				for j, w := range want {
					if e := math.Abs(r.gradOnline[j]-w) / maxAbs; e > d.tol {
						t.Errorf("grad_online[%d] = %.12g, want %.12g (error %.2g of max %.3g > %g)", j, r.gradOnline[j], w, e, maxAbs, d.tol)
					}
				}
			})
		}
	}
}

// TestFiniteDifferences checks the online gradient against central differences of the loss
// itself, independently of the golden file, for settings the golden file does not cover.
func TestFiniteDifferences(t *testing.T) {
	c := loadGolden(t)[2] // n 8, d 16
	configs := []Config{
		{Alpha: 0.3, Gamma: 0.25, MaxScale: 5},
		{Alpha: 1, Gamma: 3, MaxScale: 5},
		{Alpha: 0, Gamma: 0, MaxScale: 5},
	}
	on, _ := flat(c.Online)
	for _, cfg := range configs {
		t.Run(fmt.Sprintf("gamma%v_alpha%v", cfg.Gamma, cfg.Alpha), func(t *testing.T) {
			r := run(t, c, cfg, torch.Float64, nil)
			// Central differences have O(h²) truncation and O(ε/h) rounding error: h = 1e-5 gives
			// about 1e-9 absolute on these O(1) values.
			const h = 1e-5
			for _, j := range []int{0, 5, 17, 40, 77, 127} {
				plus := append([]float64(nil), on...)
				minus := append([]float64(nil), on...)
				plus[j] += h
				minus[j] -= h
				fd := (run(t, c, cfg, torch.Float64, plus).loss - run(t, c, cfg, torch.Float64, minus).loss) / (2 * h)
				if math.Abs(fd-r.gradOnline[j]) > 1e-7 {
					t.Errorf("d loss/d online[%d] = %.10g, central difference %.10g", j, r.gradOnline[j], fd)
				}
			}
		})
	}
}

func TestPairRejectsBadInput(t *testing.T) {
	s := torch.NewScope()
	defer s.Close()
	o := torch.Opts{DType: torch.Float32}
	tau, bias := s.Scalar(o, math.Log(5)), s.Scalar(o, -5)
	Pair(s, s.Zeros(o, 4, 3), s.Zeros(o, 5, 3), tau, bias, Config{Alpha: 1, Gamma: 1})
	if s.Err() == nil {
		t.Errorf("mismatched shapes: got nil error, want one")
	}
	s2 := torch.NewScope()
	defer s2.Close()
	Pair(s2, s2.Zeros(o, 4, 3), s2.Zeros(o, 4, 3), tau, bias, Config{Alpha: -1})
	if s2.Err() == nil {
		t.Errorf("negative alpha: got nil error, want one")
	}
}
