package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Env is the environment variable naming the crash point.
const Env = "SCL_CRASH_POINT"

var (
	once  sync.Once
	point string
	nth   int64 = 1
	hits  atomic.Int64
)

func parse() {
	v := os.Getenv(Env)
	if name, n, ok := strings.Cut(v, "@"); ok {
		k, err := strconv.ParseInt(n, 10, 64)
		if err != nil || k < 1 {
			// A malformed request must not silently turn a crash test into a clean run.
			panic("crashpoint: " + Env + "=" + v + ": want NAME or NAME@N with N ≥ 1")
		}
		v, nth = name, k
	}
	point = v
}

// Hit kills the process with SIGKILL if the environment names this point and this is the
// requested occurrence; otherwise it returns at once.
func Hit(name string) {
	once.Do(parse)
	if point == "" || name != point {
		return
	}
	if hits.Add(1) < nth {
		return
	}
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		p.Kill()
	}
	select {} // SIGKILL is asynchronous: never return into the write
}
