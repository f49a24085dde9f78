#!/usr/bin/env bash
# Prints the cgo flags for building package torch against the libtorch inside a Python PyTorch
# install (e.g. PyTorch 2.x with CUDA on a GPU host), as shell exports:
#
#   eval "$(scripts/torch-flags.sh)"
#   go build -tags customtorch ./...      # customtorch drops the Debian defaults in torch/cgo_debian.go
#
# The interpreter is $PYTHON (default python3). The libraries are linked with -Wl,--no-as-needed
# so that libtorch_cuda (whose CUDA kernels register themselves at load time, with no symbol the
# binary references) is really loaded, and with an rpath so the binary finds them at run time.
# The C++ ABI flag (_GLIBCXX_USE_CXX11_ABI) is taken from the install: a mismatch would break
# std::string across the boundary.
set -euo pipefail
py=${PYTHON:-python3}

"$py" - <<'PY'
import os, sys
try:
    import torch
    from torch.utils import cpp_extension
except Exception as e:  # noqa: BLE001
    sys.exit(f"torch-flags: cannot import torch with {sys.executable}: {e}")

inc = cpp_extension.include_paths()
libdir = os.path.join(os.path.dirname(torch.__file__), "lib")
abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
cuda = torch.cuda.is_available() or torch.version.cuda is not None

def have(name):
    return os.path.exists(os.path.join(libdir, f"lib{name}.so"))

libs = ["c10", "torch_cpu", "torch"]
if cuda and have("torch_cuda"):
    libs += ["c10_cuda", "torch_cuda"]

cxx = ["-std=c++17", f"-D_GLIBCXX_USE_CXX11_ABI={abi}"] + [f"-I{p}" for p in inc]
ld = [f"-L{libdir}", f"-Wl,-rpath,{libdir}", "-Wl,--no-as-needed"] + [f"-l{l}" for l in libs] + ["-Wl,--as-needed"]
print(f"# torch {torch.__version__} (CUDA {torch.version.cuda}) at {os.path.dirname(torch.__file__)}")
print("export CGO_CXXFLAGS='" + " ".join(cxx) + "'")
print("export CGO_LDFLAGS='" + " ".join(ld) + "'")
print("export CGO_ENABLED=1")
PY
