//go:build !notorch

// shim.cpp — implementation of torch/dist's C ABI (shim.h) over c10d: TCPStore, ProcessGroupGloo
// and, in builds with SCL_WITH_NCCL (Go build tag `nccl`), ProcessGroupNCCL.
//
// Only API common to libtorch 1.13 and PyTorch 2.x is used: in 1.13 the process groups derive
// from c10d::ProcessGroup, in 2.x from c10d::Backend, so groups are held by their concrete type
// and every collective is written once as a generic lambda (Group::run).
#include "shim.h"
#include "../shim_common.h"

#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>

// Gloo's own headers come from a separate package (Debian: libgloo-dev). Without them the build
// still succeeds and creating a Gloo group reports how to fix it.
#if __has_include(<gloo/context.h>)
#define SCL_HAVE_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif

#ifdef SCL_WITH_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>


struct scl_dist_store_s {
  c10::intrusive_ptr<c10d::Store> store;
};

struct scl_dist_pg_s {
  int world = 1;
#ifdef SCL_HAVE_GLOO
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#endif
#ifdef SCL_WITH_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif

  // run calls f with the concrete process group and returns the work it started.
  template <class F>
  c10::intrusive_ptr<c10d::Work> run(F &&f) {
#ifdef SCL_WITH_NCCL
    if (nccl) return f(*nccl);
#endif
#ifdef SCL_HAVE_GLOO
    if (gloo) return f(*gloo);
#endif
    (void)f;
    throw std::runtime_error("process group has no backend");
  }
};

