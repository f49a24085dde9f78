//go:build !notorch

package dist

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/scl-dev/scl/torch"
)

// DefaultTimeout is the timeout of rendezvous and of every collective when Options.Timeout is 0.
const DefaultTimeout = 5 * time.Minute

// Options describes one process's place in a process group.
type Options struct {
	// Backend is Gloo (CPU tensors) or NCCL (CUDA tensors).
	Backend Backend
	// Addr and Port locate the TCPStore that rank 0 serves (torchrun's MASTER_ADDR and
	// MASTER_PORT).
	Addr string
	Port int
	// Rank is this process's rank in [0, World); World is the number of processes.
	Rank, World int
	// Timeout bounds rendezvous and every collective; 0 means DefaultTimeout.
	Timeout time.Duration
	// BindHost is the address Gloo's transport binds to; empty means: the loopback address when
	// Addr is a loopback address, else Interface, else the address the host name resolves to.
	BindHost string
	// Interface is the network interface Gloo binds to when BindHost is empty (like
	// GLOO_SOCKET_IFNAME).
	Interface string
	// ClientOnly makes every rank, rank 0 included, a client of a TCPStore that the launcher
	// already serves at Addr:Port (torchrun's agent store, TORCHELASTIC_USE_AGENT_STORE=True).
	ClientOnly bool
	// StorePrefix namespaces this group's keys in the store (e.g. "/worker/attempt_0" in
	// torchrun's agent store); empty means none.
	StorePrefix string
}

func (o Options) validate() error {
	switch {
	case o.Backend != Gloo && o.Backend != NCCL:
		return fmt.Errorf("dist: backend %v: want gloo or nccl", o.Backend)
	case o.World < 1:
		return fmt.Errorf("dist: world size %d: want ≥ 1", o.World)
	case o.Rank < 0 || o.Rank >= o.World:
		return fmt.Errorf("dist: rank %d: want 0 ≤ rank < world size %d", o.Rank, o.World)
	case o.Addr == "":
		return errors.New("dist: empty store address: want the host rank 0 runs on (MASTER_ADDR)")
	case o.Port < 1 || o.Port > 65535:
		return fmt.Errorf("dist: store port %d: want 1..65535 (MASTER_PORT)", o.Port)
	case o.Timeout < 0:
		return fmt.Errorf("dist: timeout %v: want ≥ 0 (0 means %v)", o.Timeout, DefaultTimeout)
	}
	return nil
}

// Available reports whether this build can create groups of backend b, and if not, an error
// saying how to enable it.
func Available(b Backend) error {
	var why *C.char
	if C.scl_dist_backend_available(C.int(b), &why) != 0 {
		return nil
	}
	msg := "unknown reason"
	if why != nil {
		msg = C.GoString(why)
	}
	return fmt.Errorf("dist: %v backend unavailable: %s", b, msg)
}

// Group is one process's membership in a c10d process group. Collectives are blocking: they
// return when the operation has completed on this rank, failed, or timed out. After a failure
// (a peer died or hung) the group is unusable: Close it and end the job.
//
// Collective calls must be made in the same order on every rank. A Group serialises its own
// calls, so it is safe for concurrent use, but concurrent callers make the order unpredictable.
type Group struct {
	mu      sync.Mutex
	store   C.scl_dist_store
	pg      C.scl_dist_pg
	opts    Options
	timeout time.Duration
}

// New joins the process group described by o: rank 0 starts the TCPStore, every rank connects
// to it, and the backend's rendezvous runs through it. It returns when all o.World ranks have
// joined, or an error after o.Timeout. The caller must Close the group.
func New(o Options) (*Group, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := Available(o.Backend); err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	g := &Group{opts: o, timeout: timeout}
	host := C.CString(o.Addr)
	defer C.free(unsafe.Pointer(host))
	var cerr *C.char
	server := C.int(0)
	if o.Rank == 0 && !o.ClientOnly {
		server = 1
	}
	prefix := C.CString(o.StorePrefix)
	defer C.free(unsafe.Pointer(prefix))
	g.store = C.scl_dist_store_new(host, C.int(o.Port), server, C.int(o.World), C.int64_t(timeout.Milliseconds()), prefix, &cerr)
	if err := takeError(fmt.Sprintf("store %s:%d (rank %d of %d)", o.Addr, o.Port, o.Rank, o.World), cerr); err != nil {
		return nil, err
	}
	bind := o.BindHost
	if bind == "" && o.Interface == "" && isLoopback(o.Addr) {
		bind = "127.0.0.1"
	}
	cbind := C.CString(bind)
	defer C.free(unsafe.Pointer(cbind))
	cif := C.CString(o.Interface)
	defer C.free(unsafe.Pointer(cif))
	g.pg = C.scl_dist_pg_new(g.store, C.int(o.Backend), C.int(o.Rank), C.int(o.World), C.int64_t(timeout.Milliseconds()), cbind, cif, &cerr)
	if err := takeError(fmt.Sprintf("%v process group (rank %d of %d)", o.Backend, o.Rank, o.World), cerr); err != nil {
		C.scl_dist_store_free(g.store)
		g.store = nil
		return nil, err
	}
	return g, nil
}

