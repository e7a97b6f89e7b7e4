// bench_blas_shapes: OpenBLAS vs oneDNN on infilld's matmul shapes (docs/decisions.md).
//
// Standalone: depends only on OpenBLAS (cblas.h) and oneDNN 2.x (<oneapi/dnnl/dnnl.hpp>),
// never on other infilld code, so it builds while the engine does not.
//
// The matmul is Y[T,N] = X[T,K] * W[N,K]^T: activations row-major, weights stored
// [out, in] row-major as in Hugging Face checkpoints. Configurations measured per shape:
//   openblas_sgemm    cblas_sgemm(RowMajor, NoTrans, Trans) on the F32 weights as stored.
//   openblas_sgemv    (T == 1 only) cblas_sgemv on the same weights: what an engine would
//                     call for a single row; OpenBLAS 0.3.21 does not forward gemm to gemv.
//   dnnl_f32_plain    oneDNN matmul, F32, weights described as [K,N] with strides {1,K}
//                     (the stored buffer used in place, no copy).
//   dnnl_f32_packed   oneDNN matmul, F32, weights format_tag::any: oneDNN picks a blocked
//                     layout, the weights are reordered into it once, before timing (what
//                     an engine would do once at load time).
//   dnnl_bf16_plain   BF16 source and weights (weights in place, strides {1,K}), F32 dst.
//   dnnl_bf16_packed  BF16 source, BF16 weights reordered once into oneDNN's layout, F32 dst.
// The BF16 source is converted before timing (an engine would convert T*K activations
// per call: small next to the matmul, not measured here).
//
// Timing: every configuration of one (shape, T) case is set up and warmed up, then run
// in --rounds interleaved rounds; one sample is a batch of calls lasting about
// --target-ms, divided by its call count. Within a round the configs of one library run,
// then those of the other (which goes first alternates), with a --gap-ms sleep at each
// switch so the previous library's idle threads have stopped spinning (see the loop).
// A sample during which this process's threads waited on the run queue for more than
// --max-wait of the wall time (another process's load) is retaken, up to --retries
// times. Reported: median, min and max per-call time over the rounds, GFLOP/s =
// 2*T*N*K / time, the run-queue wait and the process CPU time / wall time (about 2 when
// both threads work or spin, 1 when a library runs the call on one thread). Weights
// stay hot in cache between calls, which flatters the memory-bound small shapes
// (T = 1) equally for every library. On a shared machine, run it with a raised priority:
//   setsid sh -c 'echo -20 > /proc/self/autogroup; exec nice -n -20 bench_blas_shapes ...'
//
// OpenBLAS picks its kernels when it is loaded (DYNAMIC_ARCH). The core it picked is
// recorded; --openblas-core NAME sets OPENBLAS_CORETYPE and re-executes this program so
// the choice applies ("auto" removes the variable).
//
// Usage: bench_blas_shapes [--out results.json] [--rounds 5] [--target-ms 25]
//          [--gap-ms 150] [--retries 3] [--max-wait 0.05] [--threads 2]
//          [--models 0.5B,7B] [--T 1,32,512]
//          [--configs name,...] [--max-call-s 2] [--openblas-core NAME|auto]
//          [--onednn-max-isa avx512_core_bf16|avx512_core|avx2]   (e.g. to see oneDNN without AMX)

#include <cblas.h>
#include <dirent.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern "C" {
char* openblas_get_corename(void);
char* openblas_get_config(void);
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  std::string model;
  std::string name;
  int64_t K;
  int64_t N;
};

