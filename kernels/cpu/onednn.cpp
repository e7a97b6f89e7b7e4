#include "kernels/cpu/onednn.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/cpu_isa.h"

namespace infilld::kernels::onednn {

namespace {

using dnnl::memory;
using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool, int, int>;

// INFILLD_CPU_ISA caps oneDNN as it caps our kernels (cpu_isa.h); oneDNN takes the cap only
// before its first primitive, so the context applies it before it makes its engine.
bool cap_isa() {
  switch (cpu_isa()) {
    case CpuIsa::Baseline: return dnnl::set_max_cpu_isa(dnnl::cpu_isa::sse41) == dnnl::status::success;
    case CpuIsa::Avx2: return dnnl::set_max_cpu_isa(dnnl::cpu_isa::avx2) == dnnl::status::success;
    case CpuIsa::Avx512: return dnnl::set_max_cpu_isa(dnnl::cpu_isa::avx512_core_bf16) == dnnl::status::success;
    case CpuIsa::Amx: return true;
  }
  return true;
}

// Primitives made for one OpenMP team size (a primitive fixes its thread count when made).
struct Primitives {
  // nullopt: oneDNN has no implementation for that key on this CPU.
  std::map<Key, std::optional<dnnl::matmul>> matmuls;
  std::map<std::pair<int64_t, int64_t>, dnnl::softmax_forward> softmaxes;
  std::map<int64_t, dnnl::eltwise_forward> silus;
  std::map<int64_t, dnnl::reorder> to_bf16s;
};

struct Context {
  bool capped = cap_isa();  // first: before the engine
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::mutex mutex;
  // By team size: forwards switch between one thread and all (size_team_for), often within
  // one request (its prompt, then its blocks), so each size keeps its own.
  std::map<int, Primitives> by_team;
};

// The cached primitive of `cache` for `key`, made by `make` on first use.
template <class Map, class K, class Make>
auto& cached(Map& cache, const K& key, Make make) {
  auto it = cache.find(key);
  if (it == cache.end()) {
    // Shapes repeat (layers, steps); a flood of new ones (many canvas sizes) starts afresh.
    if (cache.size() >= 512) cache.clear();
    it = cache.emplace(key, make()).first;
  }
  return it->second;
}

Context& context() {
  static Context c;
  return c;
}

// The primitives for the current OpenMP team size.
Primitives& primitives(Context& ctx) { return ctx.by_team[omp_get_max_threads()]; }

memory::data_type dnnl_type(DType t) {
  switch (t) {
    case DType::F32: return memory::data_type::f32;
    case DType::F16: return memory::data_type::f16;
    case DType::BF16: return memory::data_type::bf16;
    case DType::Q8_0: break;  // never asked (linear() refuses it)
  }
  return memory::data_type::f32;
}

// Descriptors of C[M, N] = A[M, K] . B with explicit strides (B as [K, N]).
struct Descs {
  memory::desc a, b, c;
};

Descs descs(int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc, bool b_transposed,
            memory::data_type ab_type) {
  const memory::dims b_strides = b_transposed ? memory::dims{1, ldb} : memory::dims{ldb, 1};
  return {memory::desc({m, k}, ab_type, {lda, 1}), memory::desc({k, n}, ab_type, b_strides),
          memory::desc({m, n}, memory::data_type::f32, {ldc, 1})};
}

// The cached primitive for a shape, created on first use; nullptr when unsupported.
const dnnl::matmul* primitive(Context& ctx, const Key& key, const Descs& d) {
  auto& made = cached(primitives(ctx).matmuls, key, [&] {
    std::optional<dnnl::matmul> prim;
    try {
      prim.emplace(dnnl::matmul::primitive_desc(dnnl::matmul::desc(d.a, d.b, d.c), ctx.engine));
    } catch (const dnnl::error&) {
      // unimplemented for this dtype/CPU: remembered, the caller falls back
    }
    return prim;
  });
  return made ? &*made : nullptr;
}

bool run(int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, const void* b, int64_t ldb, float* c,
         int64_t ldc, bool b_transposed, DType ab_type) {
  Context& ctx = context();
  std::lock_guard lock(ctx.mutex);
  const Descs d = descs(m, n, k, lda, ldb, ldc, b_transposed, dnnl_type(ab_type));
  const Key key{m, n, k, lda, ldb, ldc, b_transposed, static_cast<int>(ab_type), 0};
  const dnnl::matmul* prim = primitive(ctx, key, d);
  if (prim == nullptr) return false;
  memory a_mem(d.a, ctx.engine, const_cast<void*>(a));
  memory b_mem(d.b, ctx.engine, const_cast<void*>(b));
  memory c_mem(d.c, ctx.engine, c);
  prim->execute(ctx.stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}});
  ctx.stream.wait();
  return true;
}

}  // namespace

