package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestManifestsMatchImage checks that every Kubernetes manifest runs the image that `make image`
// builds, under the user deploy/Dockerfile creates, with the read-only root file system the
// image is tested with (TestServingImage).
func TestManifestsMatchImage(t *testing.T) {
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindSubmatch(df)
	if m == nil {
		t.Fatal("Dockerfile: no numeric USER uid:gid line")
	}
	user, group := string(m[1]), string(m[2])
	for _, tc := range []struct {
		file    string
		command string // the container's command line, as written in the manifest
	}{
		{"serve.yaml", `command: ["scl", "serve"]`},
		{"embed-indexed-job.yaml", `command: ["scl", "embed"]`},
		{"embed-merge-job.yaml", `command: ["scl", "embed", "merge"`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			for _, want := range []string{
				"image: ${REGISTRY}/scl:${SCL_VERSION}",
				"envsubst '${REGISTRY} ${SCL_VERSION}' < deploy/" + tc.file,
				"make image-push REGISTRY=",
				"runAsNonRoot: true, runAsUser: " + user + ", runAsGroup: " + group,
				"readOnlyRootFilesystem: true",
				tc.command,
			} {
				if !strings.Contains(s, want) {
					t.Errorf("%s lacks %q", tc.file, want)
				}
			}
			if strings.Contains(s, "SCL_ORT_LIB") {
				t.Errorf("%s sets SCL_ORT_LIB: the image presets it", tc.file)
			}
		})
	}
}
