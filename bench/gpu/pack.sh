#!/usr/bin/env bash
# Prepares the GPU machine's run (bench/gpu/README.md): builds infilld and the CUDA tests
# here with nvcc (Release, sm_90a), and packs them with the shared libraries the GPU image
# lacks (oneDNN, PCRE2, utf8proc, libuv, OpenMP; CUDA's own come from that machine) and
# Dream-7B's config.json (the shape of Dream-Coder-7B) into .gpu/, which `run` carries.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=build-gpu
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DINFILLD_CUDA=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target infilld infilld_cuda_gpu_tests
rm -rf .gpu && mkdir -p .gpu/stage/lib
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
cp "$BUILD/infilld" "$BUILD/tests/cuda/infilld_cuda_gpu_tests" .gpu/stage/
for bin in .gpu/stage/infilld .gpu/stage/infilld_cuda_gpu_tests; do
  ldd "$bin" | awk '/=> \// {print $3}' | grep -E 'dnnl|pcre2|utf8proc|libuv|gomp|OpenCL' | xargs -r cp -uL -t .gpu/stage/lib
done
mkdir -p .gpu/stage/dream7b && cp ../shared/data/checkpoints/dream-v0-base-7b/*.json .gpu/stage/dream7b/
tar -C .gpu/stage -cJf .gpu/bundle.tar.xz .
rm -rf .gpu/stage
ls -la .gpu
