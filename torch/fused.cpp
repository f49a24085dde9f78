//go:build !notorch

// fused.cpp — single-pass CPU kernels for the per-step parameter updates (Adam/AdamW and the
// EMA of the target network). The multi-tensor ("foreach") ops libtorch 1.13 offers on the CPU
// are loops of ordinary element-wise ops: an Adam step is nine passes over the parameters'
// memory and an EMA two. These kernels read each element once and write it once, keep the order
// of float operations of the op sequence they replace (so results agree with it to the last bit
// or within an ulp), and split all the tensors, laid end to end, across libtorch's intra-op
// threads in one parallel region per call.
//
// Each kernel first checks every tensor (CPU, dense in its parameter's memory layout —
// contiguous or channels-last — of its parameter's dtype, float32 or float64, and size) and
// returns 0 without writing anything when one does not qualify; the
// caller then uses the multi-tensor ops (CUDA, bf16 parameters, strided views).
#include "shim.h"
#include "shim_common.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace {

// Elements per inner block of the EMA: a constant trip count lets GCC's -O2 vectoriser handle
// the block.
constexpr int64_t kLanes = 16;
// Below this many elements a tensor is updated by the calling thread alone.
constexpr int64_t kGrain = 1 << 15;

// qualifies says t can be updated element by element over its memory together with ref, the
// parameter: a CPU tensor of ref's dtype and size whose elements fill their memory without gaps
// or overlaps (contiguous, channels-last, ...) in ref's order (the same strides), so that the
// i-th element in memory of every tensor of a parameter is the same logical element.
bool qualifies(const at::Tensor &t, const at::Tensor &ref, at::ScalarType dt) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == dt && t.sizes() == ref.sizes() &&
         t.strides() == ref.strides() && t.is_non_overlapping_and_dense() && !t.is_inference();
}

// The tensors of one parameter must share its dtype, float32 or float64, and its numel.
bool float_dtype(const at::Tensor &t, at::ScalarType *dt) {
  if (!t.defined()) return false;
  *dt = t.scalar_type();
  return *dt == at::kFloat || *dt == at::kDouble;
}

void bump(const at::Tensor &t) { t.unsafeGetTensorImpl()->bump_version(); }

// How weight decay enters an Adam update.
enum class Decay { kNone, kCoupled, kDecoupled };

// The Adam update of elements [begin, end), in the order of float operations of scl's
// multi-tensor sequence (and of torch.optim.Adam's single-tensor path; ATen's addcmul and addcdiv
// evaluate self + (value·t1)·t2 and self + (value·t1)/t2):
//   p  = p·keep                    (decoupled decay, keep = 1 − lr·wd)
//   g' = g + wd·p                  (coupled decay)
//   m  = m·β₁ + (1−β₁)·g'
//   v  = v·β₂ + ((1−β₂)·g')·g'
//   d  = √v / √bc₂ + ε
//   p  = p + ((−step)·m) / d
template <typename T>
struct AdamArgs {
  T wd, keep, b1, one_m_b1, b2, one_m_b2, bc2_sqrt, eps, neg_step;
};

template <Decay D, typename T>
inline void adam_elem(T &p, T g, T &m, T &v, const AdamArgs<T> a) {
  if constexpr (D == Decay::kDecoupled) p = p * a.keep;
  if constexpr (D == Decay::kCoupled) g = g + a.wd * p;
  m = m * a.b1;
  m = m + a.one_m_b1 * g;
  v = v * a.b2;
  v = v + a.one_m_b2 * g * g;
  T d = std::sqrt(v);
  d = d / a.bc2_sqrt;
  d = d + a.eps;
  p = p + a.neg_step * m / d;
}

template <Decay D, typename T>
void adam_range(T *__restrict p, const T *__restrict g, T *__restrict m, T *__restrict v,
                int64_t begin, int64_t end, const AdamArgs<T> a) {
  for (int64_t i = begin; i < end; i++) adam_elem<D>(p[i], g[i], m[i], v[i], a);
}

