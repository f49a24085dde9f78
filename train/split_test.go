package train

import (
	"testing"
	"time"
)

func TestSplitter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name         string
		cpus         int
		start        Split
		fixedW, fixT bool
		// per step of one window
		step, wait, buildPerBatch time.Duration
		want                      Split
		changed                   bool
	}{
		// Fashion-MNIST on 2 cores: views cost ~1 ms a batch against a 2 s step.
		{"cheap views keep every core for libtorch", 2, Split{1, 2}, false, false, 2000 * ms, 0, 1 * ms, Split{1, 2}, false},
		{"cheap views take back a core given away", 2, Split{1, 1}, false, false, 2000 * ms, 0, 1 * ms, Split{1, 2}, true},
		// Views that cost 1.5 cores of 8 at the step's pace.
		{"expensive views get workers and cores", 8, Split{1, 8}, false, false, 100 * ms, 0, 150 * ms, Split{2, 6}, true},
		{"waiting for data adds a worker", 4, Split{1, 4}, false, false, 100 * ms, 20 * ms, 10 * ms, Split{2, 4}, true},
		{"no more workers than CPUs", 2, Split{2, 1}, false, false, 100 * ms, 50 * ms, 400 * ms, Split{2, 1}, false},
		{"user's workers are kept", 8, Split{1, 8}, true, false, 100 * ms, 0, 150 * ms, Split{1, 6}, true},
		{"user's threads are kept", 8, Split{1, 8}, false, true, 100 * ms, 0, 150 * ms, Split{2, 8}, true},
		{"both fixed", 8, Split{3, 3}, true, true, 100 * ms, 50 * ms, 150 * ms, Split{3, 3}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSplitter(tt.cpus, tt.start, tt.fixedW, tt.fixT)
			var built int64
			var busy time.Duration
			var got Split
			var changed bool
			for i := 0; i < splitWindow; i++ {
				if i < splitWindow-1 {
					built++
					busy += tt.buildPerBatch
					if g, c := s.observe(tt.step, tt.wait, built, busy); c || g != tt.start {
						t.Fatalf("step %d inside the window: got %v (changed %v), want %v unchanged", i, g, c, tt.start)
					}
					continue
				}
				built++
				busy += tt.buildPerBatch
				got, changed = s.observe(tt.step, tt.wait, built, busy)
			}
			if got != tt.want || changed != tt.changed {
				t.Errorf("got %+v (changed %v), want %+v (changed %v)", got, changed, tt.want, tt.changed)
			}
		})
	}
}