struct Options {
  std::string out;
  int rounds = 5;
  double target_ms = 25.0;
  double gap_ms = 150.0;
  int retries = 3;
  double max_wait = 0.05;
  int threads = 2;
  double max_call_s = 2.0;
  std::vector<std::string> models = {"0.5B", "7B"};
  std::vector<int64_t> Ts = {1, 32, 512};
  std::vector<std::string> configs;  // empty: all
  std::string openblas_core;         // empty: leave the environment alone
  std::string onednn_max_isa;        // empty: oneDNN's default (all it supports)
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "bench_blas_shapes: %s\n", msg);
  std::fprintf(stderr,
               "usage: bench_blas_shapes [--out FILE.json] [--rounds N] [--target-ms MS]\n"
               "  [--gap-ms MS] [--retries N] [--max-wait FRAC] [--threads N]\n"
               "  [--models 0.5B,7B] [--T 1,32,512]\n"
               "  [--configs openblas_sgemm,openblas_sgemv,dnnl_f32_plain,dnnl_f32_packed,\n"
               "             dnnl_bf16_plain,dnnl_bf16_packed] [--max-call-s S]\n"
               "  [--openblas-core NAME|auto] [--onednn-max-isa avx512_core_bf16|avx512_core|avx2]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--out") o.out = value();
    else if (a == "--rounds") o.rounds = std::max(1, std::atoi(value().c_str()));
    else if (a == "--target-ms") o.target_ms = std::atof(value().c_str());
    else if (a == "--gap-ms") o.gap_ms = std::atof(value().c_str());
    else if (a == "--retries") o.retries = std::max(0, std::atoi(value().c_str()));
    else if (a == "--max-wait") o.max_wait = std::atof(value().c_str());
    else if (a == "--threads") o.threads = std::max(1, std::atoi(value().c_str()));
    else if (a == "--max-call-s") o.max_call_s = std::atof(value().c_str());
    else if (a == "--models") o.models = split(value(), ',');
    else if (a == "--configs") o.configs = split(value(), ',');
    else if (a == "--openblas-core") o.openblas_core = value();
    else if (a == "--onednn-max-isa") o.onednn_max_isa = value();
    else if (a == "--T") {
      o.Ts.clear();
      for (auto& t : split(value(), ',')) o.Ts.push_back(std::atoll(t.c_str()));
    } else if (a == "-h" || a == "--help") usage("help");
    else usage(("unknown argument " + a).c_str());
  }
  return o;
}

// OPENBLAS_CORETYPE is read when libopenblas is loaded, before main: re-exec to apply it.
void apply_openblas_core(const Options& o, char** argv) {
  if (o.openblas_core.empty()) return;
  const char* cur = std::getenv("OPENBLAS_CORETYPE");
  if (o.openblas_core == "auto") {
    if (!cur) return;
    unsetenv("OPENBLAS_CORETYPE");
  } else {
    if (cur && o.openblas_core == cur) return;
    setenv("OPENBLAS_CORETYPE", o.openblas_core.c_str(), 1);
  }
  execv("/proc/self/exe", argv);
  std::perror("bench_blas_shapes: execv /proc/self/exe");
  std::exit(1);
}

uint16_t to_bf16(float f) {  // round to nearest even (inputs are finite)
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      if (p != std::string::npos) return line.substr(p + 2);
    }
  return "unknown";
}

std::string cpu_flags_of_interest() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("flags", 0) == 0) {
      std::string out;
      for (auto& fl : split(line.substr(line.find(':') + 1), ' '))
        if (fl.rfind("avx512", 0) == 0 || fl.rfind("amx", 0) == 0 || fl == "avx2" || fl == "fma") {
          if (!out.empty()) out += ' ';
          out += fl;
        }
      return out;
    }
  return "";
}

std::string cpu_family_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line, fam, model;
  while (std::getline(f, line)) {
    auto val = [&] { return line.substr(line.find(':') + 2); };
    if (fam.empty() && line.rfind("cpu family", 0) == 0) fam = val();
    if (model.empty() && line.rfind("model\t", 0) == 0) model = val();
  }
  return "family " + fam + " model " + model;
}

std::string isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::all: return "all";
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other(" + std::to_string(static_cast<int>(isa)) + ")";
  }
}