#if defined(__SSE2__)
// float32 four lanes at a time with SSE (every x86-64 CPU has it): GCC keeps the loop above
// scalar because std::sqrt may set errno, which cgo's flags cannot turn off. The same IEEE
// operations in the same order, so the results are those of adam_elem bit for bit.
template <Decay D>
void adam_range_sse(float *__restrict p, const float *__restrict g, float *__restrict m,
                    float *__restrict v, int64_t begin, int64_t end, const AdamArgs<float> a) {
  const __m128 wd = _mm_set1_ps(a.wd), keep = _mm_set1_ps(a.keep), b1 = _mm_set1_ps(a.b1),
               omb1 = _mm_set1_ps(a.one_m_b1), b2 = _mm_set1_ps(a.b2),
               omb2 = _mm_set1_ps(a.one_m_b2), bc2 = _mm_set1_ps(a.bc2_sqrt),
               eps = _mm_set1_ps(a.eps), neg = _mm_set1_ps(a.neg_step);
  int64_t i = begin;
  for (; i + 4 <= end; i += 4) {
    __m128 P = _mm_loadu_ps(p + i), G = _mm_loadu_ps(g + i), M = _mm_loadu_ps(m + i),
           V = _mm_loadu_ps(v + i);
    if constexpr (D == Decay::kDecoupled) P = _mm_mul_ps(P, keep);
    if constexpr (D == Decay::kCoupled) G = _mm_add_ps(G, _mm_mul_ps(wd, P));
    M = _mm_add_ps(_mm_mul_ps(M, b1), _mm_mul_ps(omb1, G));
    V = _mm_add_ps(_mm_mul_ps(V, b2), _mm_mul_ps(_mm_mul_ps(omb2, G), G));
    __m128 d = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(V), bc2), eps);
    P = _mm_add_ps(P, _mm_div_ps(_mm_mul_ps(neg, M), d));
    _mm_storeu_ps(p + i, P);
    _mm_storeu_ps(m + i, M);
    _mm_storeu_ps(v + i, V);
  }
  adam_range<D, float>(p, g, m, v, i, end, a);
}
#endif

// adam_block updates elements [begin, end) with the fastest form for T.
template <Decay D, typename T>
void adam_block(T *p, const T *g, T *m, T *v, int64_t begin, int64_t end, const AdamArgs<T> a) {
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    adam_range_sse<D>(p, g, m, v, begin, end, a);
    return;
  }
#endif
  adam_range<D, T>(p, g, m, v, begin, end, a);
}

// for_spans calls fn(k, lo, hi) for each part [lo, hi) of tensor k that lies in [begin, end) of
// the tensors laid end to end; starts holds each tensor's first index there and, last, the total.
template <typename F>
void for_spans(const std::vector<int64_t> &starts, int64_t begin, int64_t end, F fn) {
  size_t k = std::upper_bound(starts.begin(), starts.end(), begin) - starts.begin() - 1;
  while (begin < end) {
    int64_t lo = begin - starts[k], hi = std::min(end, starts[k + 1]) - starts[k];
    if (hi > lo) fn(k, lo, hi);
    begin = starts[k] + hi;
    k++;
  }
}

// parallel_spans splits the elements of tensors of the given sizes, laid end to end, across
// libtorch's intra-op threads in one parallel region (one fork and join per step rather than
// one per tensor: a join waits for the slowest thread, and on a shared machine each wait can
// cost a scheduler time slice), calling fn(k, lo, hi) for each piece of tensor k.
template <typename F>
void parallel_spans(const std::vector<int64_t> &sizes, F fn) {
  std::vector<int64_t> starts(sizes.size() + 1, 0);
  for (size_t k = 0; k < sizes.size(); k++) starts[k + 1] = starts[k] + sizes[k];
  if (starts.back() == 0) return;
  at::parallel_for(0, starts.back(), kGrain,
                   [&](int64_t begin, int64_t end) { for_spans(starts, begin, end, fn); });
}

// One parameter's Adam update: its tensors' data, size and the update's constants.
template <typename T>
struct AdamItem {
  T *p;
  const T *g;
  T *m, *v;
  AdamArgs<T> a;
  Decay decay;
};

template <typename T>
void adam_items(const std::vector<AdamItem<T>> &items, const std::vector<int64_t> &sizes) {
  parallel_spans(sizes, [&](size_t k, int64_t lo, int64_t hi) {
    const AdamItem<T> &it = items[k];
    switch (it.decay) {
      case Decay::kNone:
        adam_block<Decay::kNone>(it.p, it.g, it.m, it.v, lo, hi, it.a);
        break;
      case Decay::kCoupled:
        adam_block<Decay::kCoupled>(it.p, it.g, it.m, it.v, lo, hi, it.a);
        break;
      case Decay::kDecoupled:
        adam_block<Decay::kDecoupled>(it.p, it.g, it.m, it.v, lo, hi, it.a);
        break;
    }
  });
}

// t = t·β + (1−β)·s, the order of the multi-tensor pair mul_(β), add_(s, alpha=1−β).
template <typename T>
void lerp_range(T *__restrict t, const T *__restrict s, int64_t begin, int64_t end, T beta,
                T one_m_beta) {
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    for (int64_t k = 0; k < kLanes; k++) t[i + k] = t[i + k] * beta + one_m_beta * s[i + k];
  }
  for (; i < end; i++) t[i] = t[i] * beta + one_m_beta * s[i];
}

}  // namespace

