package pickle

import (
	"fmt"
	"os"
	"testing"
)

// FuzzUnmarshal checks that no input panics or hangs the decoder. The seed corpus is the
// protocol fixtures; explore with `go test ./pickle -run '^$' -fuzz FuzzUnmarshal -fuzztime 1m`.
func FuzzUnmarshal(f *testing.F) {
	for proto := 0; proto <= 5; proto++ {
		b, err := os.ReadFile(fmt.Sprintf("testdata/proto%d.pkl", proto))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b)
		d.PersistentLoad = func(pid any) (any, error) { return pid, nil }
		_, _ = d.Decode()
	})
}
