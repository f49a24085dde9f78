package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scl-dev/scl/checkpoint"
)

// TestImportCommand imports the reference's checkpoint fixture of package ptimport, then checks
// that the directory loads as a checkpoint and records its provenance, and that errors name the
// flag.
func TestImportCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "imported")
	app := newApp()
	var stdout bytes.Buffer
	app.Writer = &stdout
	file := "../../ptimport/testdata/reference_r18_cifar_legacy.pth"
	if err := app.Run([]string{"scl", "import", file, "--out", out}); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	want := "(legacy, reference layout): resnet18 (cifar stem, width 4), projector 16 → 8, image size 32"
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("output %q lacks %q", stdout.String(), want)
	}
	ck, err := checkpoint.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.Import == nil || ck.Config.Import.Layout != "reference" || ck.Online["loss.tau"] == nil {
		t.Errorf("config %+v, online has loss.tau: %v", ck.Config.Import, ck.Online["loss.tau"] != nil)
	}
	b, _ := os.ReadFile(filepath.Join(out, "config.json"))
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil || raw["import"] == nil {
		t.Errorf("config.json has no \"import\" record: %s", b)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{file, "--out", out, "--arch", "vgg"}, `--arch "vgg"`},
		{[]string{file, "--out", out, "--layout", "keras"}, `--layout "keras"`},
		{[]string{file, "--out", out, "--arch", "resnet50"}, `tensor "online_encoder.0.4.0.conv1.weight" has shape [4 4 3 3], want [4 4 1 1]`},
		{[]string{"--out", out}, "exactly one FILE"},
		{[]string{"../../go.mod", "--out", out}, "not a torch.save file"},
	} {
		if err := newApp().Run(append([]string{"scl", "import"}, tc.args...)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("scl import %v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