extern "C" {

int scl_fused_adam(int n, const scl_tensor *params, const scl_tensor *grads,
                   const scl_tensor *exp_avgs, const scl_tensor *exp_avg_sqs,
                   const double *weight_decays, double lr, double beta1, double beta2, double eps,
                   double step_size, double bc2_sqrt, int decoupled, char **err) {
  SCL_TRY
  if (n <= 0) return 1;
  for (int i = 0; i < n; i++) {
    at::ScalarType dt;
    if (params[i] == nullptr || grads[i] == nullptr || exp_avgs[i] == nullptr ||
        exp_avg_sqs[i] == nullptr || !float_dtype(params[i]->t, &dt))
      return 0;
    const at::Tensor &p = params[i]->t;
    if (!qualifies(p, p, dt) || !qualifies(grads[i]->t, p, dt) ||
        !qualifies(exp_avgs[i]->t, p, dt) || !qualifies(exp_avg_sqs[i]->t, p, dt))
      return 0;
  }
  scl_shim::sync_threads();
  std::vector<AdamItem<float>> f32;
  std::vector<AdamItem<double>> f64;
  std::vector<int64_t> f32_sizes, f64_sizes;
  for (int i = 0; i < n; i++) {
    const at::Tensor &p = params[i]->t, &g = grads[i]->t, &m = exp_avgs[i]->t,
                     &v = exp_avg_sqs[i]->t;
    double wd = weight_decays[i];
    Decay decay = wd == 0 ? Decay::kNone : decoupled != 0 ? Decay::kDecoupled : Decay::kCoupled;
    auto add = [&](auto *items, std::vector<int64_t> *sizes, auto zero) {
      using T = decltype(zero);
      AdamArgs<T> a{static_cast<T>(wd),
                    static_cast<T>(1 - lr * wd),
                    static_cast<T>(beta1),
                    static_cast<T>(1 - beta1),
                    static_cast<T>(beta2),
                    static_cast<T>(1 - beta2),
                    static_cast<T>(bc2_sqrt),
                    static_cast<T>(eps),
                    static_cast<T>(-step_size)};
      items->push_back({p.data_ptr<T>(), g.data_ptr<T>(), m.data_ptr<T>(), v.data_ptr<T>(), a, decay});
      sizes->push_back(p.numel());
    };
    if (p.scalar_type() == at::kFloat) {
      add(&f32, &f32_sizes, 0.0f);
    } else {
      add(&f64, &f64_sizes, 0.0);
    }
  }
  adam_items(f32, f32_sizes);
  adam_items(f64, f64_sizes);
  for (int i = 0; i < n; i++) {
    bump(params[i]->t);
    bump(exp_avgs[i]->t);
    bump(exp_avg_sqs[i]->t);
  }
  return 1;
  SCL_CATCH(err)
  return 0;
}

int scl_fused_lerp(int n, const scl_tensor *targets, const scl_tensor *sources, double beta,
                   char **err) {
  SCL_TRY
  if (n <= 0) return 1;
  for (int i = 0; i < n; i++) {
    at::ScalarType dt;
    if (targets[i] == nullptr || sources[i] == nullptr || !float_dtype(targets[i]->t, &dt)) return 0;
    const at::Tensor &t = targets[i]->t;
    if (!qualifies(t, t, dt) || !qualifies(sources[i]->t, t, dt)) return 0;
    if (targets[i]->t.is_same(sources[i]->t)) return 0;
  }
  scl_shim::sync_threads();
  auto run = [&](at::ScalarType dt, auto zero) {
    using T = decltype(zero);
    std::vector<T *> ts;
    std::vector<const T *> ss;
    std::vector<int64_t> sizes;
    for (int i = 0; i < n; i++) {
      if (targets[i]->t.scalar_type() != dt) continue;
      ts.push_back(targets[i]->t.data_ptr<T>());
      ss.push_back(sources[i]->t.data_ptr<T>());
      sizes.push_back(targets[i]->t.numel());
    }
    auto b = static_cast<T>(beta), ob = static_cast<T>(1 - beta);
    parallel_spans(sizes, [&](size_t k, int64_t lo, int64_t hi) { lerp_range(ts[k], ss[k], lo, hi, b, ob); });
  };
  run(at::kFloat, 0.0f);
  run(at::kDouble, 0.0);
  for (int i = 0; i < n; i++) bump(targets[i]->t);
  return 1;
  SCL_CATCH(err)
  return 0;
}

}  // extern "C"