// A readable description of a oneDNN memory layout (oneDNN 2.6 has no public md2fmt).
std::string describe_md(const dnnl::memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  std::ostringstream s;
  if (d.format_kind != dnnl_blocked) {
    s << "format_kind=" << static_cast<int>(d.format_kind);
    return s.str();
  }
  const auto& b = d.format_desc.blocking;
  s << "strides=[";
  for (int i = 0; i < d.ndims; ++i) s << (i ? "," : "") << b.strides[i];
  s << "]";
  if (b.inner_nblks > 0) {
    s << " inner=";
    for (int i = 0; i < b.inner_nblks; ++i)
      s << b.inner_blks[i] << static_cast<char>('a' + b.inner_idxs[i]);
  }
  return s.str();
}

std::string json_escape(const std::string& in) {
  std::string o;
  for (char c : in) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += c;
        }
    }
  }
  return o;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Seconds the threads of this process have spent runnable but waiting for a CPU (sum of
// /proc/self/task/*/schedstat run_delay): other processes' load shows up here.
double runqueue_wait_seconds() {
  double total = 0.0;
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return 0.0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::string path = std::string("/proc/self/task/") + e->d_name + "/schedstat";
    if (FILE* f = std::fopen(path.c_str(), "r")) {
      unsigned long long run = 0, wait = 0;
      if (std::fscanf(f, "%llu %llu", &run, &wait) == 2) total += wait * 1e-9;
      std::fclose(f);
    }
  }
  closedir(dir);
  return total;
}

struct Config {
  std::string name;
  std::string impl;          // oneDNN impl_info_str, or the OpenBLAS core
  std::string weights_fmt;   // layout the weights are used in
  size_t weights_bytes = 0;  // bytes of weights the call reads
  double create_ms = 0.0;    // oneDNN: primitive creation time (first one of its kind)
  std::function<void()> run;
  const float* y = nullptr;  // output, for the correctness check
  double max_rel_err = 0.0;
  std::vector<double> samples;  // seconds per call, one per round
  std::vector<double> cpu_util;  // process CPU seconds / wall seconds, per round
  std::vector<double> wait_frac;  // runqueue wait seconds / wall seconds, per round
  int retried = 0;                // samples re-taken because of CPU contention
};

Config make_config(std::string name, std::string impl, std::string fmt, size_t bytes) {
  Config c;
  c.name = std::move(name);
  c.impl = std::move(impl);
  c.weights_fmt = std::move(fmt);
  c.weights_bytes = bytes;
  return c;
}

