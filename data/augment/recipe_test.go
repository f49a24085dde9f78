package augment

import (
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestRecipeChangesOnlyWhatItSets(t *testing.T) {
	spec, err := NewMultiCrop(28, 2, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		r      Recipe
		check  func(t *testing.T, global, local ViewConfig)
		string string
	}{
		{"zero is the spec", Recipe{}, func(t *testing.T, g, l ViewConfig) {
			if g != spec.Views[0] || l != spec.Views[2] {
				t.Errorf("zero recipe changed the views: %+v %+v", g, l)
			}
		}, "spec"},
		{"crop scales", Recipe{GlobalScale: [2]float64{0.3, 1}, LocalScale: [2]float64{0.2, 0.5}}, func(t *testing.T, g, l ViewConfig) {
			if g.Scale != [2]float64{0.3, 1} || l.Scale != [2]float64{0.2, 0.5} {
				t.Errorf("scales %v %v", g.Scale, l.Scale)
			}
			if l.Size != 12 || g.Size != 28 {
				t.Errorf("sizes %d %d, want 28 and int(28·3/7) = 12", g.Size, l.Size)
			}
		}, "global-crop-scale 0.3,1, local-crop-scale 0.2,0.5"},
		{"local size", Recipe{LocalSize: 18}, func(t *testing.T, g, l ViewConfig) {
			if l.Size != 18 || g.Size != 28 {
				t.Errorf("sizes %d %d", g.Size, l.Size)
			}
		}, "local-size 18"},
		{"blur and solarize off", Recipe{BlurP: ptr(0), SolarizeP: ptr(0)}, func(t *testing.T, g, l ViewConfig) {
			if g.BlurP != 0 || l.BlurP != 0 || g.SolarizeP != 0 {
				t.Errorf("blur %v %v solarize %v", g.BlurP, l.BlurP, g.SolarizeP)
			}
			if g.BlurKernel != spec.Views[0].BlurKernel {
				t.Errorf("kernel changed")
			}
		}, "blur-prob 0, solarize-prob 0"},
		{"local views never solarize", Recipe{SolarizeP: ptr(0.7)}, func(t *testing.T, g, l ViewConfig) {
			if g.SolarizeP != 0.7 || l.SolarizeP != 0 {
				t.Errorf("solarize %v %v", g.SolarizeP, l.SolarizeP)
			}
		}, "solarize-prob 0.7"},
		{"jitter strength scales all four", Recipe{Jitter: ptr(0.5)}, func(t *testing.T, g, l ViewConfig) {
			for _, v := range []ViewConfig{g, l} {
				if v.Brightness != 0.4 || v.Contrast != 0.4 || v.Saturation != 0.4 || v.Hue != 0.1 {
					t.Errorf("jitter %v %v %v %v", v.Brightness, v.Contrast, v.Saturation, v.Hue)
				}
			}
		}, "jitter-strength 0.5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := NewMultiCropRecipe(28, 2, 2, 1, c.r)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, m.Views[0], m.Views[2])
			if m.Views[0] != m.Views[1] || m.Views[2] != m.Views[3] {
				t.Errorf("views of one kind differ")
			}
			if got := c.r.String(); got != c.string {
				t.Errorf("String() = %q, want %q", got, c.string)
			}
			if c.r.IsZero() != (c.string == "spec") {
				t.Errorf("IsZero() = %v", c.r.IsZero())
			}
		})
	}
}

func TestRecipeRefusesBadValues(t *testing.T) {
	cases := []struct {
		r    Recipe
		want string
	}{
		{Recipe{GlobalScale: [2]float64{0.5, 0.2}}, "global crop scale 0.5,0.2"},
		{Recipe{LocalScale: [2]float64{0, 1}}, "local crop scale 0,1"},
		{Recipe{GlobalScale: [2]float64{0.2, 1.5}}, "want 0 < min ≤ max ≤ 1"},
		{Recipe{LocalSize: -3}, "local size -3"},
		{Recipe{BlurP: ptr(1.5)}, "blur probability 1.5"},
		{Recipe{SolarizeP: ptr(-0.1)}, "solarize probability -0.1"},
		{Recipe{Jitter: ptr(3)}, "jitter strength 3"},
	}
	for _, c := range cases {
		_, err := NewMultiCropRecipe(28, 2, 2, 1, c.r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.r, err, c.want)
		}
	}
}

func TestParseRange(t *testing.T) {
	cases := []struct {
		in   string
		want [2]float64
		err  bool
	}{
		{"0.2,1", [2]float64{0.2, 1}, false},
		{" 0.05 , 0.4 ", [2]float64{0.05, 0.4}, false},
		{"0.2", [2]float64{}, true},
		{"a,1", [2]float64{}, true},
		{"0.1,b", [2]float64{}, true},
	}
	for _, c := range cases {
		got, err := ParseRange(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseRange(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.err)
		}
		if err == nil {
			if back, _ := ParseRange(FormatRange(got)); back != got {
				t.Errorf("FormatRange round trip of %v gave %v", got, back)
			}
		}
	}
}