func isLoopback(addr string) bool {
	return addr == "localhost" || strings.HasPrefix(addr, "127.") || addr == "::1"
}

// Close leaves the group and frees it; it waits for queued collectives (bounded by the
// timeout). Idempotent and safe on nil.
func (g *Group) Close() error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pg != nil {
		C.scl_dist_pg_free(g.pg)
		g.pg = nil
	}
	if g.store != nil {
		C.scl_dist_store_free(g.store)
		g.store = nil
	}
	return nil
}

// Rank returns this process's rank.
func (g *Group) Rank() int { return g.opts.Rank }

// World returns the number of processes in the group.
func (g *Group) World() int { return g.opts.World }

// Backend returns the group's backend.
func (g *Group) Backend() Backend { return g.opts.Backend }

// Timeout returns the timeout applied to every collective.
func (g *Group) Timeout() time.Duration { return g.timeout }

// ErrClosed is returned by collectives on a closed group.
var ErrClosed = errors.New("dist: group is closed")

// Error is a failed collective: the operation, this rank, and c10d's message.
type Error struct {
	Op   string
	Rank int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("dist: %s (rank %d): %s", e.Op, e.Rank, e.Msg) }

func takeError(op string, cerr *C.char) error {
	if cerr == nil {
		return nil
	}
	msg := C.GoString(cerr)
	C.free(unsafe.Pointer(cerr))
	return &Error{Op: op, Rank: -1, Msg: strings.TrimSpace(msg)}
}