namespace {

at::Tensor &unwrap(void *h) {
  if (h == nullptr) throw std::invalid_argument("nil tensor handle");
  return static_cast<scl_tensor_s *>(h)->t;
}

std::chrono::milliseconds ms(int64_t v) { return std::chrono::milliseconds(v); }

c10d::ReduceOp reduce_op(int op) {
  switch (op) {
    case 0:
    case 1:
      return c10d::ReduceOp(c10d::ReduceOp::SUM);
    case 2:
      return c10d::ReduceOp(c10d::ReduceOp::MAX);
    case 3:
      return c10d::ReduceOp(c10d::ReduceOp::MIN);
  }
  throw std::invalid_argument("unknown reduce op " + std::to_string(op));
}

// wait_all waits for every started work item, in order, and rethrows the first failure only
// after every item has finished or failed (so no tensor is still being written when we return,
// unless an item timed out).
void wait_all(std::vector<c10::intrusive_ptr<c10d::Work>> &works, int64_t timeout_ms) {
  std::exception_ptr first;
  for (auto &w : works) {
    try {
      w->wait(ms(timeout_ms));
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

void check_pg(scl_dist_pg pg) {
  if (pg == nullptr) throw std::invalid_argument("closed process group");
}

// in_place_collective runs one collective per tensor, in place: issue(buf) starts it on a
// contiguous buffer (the tensor itself when already contiguous), all are awaited, finish(buf)
// post-processes each result, and buffers that are copies are written back to their tensors.
template <class Issue, class Finish>
void in_place_collective(scl_dist_pg pg, void **tensors, int n, int64_t timeout_ms, Issue issue,
                         Finish finish) {
  check_pg(pg);
  c10::AutoGradMode no_grad(false);
  std::vector<at::Tensor> targets, bufs;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (int i = 0; i < n; i++) {
    at::Tensor &t = unwrap(tensors[i]);
    targets.push_back(t);
    bufs.push_back(t.is_contiguous() ? t : t.contiguous());
  }
  for (int i = 0; i < n; i++) works.push_back(issue(bufs[i]));
  wait_all(works, timeout_ms);
  for (int i = 0; i < n; i++) {
    finish(bufs[i]);
    if (!bufs[i].is_same(targets[i])) targets[i].copy_(bufs[i]);
  }
}

}  // namespace

extern "C" {

int scl_dist_backend_available(int backend, const char **why) {
  if (backend == 0) {
#ifdef SCL_HAVE_GLOO
    return 1;
#else
    if (why) *why = "built without Gloo headers: install them (Debian: apt-get install libgloo-dev), then rebuild with go build -a or after go clean -cache (Go's build cache does not notice new system headers)";
    return 0;
#endif
  }
  if (backend == 1) {
#ifdef SCL_WITH_NCCL
    return 1;
#else
    if (why) *why = "built without NCCL: build with -tags customtorch,nccl against a CUDA libtorch (see scripts/torch-flags.sh)";
    return 0;
#endif
  }
  if (why) *why = "unknown backend";
  return 0;
}

scl_dist_store scl_dist_store_new(const char *host, int port, int is_server, int world_size,
                                  int64_t timeout_ms, const char *prefix, char **err) {
  SCL_TRY
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port);
  opts.isServer = is_server != 0;
  opts.numWorkers = static_cast<std::size_t>(world_size);
  opts.waitWorkers = true;
  opts.timeout = ms(timeout_ms);
  c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(std::string(host), opts);
  if (prefix != nullptr && prefix[0] != 0) {
    store = c10::make_intrusive<c10d::PrefixStore>(std::string(prefix), store);
  }
  return new scl_dist_store_s{store};
  SCL_CATCH(err)
  return nullptr;
}

void scl_dist_store_free(scl_dist_store s) { delete s; }

int64_t scl_dist_store_add(scl_dist_store s, const char *key, int64_t delta, char **err) {
  SCL_TRY
  if (s == nullptr) throw std::invalid_argument("closed store");
  return s->store->add(std::string(key), delta);
  SCL_CATCH(err)
  return 0;
}

scl_dist_pg scl_dist_pg_new(scl_dist_store store, int backend, int rank, int world_size,
                            int64_t timeout_ms, const char *bind_host, const char *iface,
                            char **err) {
  SCL_TRY
  if (store == nullptr) throw std::invalid_argument("closed store");
  auto *pg = new scl_dist_pg_s;
  pg->world = world_size;
  try {
    if (backend == 0) {
#ifdef SCL_HAVE_GLOO
      auto opts = c10d::ProcessGroupGloo::Options::create(ms(timeout_ms));
      std::string host(bind_host ? bind_host : ""), nic(iface ? iface : "");
      if (!host.empty()) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
      } else if (!nic.empty()) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(nic));
      } else {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      pg->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store->store, rank, world_size, opts);
#else
      throw std::runtime_error("Gloo is not available in this build: install Gloo's headers (Debian: apt-get install libgloo-dev) and rebuild with go build -a");
#endif
    } else if (backend == 1) {
#ifdef SCL_WITH_NCCL
      // Without blocking wait, NCCL work is only enqueued and a dead peer shows up as a hang;
      // blocking wait makes wait(timeout) fail instead. Respect a user's explicit setting.
      if (std::getenv("TORCH_NCCL_BLOCKING_WAIT") == nullptr && std::getenv("NCCL_BLOCKING_WAIT") == nullptr) {
        setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
        setenv("NCCL_BLOCKING_WAIT", "1", 0);
      }
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = ms(timeout_ms);
      pg->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(store->store, rank, world_size, opts);
#else
      throw std::runtime_error("NCCL is not available in this build: build with -tags customtorch,nccl against a CUDA libtorch");
#endif
    } else {
      throw std::invalid_argument("unknown backend " + std::to_string(backend));
    }
  } catch (...) {
    delete pg;
    throw;
  }
  return pg;
  SCL_CATCH(err)
  return nullptr;
}

void scl_dist_pg_free(scl_dist_pg pg) {
  try {
    delete pg;
  } catch (...) {
    // A destructor that throws (a broken group) must not cross the C boundary.
  }
}

void scl_dist_allreduce(scl_dist_pg pg, void **tensors, int n, int op, int64_t timeout_ms,
                        char **err) {
  SCL_TRY
  c10d::AllreduceOptions o;
  o.reduceOp = reduce_op(op);
  o.timeout = ms(timeout_ms);
  in_place_collective(
      pg, tensors, n, timeout_ms,
      [&](at::Tensor &buf) {
        std::vector<at::Tensor> one{buf};
        return pg->run([&](auto &g) { return g.allreduce(one, o); });
      },
      [&](at::Tensor &buf) {
        if (op == 1) buf.div_(pg->world);
      });
  SCL_CATCH(err)
}

