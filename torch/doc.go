// Package torch is scl's Go binding to libtorch, the C++ engine under PyTorch: tensors, autograd,
// the operators the models, loss and optimizers need, devices and mixed precision. Building
// blocks with parameters live in torch/nn, optimizers and schedules in torch/optim, the dynamic
// loss scaler in torch/amp.
//
// # Scopes own tensors
//
// Every tensor is created through a Scope, which owns it and frees it when the scope closes —
// deterministically, without Go's garbage collector, so a training step's temporaries never
// pile up:
//
//	s := torch.NewScope()
//	defer s.Close()
//	x := s.FromFloat32s(data, 64, 3, 32, 32)
//	y := s.Relu(s.Conv2d(x, w, nil, torch.Conv2dOpts{Padding: [2]int64{1, 1}}))
//	loss := s.Mean(y)
//	if err := s.Err(); err != nil { return err }
//	s.Backward(loss)
//
// A tensor that must outlive the scope is handed out with s.Keep(t): the caller then owns it and
// must Close it (or move it into another scope with Adopt). Close is idempotent and safe on nil
// everywhere. LiveTensors counts open handles; tests assert it returns to its starting value.
// Finalizers are not used: an unclosed tensor is a leak the counter shows.
//
// # Sticky errors
//
// Ops are methods of Scope and return only the result. When libtorch throws (shape or dtype
// mismatch, out of memory) the C++ exception's message becomes an *Error recorded in the scope;
// from then on every op through the scope does nothing and returns nil, and s.Err() reports the
// first failure — like bufio.Scanner. Check s.Err() after a block of math and before using
// results; methods on *Tensor that copy data out (Float32s, Item, …) return errors directly and
// are safe on nil. Scope.Fail lets code built on top (models, losses) report its own failures the
// same way.
//
// # Grad mode and autocast travel with the call
//
// libtorch keeps grad mode and autocast state per OS thread, and a goroutine may change threads
// between two cgo calls; so no state is left set between calls. A Scope carries a mode — views
// s.NoGrad(), s.WithGrad(), s.Autocast(torch.CUDADevice, torch.Float16) share the parent's
// tensors and error — and every native call sets that mode inside its C++ body and restores the
// thread's state before returning. The autocast cast cache therefore lives for one op only.
//
// # Operators
//
// Most ops are named after PyTorch's (Conv2d, BatchNorm, Linear, Relu, Silu, MaxPool2d,
// AdaptiveAvgPool2d, Softmax, LogSigmoid, TopK, Normalize, KLDiv, ResizeBilinear, …). They are
// called boxed through libtorch's dispatcher, so autograd and autocast apply exactly as in
// PyTorch. Scope.Call with NewArgs reaches any other aten operator by name:
//
//	out := s.Call("aten::hardswish", "", torch.NewArgs().Tensor(x))
//
// In-place updates (AddInPlace, LerpInPlace, CopyInPlace, …) modify their first argument and
// create no handle; on leaves that require grad run them through s.NoGrad(). ReluInPlace,
// SiluInPlace and AddInPlace on activations are recorded by autograd like PyTorch's
// inplace=True modules (a ResNet-18 step without them took 6–15% more CPU time in PyTorch
// here). Foreach* ops
// update whole lists of tensors in one call (optimizers, EMA).
//
// Arguments follow the aten schemas of libtorch 1.13, which PyTorch 2.x keeps for every
// operator wrapped here; a boxed call must pass every argument, defaults included.
//
// # Native boundary
//
// shim.h is the whole C ABI: every function catches every C++ exception and returns its message
// through a char** out-parameter. C never keeps a Go pointer after a call returns. Tensor data
// crosses by copy (FromFloat32s, Float32s, Bytes). Tensor.UnsafeHandle lends the native handle
// to sibling cgo packages (torch/dist) for the duration of a call.
//
// # Threads
//
// SetNumThreads sets libtorch's intra-op thread count for the process; since OpenMP keeps it
// per OS thread, every native call first applies it to the thread it runs on.
//
// # Concurrency
//
// Scopes and tensors are not safe for concurrent use; use one scope per goroutine. Package-level
// functions (ManualSeed, SetNumThreads, CUDADeviceCount, LiveTensors) are safe to call from any
// goroutine.
//
// # Builds
//
// The default build links Debian's libtorch-dev 1.13.1 (CPU) from /usr/include and the system
// library path. With -tags customtorch those defaults are dropped and the flags come from
// CGO_CXXFLAGS/CGO_LDFLAGS alone, e.g. for the libtorch inside a PyTorch 2.x install with CUDA:
//
//	eval "$(scripts/torch-flags.sh)"; go build -tags customtorch ./...
//
// With -tags notorch the package compiles to an empty shell without cgo (for serving builds
// that never import it).
package torch
