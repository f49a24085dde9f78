// Command data measures the multi-crop view throughput of scl/data/augment on one core, for
// bench/data/run.sh, which compares it with torchvision's pipeline on the same images.
//
//	go run ./bench/data -gen out.raw -n 512 -side 96        write synthetic colour images
//	go run ./bench/data -fashion out.raw -n 2048            dump Fashion-MNIST train images
//	go run ./bench/data -images out.raw -n N -h H -w W -c C -size S -seconds T   measure
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/data:", err)
		os.Exit(1)
	}
}

func run() error {
	gen := flag.String("gen", "", "write synthetic colour images to this file")
	fashion := flag.String("fashion", "", "write Fashion-MNIST train images to this file")
	images := flag.String("images", "", "measure on the raw images in this file")
	n := flag.Int("n", 512, "number of images")
	side := flag.Int("side", 96, "side of synthetic images")
	h := flag.Int("h", 96, "image height")
	w := flag.Int("w", 96, "image width")
	c := flag.Int("c", 3, "image channels")
	size := flag.Int("size", 96, "global view size s")
	global := flag.Int("global", 2, "global views")
	local := flag.Int("local", 4, "local views")
	secs := flag.Float64("seconds", 5, "measuring time")
	flag.Parse()
	switch {
	case *gen != "":
		return os.WriteFile(*gen, synthetic(*n, *side), 0o644)
	case *fashion != "":
		ds, err := data.OpenFashionMNIST("", "train")
		if err != nil {
			return err
		}
		var out []byte
		for i := range min(*n, ds.Len()) {
			img, err := ds.Image(i)
			if err != nil {
				return err
			}
			out = append(out, img.Pix...)
		}
		return os.WriteFile(*fashion, out, 0o644)
	case *images != "":
		return measure(*images, *n, *h, *w, *c, *size, *global, *local, *secs)
	}
	return fmt.Errorf("one of -gen, -fashion, -images is required")
}

// synthetic makes deterministic colour images with smooth structure and texture, so that
// crops, jitter and blur see natural-looking statistics.
func synthetic(n, side int) []byte {
	out := make([]byte, n*side*side*3)
	rng := augment.NewRNG(1)
	for i := range n {
		var f [3][4]float64
		for c := range f {
			for k := range f[c] {
				f[c][k] = rng.Uniform(0.02, 0.3)
			}
		}
		for y := range side {
			for x := range side {
				for c := range 3 {
					v := 128 + 60*math.Sin(f[c][0]*float64(x)+f[c][1]*float64(y)) + 40*math.Cos(f[c][2]*float64(x*y)/float64(side)+f[c][3]) + rng.Uniform(-20, 20)
					out[((i*side+y)*side+x)*3+c] = uint8(max(0, min(255, v)))
				}
			}
		}
	}
	return out
}

func measure(path string, n, h, w, c, size, global, local int, secs float64) error {
	runtime.GOMAXPROCS(1)
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(raw) != n*h*w*c {
		return fmt.Errorf("%s: %d bytes, want %d×%d×%d×%d", path, len(raw), n, h, w, c)
	}
	imgs := make([]data.Image, n)
	for i := range imgs {
		imgs[i] = data.Image{W: w, H: h, C: c, Pix: raw[i*h*w*c : (i+1)*h*w*c]}
	}
	mc, err := augment.NewMultiCrop(size, global, local, 3)
	if err != nil {
		return err
	}
	wk := mc.NewWorker()
	dst := make([][]float32, len(mc.Views))
	for v, s := range mc.Shapes() {
		dst[v] = make([]float32, s.Len())
	}
	rng := augment.NewRNG(0)
	views := 0
	start, cpu0 := time.Now(), cpuSeconds()
	var el float64
	for i := 0; ; i++ {
		rng.Seed(augment.SeedFor(0, 0, i))
		if err := wk.Apply(imgs[i%n], rng, dst); err != nil {
			return err
		}
		views += len(dst)
		if i%16 == 15 {
			if el = time.Since(start).Seconds(); el >= secs {
				break
			}
		}
	}
	cpu := cpuSeconds() - cpu0
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"impl": "scl-go", "views": views, "seconds": el, "cpu_seconds": cpu,
		"views_per_s": float64(views) / el, "views_per_cpu_s": float64(views) / cpu})
}

// cpuSeconds is the user + system CPU time of this process (all threads).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
