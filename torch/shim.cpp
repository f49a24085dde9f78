//go:build !notorch

// shim.cpp — implementation of the C ABI in shim.h over libtorch's C++ API.
//
// Only API common to libtorch 1.13 and 2.x is used. Operators are called boxed through the
// dispatcher, so every aten operator (with autograd and autocast) is reachable without a C++
// wrapper per op; the Go side encodes the arguments.
#include "shim.h"
#include "shim_common.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct scl_op_s {
  c10::OperatorHandle h;
};

namespace {

scl_tensor wrap(at::Tensor t) {
  if (!t.defined()) return nullptr;
  return new scl_tensor_s{std::move(t)};
}

const at::Tensor &undefined_tensor() {
  static const at::Tensor u;
  return u;
}

const at::Tensor &unwrap(scl_tensor t) { return t == nullptr ? undefined_tensor() : t->t; }

// Intra-op thread count requested through scl_set_num_threads (0: libtorch's default).
// at::set_num_threads only reaches OpenMP's per-thread setting of the calling OS thread (and of
// threads that start using ATen later), while cgo calls arrive on whichever thread the goroutine
// runs on; every call brings its thread in line first (omp_get_max_threads is cheap).
std::atomic<int> g_threads{0};

}  // namespace

void scl_shim::sync_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n > 0 && at::get_num_threads() != n) at::set_num_threads(n);
}

