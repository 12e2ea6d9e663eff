#!/usr/bin/env bash
# The bench on a machine with an NVIDIA GPU, in one command, offline.
#
#   bench/gpu.sh prepare    here, with the package registries: fills .gpu/
#   bench/gpu.sh            there, from the repository root with .gpu/ beside
#                           the checkout's files: runs the bench, writes JSON
#
# The target is a bare Linux machine with an NVIDIA driver and Python's
# PyTorch (CUDA), but no Deno, no Vulkan loader and no network. `prepare`
# puts everything else into .gpu/ (ignored by git, about 35 MB):
#   deno.xz               the Deno binary of this machine, xz-compressed
#   libvulkan1_*.deb      Debian's Vulkan loader (Deno's WebGPU needs it)
#   node_modules/         the npm packages the bench imports
#   torch_ref.py          the PyTorch peer (../shared/peer/torch_ref.py)
# The run unpacks Deno into .gpu/bin, the loader into / (then ldconfig: it
# must run as root), points Vulkan at the NVIDIA driver's ICD, runs
#   DENO_WEBGPU_BACKEND=vulkan deno task bench --sizes 256,512,1024 \
#     --compare .gpu/torch_ref.py --device cuda
# (as `deno run --node-modules-dir=manual bench/bench.ts`: `deno task bench`
# with the carried node_modules instead of a download) and writes the report
# to $OUT/gpu_bench.json, or .gpu/gpu_bench.json when OUT is unset. It stops
# the bench at 7 minutes, so the whole run ends within 8.
#
# Environment:
#   GPU_SH_ICD      the Vulkan ICD file to use (default: the NVIDIA one, see below)
#   GPU_SH_SIZES    sizes to measure (default 256,512,1024)
#   GPU_SH_DEVICE   PyTorch's device (default cuda)
#   GPU_SH_ALLOW_SOFTWARE=1  accept a software adapter (a dry run without a GPU)
#   PYTHON          the Python with PyTorch (default: python3 on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
carry=$root/.gpu

if [ "${1:-}" = "prepare" ]; then
  mkdir -p "$carry"
  deno_bin=$(command -v deno)
  echo "gpu.sh: compressing $deno_bin ($(deno --version | head -1))"
  xz -T0 -6 -c "$(readlink -f "$deno_bin")" >"$carry/deno.xz"
  (cd "$carry" && rm -f libvulkan1_*.deb && apt-get download libvulkan1 >/dev/null)
  rm -rf "$carry/node_modules" "$root/node_modules"
  deno install --node-modules-dir=auto --entrypoint bench/bench.ts >/dev/null
  mv "$root/node_modules" "$carry/node_modules"
  cp ../shared/peer/torch_ref.py "$carry/torch_ref.py"
  du -sh "$carry"
  exit 0
fi

started=$(date +%s)
for f in deno.xz node_modules torch_ref.py; do
  [ -e "$carry/$f" ] || {
    echo "gpu.sh: .gpu/$f is missing: run 'bench/gpu.sh prepare' where the registries are reachable" >&2
    exit 1
  }
done

# Deno.
mkdir -p "$carry/bin"
if [ ! -x "$carry/bin/deno" ]; then
  xz -dc "$carry/deno.xz" >"$carry/bin/deno.part"
  chmod +x "$carry/bin/deno.part"
  mv "$carry/bin/deno.part" "$carry/bin/deno"
fi
export PATH="$carry/bin:$PATH"

# The Vulkan loader, unless the machine has one.
if ! ldconfig -p | grep -q 'libvulkan\.so\.1 '; then
  deb=$(ls "$carry"/libvulkan1_*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || {
    echo "gpu.sh: no Vulkan loader here and no .gpu/libvulkan1_*.deb to install" >&2
    exit 1
  }
  dpkg -x "$deb" /
  ldconfig
fi

# The driver's ICD: where this workplace's NVIDIA machines mount it, else the usual places.
icd=${GPU_SH_ICD:-}
if [ -z "$icd" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
    /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then
      icd=$f
      break
    fi
  done
fi
[ -n "$icd" ] && [ -f "$icd" ] || {
  echo "gpu.sh: no NVIDIA Vulkan ICD found (set GPU_SH_ICD to its JSON file)" >&2
  exit 1
}
export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
export DENO_WEBGPU_BACKEND=vulkan
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
export DENO_DIR=$carry/deno_dir
export PYTHON=${PYTHON:-$(command -v python3)}

# The node_modules folder Deno reads (ignored by git, like .gpu/).
rm -rf "$root/node_modules"
cp -r "$carry/node_modules" "$root/node_modules"

adapter=$(deno eval 'const a = await navigator.gpu.requestAdapter(); console.log(a ? a.info.description || a.info.vendor || "unnamed adapter" : "")')
echo "gpu.sh: adapter: ${adapter:-none}, ICD $icd, $($PYTHON -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.cuda.is_available())')"
[ -n "$adapter" ] || {
  echo "gpu.sh: Deno's WebGPU found no Vulkan adapter" >&2
  exit 1
}
if [ "${GPU_SH_ALLOW_SOFTWARE:-0}" != 1 ] && echo "$adapter" | grep -qiE 'llvmpipe|lavapipe|swiftshader|software'; then
  echo "gpu.sh: $adapter is a software adapter, not the GPU (GPU_SH_ALLOW_SOFTWARE=1 for a dry run)" >&2
  exit 1
fi

out=${OUT:-$carry}/gpu_bench.json
left=$((480 - ($(date +%s) - started) - 60))
timeout "$left" deno run -A --node-modules-dir=manual bench/bench.ts \
  --sizes "${GPU_SH_SIZES:-256,512,1024}" --evals 5 \
  --compare "$carry/torch_ref.py" --device "${GPU_SH_DEVICE:-cuda}" --out "$out" >/dev/null
echo "gpu.sh: wrote $out in $(($(date +%s) - started)) s"