struct CaseResult {
  Shape shape;
  int64_t T = 0;
  bool skipped = false;
  std::string skip_reason;
  std::vector<Config> configs;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool wanted(const Options& o, const std::string& name) {
  return o.configs.empty() || std::find(o.configs.begin(), o.configs.end(), name) != o.configs.end();
}

struct DnnlMatmul {
  dnnl::matmul prim;
  dnnl::memory src, wei, dst;
  std::string impl, fmt;
  size_t wbytes = 0;
  double create_ms = 0.0;  // primitive_desc + primitive creation (JIT), weights reorder excluded
};

// Builds a oneDNN matmul. src_buf: T*K elements of dt; w_plain: N*K elements of dt stored
// [N,K] row-major, seen by oneDNN as [K,N] with strides {1,K}. packed: weights
// format_tag::any, reordered once from w_plain into the layout the primitive wants.
DnnlMatmul make_dnnl(dnnl::engine& eng, dnnl::stream& strm, dnnl::memory::data_type dt, int64_t T,
                     int64_t K, int64_t N, void* src_buf, void* w_plain, float* dst_buf, bool packed) {
  using namespace dnnl;
  using dt_t = memory::data_type;
  memory::desc src_md({T, K}, dt, memory::format_tag::ab);
  memory::desc w_plain_md({K, N}, dt, memory::dims{1, K});
  memory::desc dst_md({T, N}, dt_t::f32, memory::format_tag::ab);
  memory::desc w_req_md = packed ? memory::desc({K, N}, dt, memory::format_tag::any) : w_plain_md;
  auto t0 = Clock::now();
  matmul::desc d(src_md, w_req_md, dst_md);
  matmul::primitive_desc pd(d, eng);
  DnnlMatmul m;
  m.prim = matmul(pd);
  m.create_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  m.impl = pd.impl_info_str();
  m.src = memory(pd.src_desc(), eng, src_buf);
  m.dst = memory(pd.dst_desc(), eng, dst_buf);
  memory w_plain_mem(w_plain_md, eng, w_plain);
  if (pd.weights_desc() == w_plain_md) {
    m.wei = w_plain_mem;
  } else {
    m.wei = memory(pd.weights_desc(), eng);  // oneDNN-owned buffer
    reorder(w_plain_mem, m.wei).execute(strm, w_plain_mem, m.wei);
    strm.wait();
  }
  m.fmt = describe_md(pd.weights_desc());
  m.wbytes = pd.weights_desc().get_size();
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  apply_openblas_core(opt, argv);

  openblas_set_num_threads(opt.threads);
  // Debian's libdnnl is built with OpenMP (libgomp): set its thread count the way
  // OMP_NUM_THREADS would, through libgomp, which libdnnl has loaded.
  using omp_set_t = void (*)(int);
  using omp_get_t = int (*)();
  auto omp_set = reinterpret_cast<omp_set_t>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  auto omp_get = reinterpret_cast<omp_get_t>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  if (omp_set) omp_set(opt.threads);
  int omp_threads = omp_get ? omp_get() : -1;

  if (!opt.onednn_max_isa.empty()) {
    dnnl::cpu_isa isa = dnnl::cpu_isa::all;
    for (auto cand : {dnnl::cpu_isa::avx2, dnnl::cpu_isa::avx512_core, dnnl::cpu_isa::avx512_core_vnni,
                      dnnl::cpu_isa::avx512_core_bf16, dnnl::cpu_isa::avx512_core_amx})
      if (isa_name(cand) == opt.onednn_max_isa) isa = cand;
    if (isa == dnnl::cpu_isa::all) usage(("unknown --onednn-max-isa " + opt.onednn_max_isa).c_str());
    dnnl::set_max_cpu_isa(isa);
  }
    const dnnl_version_t* dv = dnnl_version();
  std::string dnnl_runtime = dv->cpu_runtime == DNNL_RUNTIME_OMP    ? "OMP"
                             : dv->cpu_runtime == DNNL_RUNTIME_TBB  ? "TBB"
                             : dv->cpu_runtime == DNNL_RUNTIME_SEQ  ? "SEQ"
                             : dv->cpu_runtime == DNNL_RUNTIME_THREADPOOL ? "THREADPOOL"
                                                                    : "other";
  std::string dnnl_isa = isa_name(dnnl::get_effective_cpu_isa());
  std::string ob_core = openblas_get_corename();
  std::string ob_config = openblas_get_config();
  const char* ob_env = std::getenv("OPENBLAS_CORETYPE");
  bool has_sbgemm = dlsym(RTLD_DEFAULT, "cblas_sbgemm") != nullptr;

  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));

  std::printf("machine: %s (%s), %ld online cpus\n", cpu_model().c_str(), cpu_family_model().c_str(),
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("OpenBLAS: %s | core %s%s | threads %d | cblas_sbgemm %s\n", ob_config.c_str(),
              ob_core.c_str(), ob_env ? (std::string(" (OPENBLAS_CORETYPE=") + ob_env + ")").c_str() : "",
              openblas_get_num_threads(), has_sbgemm ? "yes" : "no");
  std::printf("oneDNN: %d.%d.%d | cpu runtime %s | omp threads %d | effective ISA %s\n", dv->major,
              dv->minor, dv->patch, dnnl_runtime.c_str(), omp_threads, dnnl_isa.c_str());

  std::vector<Shape> all = {
      {"0.5B", "q/o", 896, 896},        {"0.5B", "k/v", 896, 128},
      {"0.5B", "gate/up", 896, 4864},   {"0.5B", "down", 4864, 896},
      {"0.5B", "lm_head", 896, 151936}, {"7B", "q/o", 3584, 3584},
      {"7B", "gate/up", 3584, 18944},   {"7B", "down", 18944, 3584},
  };

  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  std::vector<CaseResult> results;
  auto t_start = Clock::now();

  std::printf("\n%-5s %-8s %6s %6s %4s | %-16s %9s %8s %8s %8s  %4s %5s %s\n", "model", "matrix", "K", "N",
              "T", "config", "ms/call", "GFLOP/s", "min", "max", "cpu", "wait", "retry");
  for (const Shape& sh : all) {
    if (std::find(opt.models.begin(), opt.models.end(), sh.model) == opt.models.end()) continue;
    const int64_t K = sh.K, N = sh.N;
    // Weights: F32 and BF16 copies of the same values, stored [N,K] row-major.
    std::vector<float> w(static_cast<size_t>(N * K));
    for (auto& x : w) x = uni(rng) * 0.05f;
    std::vector<uint16_t> w16(w.size());
    for (size_t i = 0; i < w.size(); ++i) w16[i] = to_bf16(w[i]);
    for (int64_t T : opt.Ts) {
      CaseResult cr;
      cr.shape = sh;
      cr.T = T;
      const double flops = 2.0 * T * N * K;
      std::vector<float> x(static_cast<size_t>(T * K));
      for (auto& v : x) v = uni(rng);
      std::vector<uint16_t> x16(x.size());
      for (size_t i = 0; i < x.size(); ++i) x16[i] = to_bf16(x[i]);
      // One output buffer per config so the results can be compared.
      std::vector<std::unique_ptr<std::vector<float>>> outs;
      auto new_out = [&]() -> float* {
        outs.push_back(std::make_unique<std::vector<float>>(static_cast<size_t>(T * N), 0.0f));
        return outs.back()->data();
      };
      std::vector<DnnlMatmul> keep;  // keeps oneDNN objects alive
      keep.reserve(4);

      if (wanted(opt, "openblas_sgemm")) {
        Config c = make_config("openblas_sgemm", "OpenBLAS " + ob_core, "[N,K] row-major (stored)", w.size() * 4);
        float* y = new_out();
        const float* X = x.data();
        const float* W = w.data();
        c.run = [=] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(T), static_cast<int>(N),
                      static_cast<int>(K), 1.0f, X, static_cast<int>(K), W, static_cast<int>(K), 0.0f, y,
                      static_cast<int>(N));
        };
        c.y = y;
        cr.configs.push_back(std::move(c));
      }
      if (T == 1 && wanted(opt, "openblas_sgemv")) {
        Config c = make_config("openblas_sgemv", "OpenBLAS " + ob_core, "[N,K] row-major (stored)", w.size() * 4);
        float* y = new_out();
        const float* X = x.data();
        const float* W = w.data();
        c.run = [=] {
          cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(N), static_cast<int>(K), 1.0f, W,
                      static_cast<int>(K), X, 1, 0.0f, y, 1);
        };
        c.y = y;
        cr.configs.push_back(std::move(c));
      }
      struct DnnlVariant {
        const char* name;
        dnnl::memory::data_type dt;
        bool packed;
      };
      const DnnlVariant variants[] = {
          {"dnnl_f32_plain", dnnl::memory::data_type::f32, false},
          {"dnnl_f32_packed", dnnl::memory::data_type::f32, true},
          {"dnnl_bf16_plain", dnnl::memory::data_type::bf16, false},
          {"dnnl_bf16_packed", dnnl::memory::data_type::bf16, true},
      };
      for (const auto& v : variants) {
        if (!wanted(opt, v.name)) continue;
        bool f32 = v.dt == dnnl::memory::data_type::f32;
        float* y = new_out();
        try {
          keep.push_back(make_dnnl(eng, strm, v.dt, T, K, N, f32 ? static_cast<void*>(x.data()) : x16.data(),
                                   f32 ? static_cast<void*>(w.data()) : w16.data(), y, v.packed));
        } catch (const dnnl::error& e) {
          std::fprintf(stderr, "%s: oneDNN error: %s\n", v.name, e.what());
          continue;
        }
        DnnlMatmul* m = &keep.back();
        Config c = make_config(v.name, m->impl, m->fmt, m->wbytes);
        c.create_ms = m->create_ms;
        c.run = [m, &strm] {
          m->prim.execute(strm, {{DNNL_ARG_SRC, m->src}, {DNNL_ARG_WEIGHTS, m->wei}, {DNNL_ARG_DST, m->dst}});
          strm.wait();
        };
        c.y = y;
        cr.configs.push_back(std::move(c));
      }

      // Warm up (first calls allocate, JIT, spawn threads), then estimate a call's time.
      double worst = 0.0;
      std::vector<double> est(cr.configs.size());
      for (size_t i = 0; i < cr.configs.size(); ++i) {
        cr.configs[i].run();
        auto t0 = Clock::now();
        cr.configs[i].run();
        est[i] = std::chrono::duration<double>(Clock::now() - t0).count();
        worst = std::max(worst, est[i]);
      }
      if (worst > opt.max_call_s) {
        cr.skipped = true;
        cr.skip_reason = "a call takes " + std::to_string(worst) + " s > --max-call-s";
        std::printf("%-5s %-8s %6ld %6ld %4ld | skipped: %s\n", sh.model.c_str(), sh.name.c_str(), (long)K,
                    (long)N, (long)T, cr.skip_reason.c_str());
        results.push_back(std::move(cr));
        continue;
      }

      // Correctness against the first config (F32 OpenBLAS when present).
      const float* ref = cr.configs.empty() ? nullptr : cr.configs[0].y;
      double ref_scale = 0.0;
      for (int64_t i = 0; ref && i < T * N; ++i) ref_scale = std::max(ref_scale, (double)std::fabs(ref[i]));
      for (auto& c : cr.configs) {
        double e = 0.0;
        for (int64_t i = 0; ref && i < T * N; ++i) e = std::max(e, (double)std::fabs(c.y[i] - ref[i]));
        c.max_rel_err = ref_scale > 0 ? e / ref_scale : 0.0;
      }

      // Per-config call counts so a batch lasts about target_ms.
      std::vector<int> reps(cr.configs.size());
      for (size_t i = 0; i < cr.configs.size(); ++i)
        reps[i] = std::max(1, static_cast<int>(std::lround(opt.target_ms * 1e-3 / std::max(est[i], 1e-7))));
      // Round order: the configs of one library, then those of the other (which library
      // goes first alternates, and the order inside a library rotates). After each library
      // switch we sleep --gap-ms: OpenBLAS's idle worker spins on a core for ~2^28 TSC
      // cycles (~130 ms here) after a call and libgomp's for a few ms, which would steal
      // a core from the next library's calls on a 2-core machine.
      const size_t nc = cr.configs.size();
      std::vector<size_t> group[2];
      for (size_t i = 0; i < nc; ++i) group[cr.configs[i].name.rfind("openblas", 0) == 0 ? 0 : 1].push_back(i);
      std::string last_lib;
      for (int r = 0; r < opt.rounds; ++r) {
        std::vector<size_t> order;
        for (int gi = 0; gi < 2; ++gi) {
          const auto& g = group[(gi + r) % 2];
          for (size_t j = 0; j < g.size(); ++j) order.push_back(g[(j + static_cast<size_t>(r)) % g.size()]);
        }
        for (size_t i : order) {
          Config& c = cr.configs[i];
          std::string lib = c.name.substr(0, c.name.find('_'));
          if (lib != last_lib && opt.gap_ms > 0)
            std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(opt.gap_ms));
          last_lib = lib;
          // A sample during which our threads waited for a CPU (someone else's load on
          // this shared machine) is taken again, up to --retries times; the least
          // disturbed attempt is kept and its wait fraction recorded.
          double best_wait = 1e300, best_time = 0.0, best_util = 0.0;
          for (int attempt = 0; attempt <= opt.retries; ++attempt) {
            double w0 = runqueue_wait_seconds();
            double c0 = cpu_seconds();
            auto t0 = Clock::now();
            for (int k = 0; k < reps[i]; ++k) c.run();
            double wall = std::chrono::duration<double>(Clock::now() - t0).count();
            double cpu = cpu_seconds() - c0;
            double wait = (runqueue_wait_seconds() - w0) / wall;
            if (wait < best_wait) {
              best_wait = wait;
              best_time = wall / reps[i];
              best_util = cpu / wall;
            }
            if (wait <= opt.max_wait) break;
            if (attempt < opt.retries) ++c.retried;
          }
          c.samples.push_back(best_time);
          c.cpu_util.push_back(best_util);
          c.wait_frac.push_back(best_wait);
        }
      }
      for (size_t i = 0; i < nc; ++i) {
        const Config& c = cr.configs[i];
        double med = median(c.samples);
        double mn = *std::min_element(c.samples.begin(), c.samples.end());
        double mx = *std::max_element(c.samples.begin(), c.samples.end());
        std::printf("%-5s %-8s %6ld %6ld %4ld | %-16s %9.4f %8.1f %8.1f %8.1f  %4.2f %5.3f %d%s\n",
                    sh.model.c_str(), sh.name.c_str(), (long)K, (long)N, (long)T, c.name.c_str(), med * 1e3,
                    flops / med * 1e-9, flops / mx * 1e-9, flops / mn * 1e-9, median(c.cpu_util),
                    *std::max_element(c.wait_frac.begin(), c.wait_frac.end()), c.retried,
                    c.max_rel_err > (c.name.find("bf16") != std::string::npos ? 3e-2 : 1e-4)
                        ? "  (LARGE ERROR)"
                        : "");
      }
      for (const auto& c : cr.configs)
        if (c.name.rfind("dnnl", 0) == 0)
          std::printf("      %-16s impl=%s weights=%s create=%.2fms\n", c.name.c_str(), c.impl.c_str(),
                      c.weights_fmt.c_str(), c.create_ms);
      std::fflush(stdout);
      results.push_back(std::move(cr));
    }
  }
  double total_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  std::printf("\ntotal %.1f s\n", total_s);

  if (opt.out.empty()) return 0;
  std::ofstream js(opt.out);
  if (!js) {
    std::fprintf(stderr, "cannot write %s\n", opt.out.c_str());
    return 1;
  }
  auto q = [](const std::string& s) { return "\"" + json_escape(s) + "\""; };
  js << "{\n  \"benchmark\": \"bench_blas_shapes\",\n  \"date_utc\": " << q(date) << ",\n";
  js << "  \"matmul\": \"Y[T,N] = X[T,K] * W[N,K]^T, W stored [N,K] row-major\",\n";
  js << "  \"machine\": {\"cpu_model\": " << q(cpu_model()) << ", \"cpu_id\": " << q(cpu_family_model())
     << ", \"online_cpus\": " << sysconf(_SC_NPROCESSORS_ONLN) << ", \"cpu_flags\": " << q(cpu_flags_of_interest())
     << "},\n";
  js << "  \"compiler\": " << q(__VERSION__) << ",\n";
  {
    std::string cmd;
    for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
    std::string autogroup;
    std::ifstream ag("/proc/self/autogroup");
    std::getline(ag, autogroup);
    js << "  \"process\": {\"argv\": " << q(cmd) << ", \"nice\": " << getpriority(PRIO_PROCESS, 0)
       << ", \"autogroup\": " << q(autogroup) << "},\n";
  }
  js << "  \"openblas\": {\"config\": " << q(ob_config) << ", \"core\": " << q(ob_core)
     << ", \"OPENBLAS_CORETYPE\": " << (ob_env ? q(ob_env) : std::string("null"))
     << ", \"threads\": " << openblas_get_num_threads() << ", \"cblas_sbgemm\": " << (has_sbgemm ? "true" : "false")
     << "},\n";
  js << "  \"onednn\": {\"version\": \"" << dv->major << "." << dv->minor << "." << dv->patch
     << "\", \"cpu_runtime\": " << q(dnnl_runtime) << ", \"omp_max_threads\": " << omp_threads
     << ", \"effective_isa\": " << q(dnnl_isa) << "},\n";
  js << "  \"settings\": {\"threads\": " << opt.threads << ", \"rounds\": " << opt.rounds
     << ", \"target_ms_per_sample\": " << opt.target_ms << ", \"gap_ms\": " << opt.gap_ms
     << ", \"retries\": " << opt.retries << ", \"max_runqueue_wait_frac\": " << opt.max_wait
     << ", \"max_call_s\": " << opt.max_call_s << ", \"total_s\": " << total_s << "},\n";
  js << "  \"results\": [\n";
  for (size_t ri = 0; ri < results.size(); ++ri) {
    const CaseResult& cr = results[ri];
    const double flops = 2.0 * cr.T * cr.shape.N * cr.shape.K;
    js << "    {\"model\": " << q(cr.shape.model) << ", \"matrix\": " << q(cr.shape.name) << ", \"T\": " << cr.T
       << ", \"K\": " << cr.shape.K << ", \"N\": " << cr.shape.N;
    if (cr.skipped) {
      js << ", \"skipped\": " << q(cr.skip_reason) << "}";
    } else {
      js << ", \"configs\": [\n";
      for (size_t i = 0; i < cr.configs.size(); ++i) {
        const Config& c = cr.configs[i];
        double med = median(c.samples);
        double mn = *std::min_element(c.samples.begin(), c.samples.end());
        double mx = *std::max_element(c.samples.begin(), c.samples.end());
        js << "      {\"name\": " << q(c.name) << ", \"impl\": " << q(c.impl) << ", \"weights_layout\": "
           << q(c.weights_fmt) << ", \"weights_bytes\": " << c.weights_bytes
           << ", \"median_ms\": " << med * 1e3 << ", \"min_ms\": " << mn * 1e3 << ", \"max_ms\": " << mx * 1e3
           << ", \"gflops_median\": " << flops / med * 1e-9 << ", \"gflops_min\": " << flops / mx * 1e-9
           << ", \"gflops_max\": " << flops / mn * 1e-9 << ", \"cpu_util_median\": " << median(c.cpu_util)
           << ", \"create_ms\": " << c.create_ms
           << ", \"runqueue_wait_frac_max\": " << *std::max_element(c.wait_frac.begin(), c.wait_frac.end())
           << ", \"samples_retaken\": " << c.retried << ", \"max_rel_err_vs_first\": " << c.max_rel_err
           << ", \"samples_ms\": [";
        for (size_t k = 0; k < c.samples.size(); ++k) js << (k ? ", " : "") << c.samples[k] * 1e3;
        js << "]}" << (i + 1 < cr.configs.size() ? "," : "") << "\n";
      }
      js << "    ]}";
    }
    js << (ri + 1 < results.size() ? "," : "") << "\n";
  }
  js << "  ]\n}\n";
  std::printf("wrote %s\n", opt.out.c_str());
  return 0;
}
