// Package server is the HTTP embedding server behind `scl serve`.
//
// Endpoints:
//
//	POST /v1/embeddings  OpenAI's shape: {"input": "<base64 or data URI>" | [...],
//	                     "model": optional, "encoding_format": "float" | "base64",
//	                     "dimensions": optional, must equal the model's}
//	                     → {"object": "list", "data": [{"object": "embedding", "index": i,
//	                        "embedding": [...] | "<base64 little-endian float32>"}],
//	                        "model": name, "usage": {"prompt_tokens": n, "total_tokens": n}}
//	                     (usage counts images)
//	POST /embed          the raw bytes of one JPEG/PNG image, or multipart/form-data with one
//	                     file part per image; ?encoding_format=base64 optional; same response
//	GET  /healthz        liveness: the process answers
//	GET  /readyz         readiness: runs the session on a blank image (at most one check at a
//	                     time, its result reused for a second); 503 while shutting down
//	GET  /info           model, dims, provider, ONNX Runtime version, preprocessing, limits, scl version and commit
//	GET  /metrics        Prometheus text format: requests by path and code, request latency,
//	                     queue wait, queued images, in-flight requests, batch size and
//	                     inference time histograms
//
// With Config.Index (scl serve --index, search.go):
//
//	POST /v1/search      {"input": images as for /v1/embeddings | "vectors": [[...]], "k": 10,
//	                     "labels": [..] | "classes": [".."] optional filter, "exact": bool}
//	                     → {"data": [{"index": i, "results": [{"row", "id", "label", "class",
//	                        "score"}]}], "index": {"kind", "count"}}; same auth, limits,
//	                     batching and metrics as /v1/embeddings
//	GET  /v1/index       kind, count, dim, class names
//	GET  /v1/images/{row} an indexed item's image as PNG (Config.Images)
//
// Web pages (web.go, files embedded from web/, no build step, nothing fetched elsewhere):
// GET / searches by image; GET /run draws Config.RunDir's metrics.jsonl (GET /v1/run/metrics)
// and newest neighbors*.png (GET /v1/run/grid). The pages ask for the API key and keep it in the
// tab's session storage; it never appears in a URL. Without an encoder (Config.Encoder nil,
// `scl serve --runs DIR` alone) the server serves the pages, the run data, /healthz, /readyz
// (ready when the run folder can be read) and /info (model fields left out); the embedding and
// search routes answer 503 "no model loaded".
//
// Inputs are bytes, base64 or data URIs only: the server never fetches URLs. With an API key,
// /v1/embeddings, /embed and /info need "Authorization: Bearer <key>"; the probes and /metrics
// stay open for the orchestrator and the scraper.
//
// Concurrent requests are batched dynamically: the first queued image starts a batch that
// takes further images until MaxBatch or MaxWait, then runs once.
//
// Resources are bounded by configuration, not by clients. A request's body is read whole
// (MaxBodyBytes, 413; within BodyTimeout, 408) before it takes one of MaxConcurrent slots
// (429 beyond), so slow senders hold only their own connection; Serve accepts at most MaxConns
// connections. Images are refused (400) above MaxPixels (default 16× the model's input area)
// from their header, before decoding; DecodePixels bounds the pixels decoded at once over all
// requests, so decoding memory stays near 8 bytes per pixel of it. Every stage (waiting for
// the decoding budget, decoding, preprocessing, waiting for a batch) checks the request's
// context: past RequestTimeout the client gets 503 naming the stage. Limits per request:
// MaxImages (400), and DecodeRate images decoded per second after the first MaxBatch (a
// token bucket; a request that would pass its deadline waiting for it gets 503 at once). Errors are JSON
// {"error": "..."}; one function (statusOf) maps errors to status codes. Serve shuts down
// gracefully when its context ends (scl serve cancels it on SIGTERM or Ctrl-C): new
// connections are refused, in-flight requests finish.
//
// A Server is safe for concurrent use. It does not own the encoder's session.
package server
