package deploy

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/export"
	"github.com/scl-dev/scl/infer"
	"github.com/scl-dev/scl/models"
)

const (
	maxImageMB = 200     // the serving image's size target
	uid        = "10001" // deploy/Dockerfile's USER
	ortLib     = "/usr/local/lib/scl/libonnxruntime.so.1"
	apiKey     = "imagetest-key"
)

// TestServingImage builds deploy/Dockerfile with `make image` against locally made base images and
// checks the running container end to end (see the package comment).
func TestServingImage(t *testing.T) {
	if os.Getenv("SCL_IMAGE_TEST") != "1" {
		t.Skip("builds and runs the serving image (minutes, root, podman): run `make image-test`, which sets SCL_IMAGE_TEST=1")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Fatal("podman is not installed: scripts/setup.sh --image installs it (make image-test does)")
	}
	runFlags, publish := containerFlags(t)

	// Base images, made from Debian's packages when the machine has none.
	start := time.Now()
	out := mustRun(t, root, 20*time.Minute, "scripts/offline-bases.sh")
	t.Logf("base images ready in %s:\n%s", time.Since(start).Round(time.Second), out)

	// The image, built as a user would: make image, with a version of our own.
	// A fixed version: a rerun on an unchanged tree reuses every layer instead of piling up
	// build stages that differ only in the stamped version.
	version := "v0.0.0-imagetest"
	tag := "scl:" + version
	commit := "unknown"
	if c, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(c))
	}
	t.Cleanup(func() { exec.Command("podman", "rmi", "--force", tag).Run() })
	start = time.Now()
	out = mustRun(t, root, 20*time.Minute, "make", "--no-print-directory", "image", "VERSION="+version, "COMMIT="+commit)
	t.Logf("make image took %s", time.Since(start).Round(time.Second))
	m := regexp.MustCompile(`image: (\S+) is (\d+) MB`).FindStringSubmatch(out)
	if m == nil || !strings.HasSuffix(m[1], tag) {
		t.Fatalf("make image did not print the size of %s:\n%s", tag, tail(out, 3000))
	}
	t.Logf("make image printed: %s", m[0])
	checkImageConfig(t, tag, version, commit)

	// A small but real model: a narrow grey ResNet-18 checkpoint exported by the project's own
	// pure-Go exporter, in a folder the container's user can read (mounted read-only).
	modelDir := t.TempDir()
	if err := os.Chmod(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(modelDir, "model.onnx")
	writeModel(t, model)

	port := freePort(t)
	name := fmt.Sprintf("scl-imagetest-%d", os.Getpid())
	t.Cleanup(func() { exec.Command("podman", "rm", "--force", "--time", "0", name).Run() })
	args := append([]string{"run", "--detach", "--name", name, "--read-only", "--read-only-tmpfs=false",
		"--volume", modelDir + ":/models:ro", "--env", "SCL_API_KEY=" + apiKey}, runFlags...)
	if publish {
		// The image's default command (serve /models/model.onnx on :8080, health check on
		// 127.0.0.1:8080), in its own network namespace, published on loopback only.
		args = append(args, "--network", "slirp4netns", "--publish", fmt.Sprintf("127.0.0.1:%d:8080", port), tag)
		t.Logf("running the image's default command, published on 127.0.0.1:%d", port)
	} else {
		// No network namespace of its own: the image's command with the address moved to
		// loopback and a free port (the default :8080 may be taken and would listen on every
		// interface of the shared host network).
		args = append(args, "--network", "host", "--env", fmt.Sprintf("SCL_HEALTH_URL=http://127.0.0.1:%d/healthz", port),
			tag, "serve", "--model=/models/model.onnx", fmt.Sprintf("--addr=127.0.0.1:%d", port))
		t.Logf("slirp4netns unusable: serving on the host's network at 127.0.0.1:%d", port)
	}
	mustRun(t, root, time.Minute, "podman", args...)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, name, base+"/healthz")

	t.Run("healthz", func(t *testing.T) {
		code, body := request(t, "GET", base+"/healthz", "", nil)
		if code != 200 || !strings.Contains(string(body), `"ok"`) {
			t.Errorf("/healthz: %d %s", code, body)
		}
	})
	t.Run("info", func(t *testing.T) {
		if code, _ := request(t, "GET", base+"/info", "", nil); code != http.StatusUnauthorized {
			t.Errorf("/info without the key from SCL_API_KEY: %d, want 401", code)
		}
		code, body := request(t, "GET", base+"/info", apiKey, nil)
		var info struct {
			Version, Commit, Model, Provider string
			Dims                             int
		}
		if err := json.Unmarshal(body, &info); err != nil || code != 200 {
			t.Fatalf("/info: %d %s (%v)", code, body, err)
		}
		if info.Version != version || info.Commit != commit || info.Model != "model" || info.Dims != 16 || info.Provider != infer.ProviderCPU {
			t.Errorf("/info = %s, want version %s, commit %s, model \"model\", 16 dims on the CPU", body, version, commit)
		}
	})
	t.Run("embeddings", func(t *testing.T) { checkEmbedding(t, base, model) })
	t.Run("version command", func(t *testing.T) {
		// Stdout only: podman logs to stderr (e.g. that it cannot reach systemd for health timers).
		cmd := exec.Command("podman", append(append([]string{"run", "--rm", "--network", "none", "--read-only"}, runFlags...), tag, "version")...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("podman run %s version: %v\n%s", tag, err, stderr.Bytes())
		}
		got := string(out)
		if want := "scl " + version + " (commit " + commit; !strings.HasPrefix(got, want) {
			t.Errorf("scl version in the image printed %q, want it to start with %q", got, want)
		}
	})
	t.Run("non-root, read-only root", func(t *testing.T) {
		if got := strings.TrimSpace(mustRun(t, root, time.Minute, "podman", "exec", name, "id", "-u")); got != uid {
			t.Errorf("container user id %s, want %s", got, uid)
		}
		out, err := exec.Command("podman", "exec", name, "touch", "/usr/local/bin/x", "/tmp/x").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Read-only file system") {
			t.Errorf("writing to the root file system: err %v, output %q; want a read-only file system", err, out)
		}
	})
	t.Run("health check", func(t *testing.T) {
		// Runs the image's HEALTHCHECK (scl health, pointed at our port by SCL_HEALTH_URL).
		out, err := exec.Command("podman", "healthcheck", "run", name).CombinedOutput()
		if err != nil {
			t.Errorf("podman healthcheck run: %v\n%s", err, out)
		}
	})

	// SIGTERM: serve drains and exits 0.
	mustRun(t, root, time.Minute, "podman", "stop", "--time", "30", name)
	code := strings.TrimSpace(mustRun(t, root, time.Minute, "podman", "inspect", "--format", "{{.State.ExitCode}}", name))
	logs, _ := exec.Command("podman", "logs", name).CombinedOutput()
	if code != "0" || !strings.Contains(string(logs), "serve: stopped") {
		t.Errorf("after podman stop: exit code %s, logs:\n%s", code, logs)
	}
}

