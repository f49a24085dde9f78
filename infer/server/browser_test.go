package server

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scl-dev/scl/search"
)

// chromium finds Debian's chromium (installed by scripts/setup.sh).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser test skipped: chromium is not installed (scripts/setup.sh installs Debian's chromium; it could not be installed here)")
	return ""
}

// artifactDir is where browser screenshots are kept: $SCL_TEST_ARTIFACTS, or out/test-artifacts
// at the repository root.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("SCL_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "out", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowserSearchAndRunPages drives headless chromium against the server on loopback: it
// enters the API key, uploads an image, waits for k thumbnails and checks their ids against the
// index; then the run page must draw the loss curve of a metrics.jsonl.
func TestBrowserSearchAndRunPages(t *testing.T) {
	bin := chromium(t)
	const n, k = 30, 6
	ix, pngs, feats, cfg := searchFixture(t, n)
	dir := t.TempDir()
	var list []string
	for i, b := range pngs {
		name := fmt.Sprintf("img-%d.png", i)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		list = append(list, name)
	}
	os.WriteFile(filepath.Join(dir, "list.txt"), []byte(strings.Join(list, "\n")+"\n"), 0o644)
	cfg.Images = search.NewImages([]search.Source{{Dataset: "files", Path: filepath.Join(dir, "list.txt"), Row: 0, Count: n}}, ix.IDs)
	cfg.APIKey = "browser-key"
	run := t.TempDir()
	var recs []string
	for step := 0; step <= 200; step += 20 {
		b, _ := json.Marshal(map[string]any{"kind": "step", "step": step, "loss": 2.0 / float64(step+10), "beta": 0.99 + float64(step)*2e-6})
		recs = append(recs, string(b))
	}
	os.WriteFile(filepath.Join(run, "metrics.jsonl"), []byte(strings.Join(recs, "\n")+"\n"), 0o644)
	os.WriteFile(filepath.Join(run, "neighbors.png"), pngs[0], 0o644)
	cfg.RunDir = run
	_, ts := newTestServer(t, cfg)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(900, 1000),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	query := filepath.Join(dir, "img-11.png")
	want, err := ix.Search(feats[11*ix.Dim():12*ix.Dim()], k, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs []string
	for _, r := range want[0] {
		wantIDs = append(wantIDs, r.ID)
	}
	steps := []struct {
		name string
		a    chromedp.Action[chromedp.Void]
	}{
		{"open the page", chromedp.Navigate(ts.URL + "/")},
		{"type the key", chromedp.SendKeys(chromedp.ID("key"), "browser-key")},
		{"submit the key", chromedp.Click(chromedp.CSS("#key-form button"))},
		{"class list filled", chromedp.WaitReady(chromedp.CSS(`#class option[value="eel"]`))},
		{"set k", chromedp.SetValue(chromedp.ID("k"), fmt.Sprint(k))},
		{"upload", chromedp.SetUploadFiles(chromedp.ID("file"), []string{query})},
		{"k thumbnails", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#results li:nth-child(%d) img[src^="blob:"]`, k)))},
	}
	for _, st := range steps {
		if err := chromedp.Do(ctx, st.a); err != nil {
			status, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.getElementById('status').textContent`))
			t.Fatalf("search page, %s: %v (page status %q)", st.name, err, status)
		}
	}
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#results li')).map(li => li.dataset.id)`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Fatalf("page shows ids %v, want %v", ids, wantIDs)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	art := artifactDir(t)
	if err := os.WriteFile(filepath.Join(art, "search-page.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/run"),
		chromedp.WaitVisible(chromedp.CSS(`.chart[data-series="loss"] polyline`)),
		chromedp.WaitVisible(chromedp.ID("grid")),
	); err != nil {
		t.Fatalf("run page: %v", err)
	}
	points, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`.chart[data-series="loss"] polyline`), "points"))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(strings.Fields(points.Value)); got != len(recs) {
		t.Fatalf("loss curve has %d points, want %d", got, len(recs))
	}
	if shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(art, "run-page.png"), shot, 0o644)
	}
	t.Logf("screenshots in %s", art)
}
