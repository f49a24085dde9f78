package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAuth: the Bearer scheme is matched in any case (RFC 7235), the token exactly.
func TestAuth(t *testing.T) {
	s := &Server{cfg: Config{APIKey: "s3cret"}}
	h := s.auth(func(w http.ResponseWriter, r *http.Request) error { return nil })
	tests := []struct {
		header string
		ok     bool
	}{
		{"Bearer s3cret", true},
		{"bearer s3cret", true},
		{"BEARER s3cret", true},
		{"bEaReR   s3cret", true},
		{"", false},
		{"s3cret", false},
		{"Bearer", false},
		{"Bearer ", false},
		{"Bearer s3cre", false},
		{"Bearer s3cret ", false},
		{"Bearer s3crets", false},
		{"Basic s3cret", false},
		{"Bearers3cret", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodPost, "/embed", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		err := h(httptest.NewRecorder(), r)
		if got := err == nil; got != tc.ok {
			t.Errorf("Authorization %q: accepted %v, want %v (err %v)", tc.header, got, tc.ok, err)
		}
		if err != nil && statusOf(err) != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", tc.header, statusOf(err))
		}
	}
}

// TestAuthComparesFixedSizeDigests: whatever the length of the token sent, the constant-time
// comparison sees two 32-byte digests, so its duration cannot reveal the key's length
// (subtle.ConstantTimeCompare returns at once when the lengths differ).
func TestAuthComparesFixedSizeDigests(t *testing.T) {
	var lens [][2]int
	orig := constantTimeCompare
	constantTimeCompare = func(a, b []byte) int {
		lens = append(lens, [2]int{len(a), len(b)})
		return orig(a, b)
	}
	defer func() { constantTimeCompare = orig }()
	s := &Server{cfg: Config{APIKey: "s3cret"}}
	h := s.auth(func(w http.ResponseWriter, r *http.Request) error { return nil })
	for _, tok := range []string{"x", "s3cret", strings.Repeat("k", 1000), ""} {
		r := httptest.NewRequest(http.MethodPost, "/embed", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		h(httptest.NewRecorder(), r)
	}
	if len(lens) != 4 {
		t.Fatalf("compared %d times, want 4 (once per request, whatever its header)", len(lens))
	}
	for i, l := range lens {
		if l != [2]int{32, 32} {
			t.Errorf("request %d: compared lengths %v, want [32 32]", i, l)
		}
	}
}
