//go:build !notorch

// opprofile.cpp — a per-operator wall-time profiler over libtorch's RecordFunction callbacks,
// the hooks its own profiler uses (present, with the same signatures, in libtorch 1.13 and 2.x).
//
// While it runs, every operator that goes through the dispatcher (aten::convolution,
// aten::native_batch_norm, ...) and every autograd node the backward pass runs
// (ConvolutionBackward0, ...) is timed on the thread that runs it. Each thread keeps a stack of
// the calls it is inside, so a call's time is split into its total (inclusive) time and its
// self time (total minus its children's totals): self times add up to the profiled wall time of
// the thread, which is what makes them comparable between two programs. Each operator's figures
// are also kept per call path (the names of the calls it ran inside, outermost first), which
// tells a copy_ made by a layout conversion in the backward pass from one the optimizer makes.
#include "shim.h"
#include "shim_common.h"

#include <ATen/record_function.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct OpTotals {
  int64_t calls = 0;
  int64_t total_ns = 0;
  int64_t self_ns = 0;
};

struct Frame {
  int64_t start_ns;
  int64_t children_ns;
  // name stays valid until the frame is popped: it belongs to the RecordFunction of a call
  // still running on this thread.
  const char *name;
};

// Per-thread call stack. gen tags the profiling session it belongs to, so frames a thread left
// open when a session stopped are dropped instead of being closed in the next one.
struct ThreadStack {
  uint64_t gen = 0;
  std::vector<Frame> frames;
};

std::mutex g_mu;  // guards g_totals, g_paths, g_handle
std::map<std::string, OpTotals> g_totals;
// g_paths holds each operator's figures per call path: key {name, path}, the path being the
// names of the enclosing calls joined by " > ", outermost first ("" at top level).
std::map<std::pair<std::string, std::string>, OpTotals> g_paths;
at::CallbackHandle g_handle = at::INVALID_CALLBACK_HANDLE;
std::atomic<uint64_t> g_gen{0};
thread_local ThreadStack t_stack;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

ThreadStack &current_stack() {
  uint64_t gen = g_gen.load(std::memory_order_acquire);
  if (t_stack.gen != gen) {
    t_stack.gen = gen;
    t_stack.frames.clear();
  }
  return t_stack;
}

std::unique_ptr<at::ObserverContext> on_enter(const at::RecordFunction &fn) {
  current_stack().frames.push_back(Frame{now_ns(), 0, fn.name()});
  return nullptr;
}

void on_exit(const at::RecordFunction &fn, at::ObserverContext *) {
  int64_t end = now_ns();
  ThreadStack &st = current_stack();
  if (st.frames.empty()) return;  // entered before this session started
  Frame f = st.frames.back();
  st.frames.pop_back();
  int64_t total = end - f.start_ns;
  if (!st.frames.empty()) st.frames.back().children_ns += total;
  std::string path;
  for (const Frame &outer : st.frames) {
    if (!path.empty()) path += " > ";
    path += outer.name;
  }
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_handle == at::INVALID_CALLBACK_HANDLE) return;  // stopped meanwhile
  for (OpTotals *o : {&g_totals[fn.name()], &g_paths[{fn.name(), std::move(path)}]}) {
    o->calls++;
    o->total_ns += total;
    o->self_ns += total - f.children_ns;
  }
}

}  // namespace

int scl_op_profile_start(char **err) {
  SCL_TRY
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_handle != at::INVALID_CALLBACK_HANDLE) {
    if (err) *err = scl_shim::dup_message("the operator profiler is already running");
    return 0;
  }
  g_totals.clear();
  g_paths.clear();
  g_gen.fetch_add(1, std::memory_order_acq_rel);
  g_handle = at::addGlobalCallback(
      at::RecordFunctionCallback(on_enter, on_exit)
          .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
  return 1;
  SCL_CATCH(err)
  return 0;
}

char *scl_op_profile_stop(char **err) {
  SCL_TRY
  at::CallbackHandle h;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    h = g_handle;
    g_handle = at::INVALID_CALLBACK_HANDLE;
  }
  if (h == at::INVALID_CALLBACK_HANDLE) {
    if (err) *err = scl_shim::dup_message("the operator profiler is not running");
    return nullptr;
  }
  at::removeCallback(h);
  g_gen.fetch_add(1, std::memory_order_acq_rel);
  std::ostringstream out;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    // Operator names hold no tabs or newlines (C++ identifiers, "::", spaces). An operator's
    // line has four fields, each of its call paths' lines a fifth: the path.
    for (const auto &kv : g_totals) {
      out << kv.first << '\t' << kv.second.calls << '\t' << kv.second.total_ns << '\t'
          << kv.second.self_ns << '\n';
    }
    for (const auto &kv : g_paths) {
      out << kv.first.first << '\t' << kv.second.calls << '\t' << kv.second.total_ns << '\t'
          << kv.second.self_ns << '\t' << kv.first.second << '\n';
    }
    g_totals.clear();
    g_paths.clear();
  }
  return scl_shim::dup_message(out.str().c_str());
  SCL_CATCH(err)
  return nullptr;
}
