package quality

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

const table = Header + `
raw pixels	0	0.8392	-
new recipe	5	0.80	0.78
new recipe	10	0.855	0.84
reference	10	0.76	
`

func TestReadTable(t *testing.T) {
	pts, err := Read(strings.NewReader(table), "q.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 4 {
		t.Fatalf("%d points, want 4", len(pts))
	}
	if p := pts[0]; p.Series != "raw pixels" || p.Minutes != 0 || p.Linear != 0.8392 || !math.IsNaN(p.KNN) {
		t.Errorf("baseline %+v", p)
	}
	if p := pts[2]; p.Minutes != 10 || p.Linear != 0.855 || p.KNN != 0.84 {
		t.Errorf("point %+v", p)
	}
	if !math.IsNaN(pts[3].KNN) {
		t.Errorf("empty kNN read as %v, want NaN", pts[3].KNN)
	}
}

func TestReadNamesTheBadLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"series,minutes\n", "q.tsv:1: header"},
		{Header + "\nx\t5\t0.8\n", "q.tsv:2: 3 tab-separated fields"},
		{Header + "\n\t5\t0.8\t0.7\n", "q.tsv:2: empty series"},
		{Header + "\nx\tten\t0.8\t0.7\n", "q.tsv:2: minutes \"ten\""},
		{Header + "\nx\t-1\t0.8\t0.7\n", "q.tsv:2: minutes \"-1\""},
		{Header + "\nx\t5\t85.5\t0.7\n", "q.tsv:2: linear accuracy \"85.5\""},
		{Header + "\nx\t5\t0.8\tNaN\n", "q.tsv:2: knn accuracy"},
		{Header + "\n", "no points"},
	}
	for _, c := range cases {
		_, err := Read(strings.NewReader(c.in), "q.tsv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.want)
		}
	}
}

func TestWritePNGDrawsEverySeries(t *testing.T) {
	pts, err := Read(strings.NewReader(table), "q.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WritePNG(&b, pts, "Fashion-MNIST", 20*vg.Centimeter, 8*vg.Centimeter); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w < 740 || w > 770 { // 20 cm at vgimg's 96 dpi ≈ 756 px
		t.Errorf("image width %d px, want about 756", w)
	}
	// Each series' colour appears (the first three of the palette, in order of appearance).
	for i := 0; i < 3; i++ {
		want := palette[i]
		found := false
		bd := img.Bounds()
		for y := bd.Min.Y; y < bd.Max.Y && !found; y++ {
			for x := bd.Min.X; x < bd.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(bl>>8) == want.B {
					found = true
					break
				}
			}
		}
		if !found {
			t.Errorf("series %d colour %v not drawn", i, want)
		}
	}
}
