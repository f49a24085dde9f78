// Command stamped prints buildinfo.Get() as JSON; buildinfo's test builds it with -ldflags -X.
package main

import (
	"encoding/json"
	"os"

	"github.com/scl-dev/scl/internal/buildinfo"
)

func main() {
	json.NewEncoder(os.Stdout).Encode(buildinfo.Get())
}