// containerFlags finds out whether this machine can run a container, and with which extra flags:
// some sandboxes refuse raising resource limits (podman asks for 1M open files as root) or
// cgroup layouts that crun accepts. It runs a one-file image holding a static binary through the
// candidates and skips the test, quoting every error, when none works. publish reports whether a
// container can also have its own network namespace with a port published on loopback
// (slirp4netns; podman's default bridge needs iptables, which sandboxes often lack).
func containerFlags(t *testing.T) (flags []string, publish bool) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "probe")
	build := exec.Command("go", "build", "-o", bin, "./testdata/probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/probe: %v\n%s", err, out)
	}
	probe := "localhost/scl-imagetest-probe:latest"
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	tw.WriteHeader(&tar.Header{Name: "probe", Mode: 0o755, Size: int64(len(b))})
	tw.Write(b)
	tw.Close()
	imp := exec.Command("podman", "import", "-", probe)
	imp.Stdin = &layer
	if out, err := imp.CombinedOutput(); err != nil {
		t.Skipf("this machine cannot hold container images: podman import: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("podman", "rmi", "--force", probe).Run() })

	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	ulimits := []string{"--ulimit", fmt.Sprintf("nofile=%d:%d", lim.Cur, lim.Cur), "--ulimit", "nproc=4096:4096"}
	candidates := [][]string{
		nil,
		ulimits,
		append([]string{"--runtime", "runc"}, ulimits...),
	}
	var failures []string
	for _, flags := range candidates {
		args := append(append([]string{"run", "--rm", "--network", "host"}, flags...), probe, "/probe")
		out, err := runTimeout(time.Minute, "", "podman", args...)
		if err == nil && strings.Contains(out, "container ok") {
			t.Logf("containers run here with extra flags %q", flags)
			args := append(append([]string{"run", "--rm", "--network", "slirp4netns", "--publish", fmt.Sprintf("127.0.0.1:%d:8080", freePort(t))}, flags...), probe, "/probe")
			out, err := runTimeout(time.Minute, "", "podman", args...)
			if publish = err == nil && strings.Contains(out, "container ok"); !publish {
				t.Logf("podman %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out))
			}
			return flags, publish
		}
		failures = append(failures, fmt.Sprintf("podman %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out)))
	}
	t.Skipf("this machine does not let podman start a container; tried:\n%s", strings.Join(failures, "\n"))
	return nil, false
}

// checkImageConfig checks what the Dockerfile promises: labels, user, environment, command,
// health check and size.
func checkImageConfig(t *testing.T, tag, version, commit string) {
	t.Helper()
	out, err := exec.Command("podman", "image", "inspect", tag).Output()
	if err != nil {
		t.Fatalf("podman image inspect %s: %v", tag, err)
	}
	var imgs []struct {
		Size   int64
		Labels map[string]string
		Config struct {
			User       string
			Env        []string
			Entrypoint []string
			Cmd        []string
		}
		HealthCheck *struct{ Test []string }
	}
	if err := json.Unmarshal(out, &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("podman image inspect %s: %v\n%s", tag, err, tail(string(out), 2000))
	}
	img := imgs[0]
	mb := float64(img.Size) / 1e6
	t.Logf("image %s: %.1f MB (target ≤ %d MB)", tag, mb, maxImageMB)
	if mb > maxImageMB {
		t.Errorf("image is %.1f MB, over the %d MB target", mb, maxImageMB)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": commit,
		"org.opencontainers.image.source":   "https://github.com/scl-dev/scl",
	} {
		if img.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, img.Labels[k], want)
		}
	}
	if img.Config.User != uid+":"+uid {
		t.Errorf("user %q, want %s:%s", img.Config.User, uid, uid)
	}
	if !slices.Contains(img.Config.Env, "SCL_ORT_LIB="+ortLib) {
		t.Errorf("environment %q lacks SCL_ORT_LIB=%s", img.Config.Env, ortLib)
	}
	if got := strings.Join(append(img.Config.Entrypoint, img.Config.Cmd...), " "); got != "scl serve --model=/models/model.onnx --addr=:8080" {
		t.Errorf("default command %q, want scl serve on /models/model.onnx and :8080", got)
	}
	if img.HealthCheck == nil || !strings.Contains(strings.Join(img.HealthCheck.Test, " "), "scl health") {
		t.Errorf("health check %+v, want scl health", img.HealthCheck)
	}
}

// writeModel exports a freshly initialised narrow grey ResNet-18 (28×28, 16-d features).
func writeModel(t *testing.T, path string) {
	t.Helper()
	pre := checkpoint.Preprocessing{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L", Dataset: "fashion_mnist"}
	c, err := checkpoint.New(models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 2, ProjectorHidden: 8, ProjectorOut: 4}, pre, 7)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := checkpoint.Save(dir, c); err != nil {
		t.Fatal(err)
	}
	if _, err := export.Export(dir, path, export.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkEmbedding posts one PNG to /v1/embeddings and compares the answer with the same model
// run by this process (the host's ONNX Runtime library, the host's preprocessing).
func checkEmbedding(t *testing.T, base, model string) {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := range 28 {
		for x := range 28 {
			img.SetGray(x, y, color.Gray{Y: uint8((x*9 + y*5 + x*y) % 256)})
		}
	}
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"input": "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes.Bytes())})
	code, resp := request(t, "POST", base+"/v1/embeddings", apiKey, body)
	var got struct {
		Object string
		Data   []struct{ Embedding []float32 }
	}
	if err := json.Unmarshal(resp, &got); err != nil || code != 200 || len(got.Data) != 1 {
		t.Fatalf("/v1/embeddings: %d %s (%v)", code, tail(string(resp), 2000), err)
	}

	enc, err := infer.OpenEncoder(model, infer.SessionConfig{Device: infer.Device{Kind: infer.DeviceCPU}}, infer.Overrides{}, false)
	if err != nil {
		t.Fatalf("the host's reference run: %v", err)
	}
	defer enc.Close()
	decoded, err := data.DecodeImage(pngBytes.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, enc.Dim())
	if _, err := enc.ImagesTo(want, []data.Image{decoded}, nil); err != nil {
		t.Fatal(err)
	}
	e := got.Data[0].Embedding
	if len(e) != len(want) {
		t.Fatalf("embedding has %d values, want %d", len(e), len(want))
	}
	var worst, norm float64
	for i := range e {
		worst = math.Max(worst, math.Abs(float64(e[i]-want[i])))
		norm = math.Max(norm, math.Abs(float64(want[i])))
	}
	t.Logf("container vs host embedding: max abs diff %.3g (values up to %.3g)", worst, norm)
	if norm == 0 || worst > 1e-4*math.Max(1, norm) {
		t.Errorf("container's embedding %v differs from the host's %v (max abs diff %.3g)", e, want, worst)
	}
}

// waitHealthy polls url until it answers 200, failing with the container's logs if it exits or
// takes longer than a minute.
func waitHealthy(t *testing.T, name, url string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		state, _ := exec.Command("podman", "inspect", "--format", "{{.State.Status}}", name).Output()
		if s := strings.TrimSpace(string(state)); s != "running" && s != "created" || time.Now().After(deadline) {
			logs, _ := exec.Command("podman", "logs", name).CombinedOutput()
			t.Fatalf("container %s (%s) did not become healthy at %s (last error %v); logs:\n%s", name, s, url, err, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func request(t *testing.T, method, url, key string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp.StatusCode, b
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func runTimeout(limit time.Duration, dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, dir string, limit time.Duration, name string, args ...string) string {
	t.Helper()
	out, err := runTimeout(limit, dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(out, 6000))
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