void size_team_for(double work) {
  static const int max_threads = omp_get_max_threads();
  // OpenMP's team (oneDNN's ops): multiply-adds in one forward pass from which a second
  // thread pays for its wake-ups (about 50 per forward: one per op). Measured on an idle
  // 2-core AMD EPYC (Zen 3) with `infilld bench forward --model models/default`
  // (docs/decisions.md, issue 17's second part): two passive threads lost at 128 positions
  // (1e9) and won from about 200 (1.6e9); the 0.5B shape (~5e8 per position) takes two
  // from 3 positions.
  constexpr double kParallelWork = 1.5e9;
  const int team = work >= kParallelWork ? max_threads : 1;
  omp_set_num_threads(team);
  // Our pool (the AVX2 and q8 kernels) splits whatever has more than one block of weight
  // rows: its workers claim chunks and poll briefly between jobs, so a small forward gains
  // from the second core too (docs/decisions.md, "The thread pool").
  ThreadPool::global().set_team(ThreadPool::global().size());
}

void softmax_rows(float* x, int64_t rows, int64_t cols) {
  Context& ctx = context();
  std::lock_guard lock(ctx.mutex);
  const memory::desc md({rows, cols}, memory::data_type::f32, memory::format_tag::ab);
  auto& prim = cached(primitives(ctx).softmaxes, std::make_pair(rows, cols), [&] {
    return dnnl::softmax_forward(dnnl::softmax_forward::primitive_desc(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, md, /*axis=*/1), ctx.engine));
  });
  memory mem(md, ctx.engine, x);
  prim.execute(ctx.stream, {{DNNL_ARG_SRC, mem}, {DNNL_ARG_DST, mem}});
  ctx.stream.wait();
}

void silu(float* x, int64_t n) {
  Context& ctx = context();
  std::lock_guard lock(ctx.mutex);
  const memory::desc md({n}, memory::data_type::f32, memory::format_tag::a);
  auto& prim = cached(primitives(ctx).silus, n, [&] {
    return dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_swish, md,
                                    /*alpha=*/1.0f),
        ctx.engine));
  });
  memory mem(md, ctx.engine, x);
  prim.execute(ctx.stream, {{DNNL_ARG_SRC, mem}, {DNNL_ARG_DST, mem}});
  ctx.stream.wait();
}

void to_bf16(const float* src, int64_t n, uint16_t* dst) {
  Context& ctx = context();
  std::lock_guard lock(ctx.mutex);
  const memory::desc from({n}, memory::data_type::f32, memory::format_tag::a);
  const memory::desc to({n}, memory::data_type::bf16, memory::format_tag::a);
  auto& prim = cached(primitives(ctx).to_bf16s, n, [&] {
    return dnnl::reorder(dnnl::reorder::primitive_desc(ctx.engine, from, ctx.engine, to));
  });
  memory src_mem(from, ctx.engine, const_cast<float*>(src));
  memory dst_mem(to, ctx.engine, dst);
  prim.execute(ctx.stream, src_mem, dst_mem);
  ctx.stream.wait();
}

bool linear(const float* x, int64_t m, const Weight& w, float* y) {
  const int64_t k = w.cols, n = w.rows;
  if (w.dtype == DType::F32) return run(m, n, k, x, k, w.data, k, y, n, /*b_transposed=*/true, DType::F32);
  // F16: oneDNN 2.6 has no CPU f16 matmul to rely on; Q8_0 is ours (quantize.h)
  if (w.dtype != DType::BF16) return false;
  // BF16 weights take BF16 activations, rounded once here.
  thread_local std::vector<uint16_t> x16;
  x16.resize(static_cast<size_t>(m * k));
  to_bf16(x, m * k, x16.data());
  return run(m, n, k, x16.data(), k, w.data, k, y, n, /*b_transposed=*/true, DType::BF16);
}

void gemm_f32(bool b_transposed, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c, int64_t ldc) {
  if (run(m, n, k, a, lda, b, ldb, c, ldc, b_transposed, DType::F32)) return;
  // Portable fallback, should a CPU lack every oneDNN float32 implementation.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p) sum += a[i * lda + p] * (b_transposed ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = sum;
    }
}

}  // namespace infilld::kernels::onednn
