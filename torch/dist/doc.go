// Package dist is scl's Go binding to c10d, PyTorch's collective engine: rendezvous through a
// TCPStore, process groups on Gloo (CPU tensors) or NCCL (CUDA tensors), and the collectives
// data-parallel training needs — all-reduce (sum, average, max, min; per tensor or bucketed
// over parameter gradients), all-gather, broadcast and barrier.
//
//	g, err := dist.New(dist.Options{Backend: dist.Gloo, Addr: "127.0.0.1", Port: 29500,
//		Rank: rank, World: 2, Timeout: time.Minute})
//	if err != nil { return err }
//	defer g.Close()
//	err = g.AllReduce(dist.Avg, t) // t is updated in place on every rank
//
// # Failures and timeouts
//
// Every collective blocks until it completes on this rank, fails or times out (Options.Timeout,
// applied to rendezvous, to the backend and to each wait). A dead peer surfaces as an error
// from the next collective — Gloo sees the closed connection at once; a hung peer surfaces
// after the timeout — never as a silent hang. Errors are *Error values carrying c10d's
// message; after one the group is unusable and the job should end.
//
// # Ownership and concurrency
//
// A Group is owned by its creator, who must Close it (idempotent). Tensors are borrowed for
// the duration of a call, through torch's Tensor.UnsafeHandle; nothing is kept afterwards.
// A Group serialises its calls; collectives must be issued in the same order on every rank.
//
// # Builds
//
// Needs libtorch (cgo) like package torch, and Gloo's headers at build time (Debian:
// libgloo-dev; PyTorch 2.x installs ship them under include/). Without them the package still
// builds and Available(Gloo) reports how to fix it. Go's build cache does not track system
// headers: after installing them, rebuild with go build -a (or go clean -cache). NCCL is compiled in only with -tags nccl
// (together with -tags customtorch and a CUDA libtorch from CGO_CXXFLAGS/CGO_LDFLAGS), because
// Debian's CPU libtorch has no ProcessGroupNCCL; the NCCL path sets TORCH_NCCL_BLOCKING_WAIT=1
// unless the user set it, so that a dead peer becomes an error after the timeout. With
// -tags notorch only the pure-Go types remain.
package dist