namespace {

using scl_shim::sync_threads;

// Autocast state per device type. PyTorch 2.4 replaced the CUDA/CPU-specific setters with
// device-generic ones and made the old ones warn on every call, so pick by version.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(at::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
at::ScalarType autocast_dtype(at::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_autocast(at::DeviceType d, bool on, at::ScalarType dt) {
  at::autocast::set_autocast_enabled(d, on);
  at::autocast::set_autocast_dtype(d, dt);
}
#else
bool autocast_enabled(at::DeviceType d) {
  return d == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
at::ScalarType autocast_dtype(at::DeviceType d) {
  return d == at::kCUDA ? at::autocast::get_autocast_gpu_dtype()
                        : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast(at::DeviceType d, bool on, at::ScalarType dt) {
  if (d == at::kCUDA) {
    at::autocast::set_enabled(on);
    at::autocast::set_autocast_gpu_dtype(dt);
  } else {
    at::autocast::set_cpu_enabled(on);
    at::autocast::set_autocast_cpu_dtype(dt);
  }
}
#endif

// ModeGuard sets grad mode and autocast state for one call and restores them afterwards.
class ModeGuard {
 public:
  explicit ModeGuard(int mode)
      : prev_grad_(c10::GradMode::is_enabled()), autocast_((mode >> 8) & 0xff) {
    c10::GradMode::set_enabled((mode & SCL_MODE_NO_GRAD) == 0);
    if (autocast_ != 0) {
      dev_ = ((mode >> 16) & 0xff) == 1 ? at::kCUDA : at::kCPU;
      prev_enabled_ = autocast_enabled(dev_);
      prev_dtype_ = autocast_dtype(dev_);
      set_autocast(dev_, true, static_cast<at::ScalarType>(autocast_ - 1));
      at::autocast::increment_nesting();
    }
  }
  ~ModeGuard() {
    if (autocast_ != 0) {
      // The cast cache lives for one call unless a hold (scl_autocast_cache_hold) keeps the
      // nesting above zero for a whole forward pass.
      if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
      set_autocast(dev_, prev_enabled_, prev_dtype_);
    }
    c10::GradMode::set_enabled(prev_grad_);
  }
  ModeGuard(const ModeGuard &) = delete;
  ModeGuard &operator=(const ModeGuard &) = delete;

 private:
  bool prev_grad_;
  int autocast_;
  at::DeviceType dev_ = at::kCPU;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

void flatten(const c10::IValue &v, std::vector<scl_tensor> &out, double *scalar) {
  if (v.isTensor()) {
    out.push_back(wrap(v.toTensor()));
  } else if (v.isTensorList()) {
    for (const at::Tensor &t : v.toTensorVector()) out.push_back(wrap(t));
  } else if (v.isTuple()) {
    for (const auto &e : v.toTupleRef().elements()) flatten(e, out, scalar);
  } else if (v.isNone()) {
    out.push_back(nullptr);
  } else if (v.isDouble()) {
    *scalar = v.toDouble();
  } else if (v.isInt()) {
    *scalar = static_cast<double>(v.toInt());
  } else if (v.isBool()) {
    *scalar = v.toBool() ? 1.0 : 0.0;
  } else if (v.isList()) {
    for (const auto &e : v.toListRef()) flatten(e, out, scalar);
  } else {
    throw std::runtime_error("unsupported operator result type " + v.tagKind());
  }
}

}  // namespace

extern "C" {

scl_op scl_op_lookup(const char *name, const char *overload, char **err) {
  SCL_TRY
  auto h = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
  return new scl_op_s{h};
  SCL_CATCH(err)
  return nullptr;
}

void scl_op_call(scl_op op, int mode, int nargs, const int32_t *kinds, const int64_t *ints,
                 const double *dbls, const scl_tensor *tensors, const char *strs,
                 scl_tensor **outs, int *nout, double *scalar_out, char **err) {
  *outs = nullptr;
  *nout = 0;
  std::vector<scl_tensor> results;
  SCL_TRY
  torch::jit::Stack stack;
  stack.reserve(nargs);
  size_t ii = 0, di = 0, ti = 0, si = 0;
  for (int a = 0; a < nargs; a++) {
    switch (kinds[a]) {
      case SCL_ARG_NONE:
        stack.emplace_back();
        break;
      case SCL_ARG_TENSOR:
        stack.emplace_back(unwrap(tensors[ti++]));
        break;
      case SCL_ARG_INT:
        stack.emplace_back(ints[ii++]);
        break;
      case SCL_ARG_DOUBLE:
        stack.emplace_back(dbls[di++]);
        break;
      case SCL_ARG_BOOL:
        stack.emplace_back(ints[ii++] != 0);
        break;
      case SCL_ARG_INT_LIST: {
        int64_t n = ints[ii++];
        std::vector<int64_t> v(ints + ii, ints + ii + n);
        ii += n;
        stack.emplace_back(c10::List<int64_t>(v));
        break;
      }
      case SCL_ARG_DOUBLE_LIST: {
        int64_t n = ints[ii++];
        std::vector<double> v(dbls + di, dbls + di + n);
        di += n;
        stack.emplace_back(c10::List<double>(v));
        break;
      }
      case SCL_ARG_TENSOR_LIST: {
        int64_t n = ints[ii++];
        c10::List<at::Tensor> l;
        l.reserve(n);
        for (int64_t k = 0; k < n; k++) l.push_back(unwrap(tensors[ti++]));
        stack.emplace_back(l);
        break;
      }
      case SCL_ARG_OPT_TENSOR_LIST: {
        int64_t n = ints[ii++];
        c10::List<c10::optional<at::Tensor>> l;
        l.reserve(n);
        for (int64_t k = 0; k < n; k++) {
          scl_tensor t = tensors[ti++];
          if (t == nullptr) {
            l.push_back(c10::nullopt);
          } else {
            l.push_back(t->t);
          }
        }
        stack.emplace_back(l);
        break;
      }
      case SCL_ARG_DEVICE: {
        auto type = static_cast<c10::DeviceType>(ints[ii++]);
        auto index = static_cast<c10::DeviceIndex>(ints[ii++]);
        stack.emplace_back(c10::Device(type, index));
        break;
      }
      case SCL_ARG_STRING: {
        int64_t n = ints[ii++];
        stack.emplace_back(std::string(strs + si, strs + si + n));
        si += n;
        break;
      }
      default:
        throw std::runtime_error("unknown argument kind " + std::to_string(kinds[a]));
    }
  }
  sync_threads();
  {
    ModeGuard guard(mode);
    op->h.callBoxed(&stack);
  }
  for (const auto &v : stack) flatten(v, results, scalar_out);
  if (!results.empty()) {
    *outs = static_cast<scl_tensor *>(std::malloc(sizeof(scl_tensor) * results.size()));
    if (*outs == nullptr) throw std::bad_alloc();
    std::memcpy(*outs, results.data(), sizeof(scl_tensor) * results.size());
    *nout = static_cast<int>(results.size());
  }
  return;
  SCL_CATCH(err)
  for (scl_tensor t : results) delete t;
}

void scl_tensor_free(scl_tensor t) { delete t; }

scl_tensor scl_tensor_share(scl_tensor t, char **err) {
  SCL_TRY
  return new scl_tensor_s{unwrap(t)};
  SCL_CATCH(err)
  return nullptr;
}

scl_tensor scl_tensor_from_data(const void *data, int64_t nbytes, const int64_t *shape, int ndim,
                                int dtype, char **err) {
  SCL_TRY
  auto opts = at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype));
  at::Tensor t = at::empty(at::IntArrayRef(shape, ndim), opts);
  if (static_cast<int64_t>(t.nbytes()) != nbytes) {
    throw std::runtime_error("data has " + std::to_string(nbytes) + " bytes, shape needs " +
                             std::to_string(t.nbytes()));
  }
  if (nbytes > 0) std::memcpy(t.data_ptr(), data, nbytes);
  return new scl_tensor_s{std::move(t)};
  SCL_CATCH(err)
  return nullptr;
}

void scl_tensor_copy_to(scl_tensor t, void *dst, int64_t nbytes, char **err) {
  SCL_TRY
  c10::AutoGradMode no_grad(false);
  at::Tensor c = unwrap(t).detach().to(at::kCPU).contiguous();
  if (static_cast<int64_t>(c.nbytes()) != nbytes) {
    throw std::runtime_error("destination has " + std::to_string(nbytes) +
                             " bytes, tensor has " + std::to_string(c.nbytes()));
  }
  if (nbytes > 0) std::memcpy(dst, c.data_ptr(), nbytes);
  SCL_CATCH(err)
}

int scl_tensor_info(scl_tensor t, int *dtype, int *device_type, int *device_index, int *ndim,
                    int *requires_grad) {
  if (t == nullptr || !t->t.defined()) return 0;
  const at::Tensor &x = t->t;
  *dtype = static_cast<int>(x.scalar_type());
  *device_type = static_cast<int>(x.device().type());
  *device_index = static_cast<int>(x.device().index());
  *ndim = static_cast<int>(x.dim());
  *requires_grad = x.requires_grad() ? 1 : 0;
  return 1;
}

void scl_tensor_shape(scl_tensor t, int64_t *sizes, int64_t *strides, int max) {
  const at::Tensor &x = unwrap(t);
  if (!x.defined()) return;
  int n = static_cast<int>(x.dim());
  bool has_strides = !x.is_mkldnn() && !x.is_sparse();
  for (int i = 0; i < n && i < max; i++) {
    sizes[i] = x.size(i);
    strides[i] = has_strides ? x.stride(i) : 0;
  }
}

void scl_tensor_set_requires_grad(scl_tensor t, int flag, char **err) {
  SCL_TRY
  if (t == nullptr) throw std::runtime_error("undefined tensor");
  t->t.requires_grad_(flag != 0);
  SCL_CATCH(err)
}

scl_tensor scl_tensor_grad(scl_tensor t, char **err) {
  SCL_TRY
  if (t == nullptr) throw std::runtime_error("undefined tensor");
  return wrap(t->t.grad());
  SCL_CATCH(err)
  return nullptr;
}

void scl_tensor_set_grad(scl_tensor t, scl_tensor g, char **err) {
  SCL_TRY
  if (t == nullptr) throw std::runtime_error("undefined tensor");
  t->t.mutable_grad() = unwrap(g);
  SCL_CATCH(err)
}

void scl_backward(int n, const scl_tensor *roots, const scl_tensor *grads, int retain_graph,
                  int create_graph, char **err) {
  SCL_TRY
  std::vector<at::Tensor> r, g;
  for (int i = 0; i < n; i++) {
    r.push_back(unwrap(roots[i]));
    g.push_back(grads == nullptr ? at::Tensor() : unwrap(grads[i]));
  }
  sync_threads();
  c10::AutoGradMode grad_mode(create_graph != 0);
  torch::autograd::backward(r, g, c10::optional<bool>(retain_graph != 0), create_graph != 0);
  SCL_CATCH(err)
}

void scl_manual_seed(uint64_t seed, char **err) {
  SCL_TRY
  at::manual_seed(seed);
  SCL_CATCH(err)
}

int scl_cuda_device_count(void) {
  try {
    return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  } catch (...) {
    return 0;
  }
}

void scl_set_num_threads(int n) {
  try {
    if (n <= 0) return;
    g_threads.store(n);
    at::set_num_threads(n);
  } catch (...) {
  }
}

int scl_num_threads(void) { return at::get_num_threads(); }

void scl_autocast_cache_hold(void) { at::autocast::increment_nesting(); }

void scl_autocast_cache_release(void) {
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
}

void scl_cuda_synchronize(int index, char **err) {
  SCL_TRY
  if (torch::cuda::is_available()) torch::cuda::synchronize(index);
  SCL_CATCH(err)
}

const char *scl_version(void) {
#ifdef TORCH_VERSION
  return TORCH_VERSION;
#else
  return "unknown";
#endif
}

}  // extern "C"