void scl_dist_allreduce_grads(scl_dist_pg pg, void **params, int n, const int32_t *ends,
                              int nbuckets, int op, int64_t timeout_ms, char **err) {
  SCL_TRY
  check_pg(pg);
  c10::AutoGradMode no_grad(false);
  struct Bucket {
    std::vector<at::Tensor> grads;
    at::Tensor flat;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<Bucket> buckets(nbuckets);
  c10d::AllreduceOptions o;
  o.reduceOp = reduce_op(op);
  o.timeout = ms(timeout_ms);
  int start = 0;
  for (int b = 0; b < nbuckets; b++) {
    int end = ends[b];
    if (end < start || end > n) throw std::invalid_argument("bad bucket bounds");
    Bucket &bk = buckets[b];
    std::vector<at::Tensor> flats;
    for (int i = start; i < end; i++) {
      at::Tensor &p = unwrap(params[i]);
      if (!p.mutable_grad().defined()) p.mutable_grad() = at::zeros_like(p);
      bk.grads.push_back(p.mutable_grad());
      flats.push_back(p.mutable_grad().reshape({-1}));
    }
    start = end;
    if (flats.empty()) continue;
    bk.flat = flats.size() == 1 ? flats[0].clone() : at::cat(flats);
    std::vector<at::Tensor> one{bk.flat};
    bk.work = pg->run([&](auto &g) { return g.allreduce(one, o); });
  }
  std::exception_ptr first;
  for (auto &bk : buckets) {
    if (!bk.work) continue;
    try {
      bk.work->wait(ms(timeout_ms));
    } catch (...) {
      if (!first) first = std::current_exception();
      continue;
    }
    if (first) continue;
    if (op == 1) bk.flat.div_(pg->world);
    int64_t off = 0;
    for (auto &g : bk.grads) {
      int64_t k = g.numel();
      g.copy_(bk.flat.narrow(0, off, k).view(g.sizes()));
      off += k;
    }
  }
  if (first) std::rethrow_exception(first);
  SCL_CATCH(err)
}

void scl_dist_broadcast(scl_dist_pg pg, void **tensors, int n, int root, int64_t timeout_ms,
                        char **err) {
  SCL_TRY
  c10d::BroadcastOptions o;
  o.rootRank = root;
  o.timeout = ms(timeout_ms);
  in_place_collective(
      pg, tensors, n, timeout_ms,
      [&](at::Tensor &buf) {
        std::vector<at::Tensor> one{buf};
        return pg->run([&](auto &g) { return g.broadcast(one, o); });
      },
      [](at::Tensor &) {});
  SCL_CATCH(err)
}

void scl_dist_allgather(scl_dist_pg pg, void *out, void *in, int64_t timeout_ms, char **err) {
  SCL_TRY
  check_pg(pg);
  c10::AutoGradMode no_grad(false);
  at::Tensor &dst = unwrap(out);
  at::Tensor src = unwrap(in).contiguous();
  if (src.dim() < 1) throw std::invalid_argument("allgather: input must have at least one dimension");
  int64_t rows = src.size(0);
  if (dst.dim() != src.dim() || dst.size(0) != rows * pg->world)
    throw std::invalid_argument("allgather: output must be [world_size·n, ...] for input [n, ...]");
  if (!dst.is_contiguous()) throw std::invalid_argument("allgather: output must be contiguous");
  std::vector<std::vector<at::Tensor>> outs(1);
  for (int r = 0; r < pg->world; r++) outs[0].push_back(dst.narrow(0, r * rows, rows));
  std::vector<at::Tensor> ins{src};
  c10d::AllgatherOptions o;
  o.timeout = ms(timeout_ms);
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  works.push_back(pg->run([&](auto &g) { return g.allgather(outs, ins, o); }));
  wait_all(works, timeout_ms);
  SCL_CATCH(err)
}

void scl_dist_barrier(scl_dist_pg pg, int64_t timeout_ms, char **err) {
  SCL_TRY
  check_pg(pg);
  c10d::BarrierOptions o;
  o.timeout = ms(timeout_ms);
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  works.push_back(pg->run([&](auto &g) { return g.barrier(o); }));
  wait_all(works, timeout_ms);
  SCL_CATCH(err)
}

}  // extern "C"