// collective runs fn with the group locked, pinning the tensors' handles for the call, and
// turns a native error into an *Error.
func (g *Group) collective(op string, ts []*torch.Tensor, fn func(pg C.scl_dist_pg, hs *unsafe.Pointer, n C.int, ms C.int64_t, cerr **C.char)) error {
	if g == nil {
		return ErrClosed
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pg == nil {
		return ErrClosed
	}
	// The handle array lives in C memory: the shim may not hold Go pointers.
	var hs *unsafe.Pointer
	if len(ts) > 0 {
		hs = (*unsafe.Pointer)(C.malloc(C.size_t(len(ts)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
		defer C.free(unsafe.Pointer(hs))
		arr := unsafe.Slice(hs, len(ts))
		for i, t := range ts {
			if t.Closed() {
				return &Error{Op: op, Rank: g.opts.Rank, Msg: fmt.Sprintf("tensor %d is nil or closed", i)}
			}
			arr[i] = t.UnsafeHandle()
		}
	}
	var cerr *C.char
	fn(g.pg, hs, C.int(len(ts)), C.int64_t(g.timeout.Milliseconds()), &cerr)
	runtime.KeepAlive(ts)
	if err := takeError(op, cerr); err != nil {
		e := err.(*Error)
		e.Rank = g.opts.Rank
		return e
	}
	return nil
}

// AllReduce reduces each tensor element-wise across ranks with op, in place. Every rank passes
// tensors of the same shapes and dtypes in the same order.
func (g *Group) AllReduce(op ReduceOp, ts ...*torch.Tensor) error {
	if err := op.validate(); err != nil {
		return err
	}
	return g.collective("all-reduce "+op.String(), ts, func(pg C.scl_dist_pg, hs *unsafe.Pointer, n C.int, ms C.int64_t, cerr **C.char) {
		C.scl_dist_allreduce(pg, hs, n, C.int(op), ms, cerr)
	})
}

// AllReduceGrads reduces the gradients of params with op, bucket by bucket: bucket b holds
// params[ends[b-1]:ends[b]] (ends[-1] = 0, ends[len-1] = len(params)), packed into one buffer,
// so a bucket costs one collective however many tensors it holds. A parameter without a
// gradient contributes zeros and receives the reduced gradient. Later buckets are packed
// while earlier ones are on the wire.
func (g *Group) AllReduceGrads(op ReduceOp, params []*torch.Tensor, ends []int) error {
	if err := op.validate(); err != nil {
		return err
	}
	prev := 0
	for i, e := range ends {
		if e < prev || e > len(params) {
			return fmt.Errorf("dist: all-reduce grads: bucket end %d at %d: want non-decreasing values in [0, %d]", e, i, len(params))
		}
		prev = e
	}
	if prev != len(params) {
		return fmt.Errorf("dist: all-reduce grads: buckets end at %d: want %d (every parameter in a bucket)", prev, len(params))
	}
	cends := (*C.int32_t)(C.malloc(C.size_t(len(ends)+1) * 4))
	defer C.free(unsafe.Pointer(cends))
	arr := unsafe.Slice(cends, len(ends)+1)
	for i, e := range ends {
		arr[i] = C.int32_t(e)
	}
	return g.collective("all-reduce gradients "+op.String(), params, func(pg C.scl_dist_pg, hs *unsafe.Pointer, n C.int, ms C.int64_t, cerr **C.char) {
		C.scl_dist_allreduce_grads(pg, hs, n, cends, C.int(len(ends)), C.int(op), ms, cerr)
	})
}

// Broadcast copies each tensor from rank root to every rank, in place.
func (g *Group) Broadcast(root int, ts ...*torch.Tensor) error {
	if g != nil && (root < 0 || root >= g.opts.World) {
		return fmt.Errorf("dist: broadcast: root %d: want 0 ≤ root < %d", root, g.opts.World)
	}
	return g.collective("broadcast", ts, func(pg C.scl_dist_pg, hs *unsafe.Pointer, n C.int, ms C.int64_t, cerr **C.char) {
		C.scl_dist_broadcast(pg, hs, n, C.int(root), ms, cerr)
	})
}

// AllGatherTo writes every rank's in ([n, …]) into out ([World·n, …], contiguous, same dtype
// and device); rank r's rows start at r·n. Nothing is differentiated through it.
func (g *Group) AllGatherTo(out, in *torch.Tensor) error {
	return g.collective("all-gather", []*torch.Tensor{out, in}, func(pg C.scl_dist_pg, hs *unsafe.Pointer, _ C.int, ms C.int64_t, cerr **C.char) {
		arr := unsafe.Slice(hs, 2)
		C.scl_dist_allgather(pg, arr[0], arr[1], ms, cerr)
	})
}

// AllGather returns a new tensor, owned by s, holding every rank's x stacked along dimension 0
// (rank r's rows at r·n). The result carries no gradient. Errors are recorded in s.
func (g *Group) AllGather(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	if s.Err() != nil {
		return nil
	}
	if x.Closed() || x.Dim() < 1 {
		s.Fail(fmt.Errorf("dist: all-gather: input %v: want a tensor of at least one dimension", x))
		return nil
	}
	shape := x.Shape()
	shape[0] *= int64(g.World())
	out := s.NoGrad().Empty(torch.Opts{DType: x.DType(), Device: x.Device()}, shape...)
	if s.Err() != nil {
		return nil
	}
	if err := g.AllGatherTo(out, x); err != nil {
		s.Fail(err)
		return nil
	}
	return out
}

// Barrier returns once every rank has entered it.
func (g *Group) Barrier() error {
	return g.collective("barrier", nil, func(pg C.scl_dist_pg, _ *unsafe.Pointer, _ C.int, ms C.int64_t, cerr **C.char) {
		C.scl_dist_barrier(pg, ms, cerr)
	})
}

// StoreAdd atomically adds delta to the integer stored under key in the group's TCPStore and
// returns the new value; ranks use it to agree on small facts without a collective.
func (g *Group) StoreAdd(key string, delta int64) (int64, error) {
	if g == nil {
		return 0, ErrClosed
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.store == nil {
		return 0, ErrClosed
	}
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	var cerr *C.char
	v := C.scl_dist_store_add(g.store, ck, C.int64_t(delta), &cerr)
	if err := takeError("store add "+key, cerr); err != nil {
		return 0, err
	}
	return int64(v), nil
}
