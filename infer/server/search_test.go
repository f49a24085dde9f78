package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/search"
)

// searchFixture embeds n random images with the test model (directly through the encoder, not
// the server) and indexes them with labels i mod 3 and class names.
func searchFixture(t *testing.T, n int) (*search.Index, [][]byte, []float32, Config) {
	t.Helper()
	enc := newEncoder(t, testModel, 1)
	imgs, pngs := randomPNGs(t, n, 16, 16, 5)
	feats := make([]float32, n*enc.Dim())
	if _, err := enc.ImagesTo(feats, imgs, nil); err != nil {
		t.Fatal(err)
	}
	f := &search.Features{X: append([]float32(nil), feats...), Dim: enc.Dim(), Classes: []string{"cat", "dog", "eel"}}
	for i := range n {
		f.IDs = append(f.IDs, fmt.Sprintf("img-%d.png", i))
		f.Labels = append(f.Labels, int64(i%3))
	}
	f.Sources = []search.Source{{Dataset: "files", Row: 0, Count: n}}
	ix, err := search.Build(f, search.BuildConfig{Kind: search.KindExact})
	if err != nil {
		t.Fatal(err)
	}
	return ix, pngs, feats, Config{Encoder: enc, Index: ix}
}

type searchAnswer struct {
	Data []struct {
		Index   int             `json:"index"`
		Results []search.Result `json:"results"`
	} `json:"data"`
	Index struct {
		Kind  string `json:"kind"`
		Count int    `json:"count"`
	} `json:"index"`
	Error string `json:"error"`
}

func postSearch(t *testing.T, url string, body any, header map[string]string) (int, searchAnswer) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/search", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a searchAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("status %d: %q is not JSON: %v", resp.StatusCode, raw, err)
	}
	return resp.StatusCode, a
}

func TestSearchEndpoint(t *testing.T) {
	const n, k = 60, 5
	ix, pngs, feats, cfg := searchFixture(t, n)
	d := ix.Dim()
	_, ts := newTestServer(t, cfg)
	uri := func(i int) string { return "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngs[i]) }

	// Images: each query image finds itself first (similarity 1), and the results equal the
	// index searched with the encoder's own embedding of that image (what scl neighbors does).
	status, a := postSearch(t, ts.URL, map[string]any{"input": []string{uri(7), uri(31)}, "k": k}, nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, a.Error)
	}
	if len(a.Data) != 2 || a.Index.Count != n || a.Index.Kind != "exact" {
		t.Fatalf("got %d answers, index %+v; want 2, exact of %d", len(a.Data), a.Index, n)
	}
	for qi, item := range []int{7, 31} {
		got := a.Data[qi].Results
		want, err := ix.Search(feats[item*d:(item+1)*d], k, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != k || got[0].Row != item || math.Abs(float64(got[0].Score)-1) > 1e-5 {
			t.Fatalf("query %d: first hit %+v of %d, want row %d with score 1", qi, got[0], len(got), item)
		}
		for j := range want[0] {
			if got[j].Row != want[0][j].Row || got[j].ID != want[0][j].ID || got[j].Class != want[0][j].Class ||
				math.Abs(float64(got[j].Score-want[0][j].Score)) > 1e-6 {
				t.Fatalf("query %d rank %d: got %+v, want %+v", qi, j, got[j], want[0][j])
			}
		}
	}

	// Vectors, with a class filter: every hit has that class, and they are the best of it.
	status, a = postSearch(t, ts.URL, map[string]any{"vectors": [][]float32{feats[3*d : 4*d]}, "k": 4, "classes": []string{"eel"}}, nil)
	if status != http.StatusOK {
		t.Fatalf("vectors: status %d: %s", status, a.Error)
	}
	want, _ := ix.Search(feats[3*d:4*d], 4, search.Options{Labels: []int64{2}})
	if !reflect.DeepEqual(a.Data[0].Results, want[0]) {
		t.Fatalf("class filter: got %+v, want %+v", a.Data[0].Results, want[0])
	}
	for _, r := range a.Data[0].Results {
		if r.Class != "eel" || r.Label != 2 {
			t.Fatalf("class filter eel: got %+v", r)
		}
	}

	bad := []struct {
		name string
		body any
		want string
	}{
		{"nothing", map[string]any{"k": 3}, "missing"},
		{"both", map[string]any{"input": uri(0), "vectors": [][]float32{feats[:d]}}, "not both"},
		{"k zero", map[string]any{"input": uri(0), "k": 0}, "k: got 0"},
		{"k huge", map[string]any{"input": uri(0), "k": 100000}, "k: got 100000"},
		{"wrong dim", map[string]any{"vectors": [][]float32{{1, 2}}}, "2 values"},
		{"unknown class", map[string]any{"input": uri(0), "classes": []string{"yak"}}, "not a class"},
		{"label out of range", map[string]any{"input": uri(0), "labels": []int{7}}, "labels[0]"},
		{"bad image", map[string]any{"input": "aGVsbG8="}, "image 0: cannot decode"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			status, a := postSearch(t, ts.URL, c.body, nil)
			if status != http.StatusBadRequest || !strings.Contains(a.Error, c.want) {
				t.Fatalf("got %d %q, want 400 mentioning %q", status, a.Error, c.want)
			}
		})
	}
}

func TestSearchEndpointAuthAndImages(t *testing.T) {
	ix, pngs, _, cfg := searchFixture(t, 12)
	cfg.APIKey = "k3y"
	// Items are the test's PNGs, served through a files data set written to disk.
	dir := t.TempDir()
	var list []string
	for i, b := range pngs {
		name := fmt.Sprintf("img-%d.png", i)
		if err := os.WriteFile(dir+"/"+name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		list = append(list, name)
	}
	if err := os.WriteFile(dir+"/list.txt", []byte(strings.Join(list, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srcs := []search.Source{{Dataset: "files", Path: dir + "/list.txt", Row: 0, Count: 12}}
	cfg.Images = search.NewImages(srcs, ix.IDs)
	_, ts := newTestServer(t, cfg)
	body := map[string]any{"input": base64.StdEncoding.EncodeToString(pngs[0]), "k": 2}
	if status, _ := postSearch(t, ts.URL, body, nil); status != http.StatusUnauthorized {
		t.Fatalf("no key: status %d, want 401", status)
	}
	if status, a := postSearch(t, ts.URL, body, map[string]string{"Authorization": "Bearer k3y"}); status != http.StatusOK || a.Data[0].Results[0].Row != 0 {
		t.Fatalf("with key: status %d %+v", status, a)
	}
	get := func(path, key string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if status, _ := get("/v1/images/3", ""); status != http.StatusUnauthorized {
		t.Fatalf("image without key: status %d, want 401", status)
	}
	status, b := get("/v1/images/3", "k3y")
	if status != http.StatusOK {
		t.Fatalf("image: status %d %s", status, b)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := data.DecodeImage(pngs[3])
	if got := data.FromImage(img); !bytes.Equal(got.Pix, want.Pix) {
		t.Fatal("image 3: served pixels differ from the file's")
	}
	if status, _ := get("/v1/images/99", "k3y"); status != http.StatusNotFound {
		t.Fatalf("image 99: status %d, want 404", status)
	}
}
