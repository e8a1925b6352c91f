// defines: describe_kernel — the contract of each of our kernels (kernels/*.cu): which bytes a
// launch reads and writes, from its arguments, as the kernel's code and its shape comments say
//
// A contract names each argument by its position and checks the parameter's type against the
// kernel's demangled signature, so that a kernel whose parameters change cannot be described by
// a stale contract: the mismatch is a problem of the call, and the check fails.
#include "recorder/kernel_contracts.h"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>

namespace gan::recorder {
namespace {

// The demangled signature split into the function's plain name and its parameter types.
struct Signature {
  std::string text, name;
  std::vector<std::string> parameters;
};

std::string trim(const std::string& s) {
  const size_t first = s.find_first_not_of(' ');
  const size_t last = s.find_last_not_of(' ');
  return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

Signature parse(const std::string& mangled) {
  Signature signature;
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text(abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), std::free);
  signature.text = status == 0 && text ? text.get() : mangled;
  const std::string& s = signature.text;
  // The parameter list is the last top-level (...) of the text.
  if (s.empty() || s.back() != ')') {
    signature.name = s;
    return signature;
  }
  int depth = 0;
  size_t open = std::string::npos;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == ')') ++depth;
    if (s[i] == '(' && --depth == 0) {
      open = i;
      break;
    }
  }
  if (open == std::string::npos) return signature;
  // The name: the last ::-component before the list, without template arguments.
  std::string qualified = s.substr(0, open);
  if (!qualified.empty() && qualified.back() == '>') {
    int angle = 0;
    for (size_t i = qualified.size(); i-- > 0;) {
      if (qualified[i] == '>') ++angle;
      if (qualified[i] == '<' && --angle == 0) {
        qualified.resize(i);
        break;
      }
    }
  }
  const size_t colon = qualified.rfind("::");
  signature.name = trim(colon == std::string::npos ? qualified : qualified.substr(colon + 2));
  const size_t space = signature.name.rfind(' ');  // a template's return type ("void name")
  if (space != std::string::npos) signature.name = signature.name.substr(space + 1);
  // The parameters, split at top-level commas.
  std::string current;
  depth = 0;
  for (size_t i = open + 1; i + 1 < s.size(); ++i) {
    const char c = s[i];
    if (c == '(' || c == '<' || c == '[') ++depth;
    if (c == ')' || c == '>' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      signature.parameters.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!trim(current).empty() && trim(current) != "void") signature.parameters.push_back(trim(current));
  return signature;
}

// A launch's arguments, read by position with the type the contract expects.
class Arguments {
 public:
  Arguments(void** args, const Signature& signature, Call& call) : args_(args), signature_(signature), call_(call) {}

  const void* pointer(size_t i, const char* name) {
    if (!expect(i, name, [](const std::string& t) { return !t.empty() && t.back() == '*'; }, "a pointer")) return nullptr;
    return *static_cast<const void* const*>(args_[i]);
  }
  int64_t integer(size_t i, const char* name) {
    const std::string& type = i < signature_.parameters.size() ? signature_.parameters[i] : std::string();
    if (type == "long" || type == "unsigned long" || type == "long long" || type == "unsigned long long") {
      return *static_cast<const int64_t*>(args_[i]);
    }
    if (type == "int") return *static_cast<const int*>(args_[i]);
    if (type == "unsigned int") return *static_cast<const unsigned*>(args_[i]);
    call_.problems.push_back("contract: argument " + std::to_string(i) + " (" + name + ") is " +
                             (type.empty() ? "missing" : type) + ", not an integer");
    return 0;
  }
  bool flag(size_t i, const char* name) {
    if (!expect(i, name, [](const std::string& t) { return t == "bool"; }, "a bool")) return false;
    return *static_cast<const bool*>(args_[i]);
  }
  // Adds an access of `bytes` at argument i (none if the pointer is null and `optional`).
  void access(size_t i, const char* name, size_t bytes, AccessKind kind, bool optional = false, size_t offset = 0) {
    const void* p = pointer(i, name);
    if (p == nullptr) {
      if (!optional && bytes > 0) call_.problems.push_back(std::string("a null pointer for ") + name);
      return;
    }
    call_.accesses.push_back({static_cast<const char*>(p) + offset, bytes, kind, name});
  }
  Call& call() { return call_; }

 private:
  template <class Test>
  bool expect(size_t i, const char* name, Test test, const char* what) {
    if (i < signature_.parameters.size() && test(signature_.parameters[i])) return true;
    call_.problems.push_back("contract: argument " + std::to_string(i) + " (" + name + ") of " + signature_.text +
                             " is not " + what);
    return false;
  }
  void** args_;
  const Signature& signature_;
  Call& call_;
};

constexpr size_t kFloat = 4;
constexpr auto R = AccessKind::kRead;
constexpr auto W = AccessKind::kWrite;
constexpr auto RW = AccessKind::kReadWrite;

size_t bytes(int64_t count, size_t size) { return count > 0 ? static_cast<size_t>(count) * size : 0; }

struct Contract {
  int max_threads = 0;  // the kernel's __launch_bounds__, as its .cu file declares it
  std::function<void(Arguments&)> accesses;
};

// The fused linear kernels: the same contract, their own launch bounds.
void linear_forward_accesses(Arguments& a) {
  const int64_t B = a.integer(4, "B"), in = a.integer(5, "in"), out = a.integer(6, "out");
  a.access(0, "X", bytes(B * in, kFloat), R);
  a.access(1, "W", bytes(out * in, kFloat), R);
  a.access(2, "b", bytes(out, kFloat), R);
  a.access(3, "Y", bytes(B * out, kFloat), W);
  a.call().flops = 2.0 * static_cast<double>(B * in * out);
  a.call().gemm_rows = B;
  a.call().gemm_cols = out;
}

// The contracts, by kernel name. Sizes in elements as the kernels' comments give them.
const std::map<std::string, Contract>& contracts() {
  static const std::map<std::string, Contract> table = {
      // step_control.cu: the five per-step fields (step .. adam_step_g), then first_nonfinite_step.
      {"set_step_control_kernel", {0, [](Arguments& a) { a.access(0, "control", 5 * 8, W); }}},
      {"record_nonfinite_kernel",
       {0,
        [](Arguments& a) {
          a.access(0, "d_stats", 16, R);
          a.access(1, "g_stats", 16, R);
          a.access(2, "control.step", 8, R);
          a.access(2, "control.first_nonfinite_step", 8, RW, false, 5 * 8);
        }}},
      // batch.cu: the batch's images through the epoch's order from the step's offset; the
      // order and the images are read where the offset points, so only their start is known.
      {"gather_normalize_kernel",
       {0,
        [](Arguments& a) {
          const int64_t pixels = a.integer(1, "pixels"), count = a.integer(4, "count");
          a.access(0, "images", bytes(pixels, 1), R);
          a.access(2, "order", bytes(count, 4), R);
          a.access(3, "device_offset", 8, R);
          a.access(7, "out", bytes(count * pixels, kFloat), W);
        }}},
      {"shuffle_keys_kernel",
       {0,
        [](Arguments& a) {
          const int64_t count = a.integer(2, "count");
          a.access(3, "keys", bytes(count, 4), W);
          a.access(4, "index", bytes(count, 4), W);
        }}},
      // noise.cu
      {"normal_noise_kernel",
       {0,
        [](Arguments& a) {
          a.access(0, "out", bytes(a.integer(1, "count"), kFloat), W);
          a.access(4, "device_step", 8, R);
        }}},
      // linear_forward.cu: Y[B, out] = act(X[B, in] W[out, in]^T + b[out]).
      {"bias_activation_kernel",
       {0,
        [](Arguments& a) {
          const int64_t B = a.integer(2, "B"), out = a.integer(3, "out");
          a.access(0, "Y", bytes(B * out, kFloat), RW);
          a.access(1, "b", bytes(out, kFloat), R, /*optional=*/true);
        }}},
      {"linear_forward_fp32_kernel", {256, linear_forward_accesses}},
      {"linear_forward_tf32_kernel", {128, linear_forward_accesses}},
      // activation_backward.cu: dZ[B, out] from Y and dY; db[out] (optional) its column sums.
      {"activation_backward_kernel",
       {32 * 16,
        [](Arguments& a) {
          const int64_t B = a.integer(6, "B"), out = a.integer(7, "out");
          a.access(2, "Y", bytes(B * out, kFloat), R);
          a.access(3, "dY", bytes(B * out, kFloat), R);
          a.access(4, "dZ", bytes(B * out, kFloat), W);
          a.access(5, "db", bytes(out, kFloat), W, /*optional=*/true);
          if (a.call().grid.x != static_cast<unsigned>((out + 31) / 32)) {
            a.call().problems.push_back("activation backward: a block per 32 columns expected");
          }
        }}},
      // bce.cu: logits and dlogit [n_real + n_fake], one BceDeviceStats (4 floats); one block.
      {"bce_with_logits_kernel",
       {512,
        [](Arguments& a) {
          const int64_t n = a.integer(1, "n_real") + a.integer(2, "n_fake");
          a.access(0, "logits", bytes(n, kFloat), R);
          a.access(3, "dlogit", bytes(n, kFloat), W);
          a.access(4, "stats", 16, W);
          if (a.call().grid.x != 1) a.call().problems.push_back("bce: one block expected (the reduction is in one)");
        }}},
      // hinge.cu: as BCE's, with G's flag (argument 3) after the counts; G's loss has no fake half.
      {"hinge_loss_kernel",
       {512,
        [](Arguments& a) {
          const int64_t n_real = a.integer(1, "n_real"), n_fake = a.integer(2, "n_fake");
          a.access(0, "logits", bytes(n_real + n_fake, kFloat), R);
          a.access(4, "dlogit", bytes(n_real + n_fake, kFloat), W);
          a.access(5, "stats", 16, W);
          if (a.call().grid.x != 1) a.call().problems.push_back("hinge: one block expected (the reduction is in one)");
          if (a.integer(3, "generator") != 0 && n_fake != 0) {
            a.call().problems.push_back("hinge: G's loss with a fake half of " + std::to_string(n_fake));
          }
        }}},
      // spectral_norm.cu: W [rows, cols], u [rows], v [cols], sigma [1]; the partial sums in doubles:
      // W^T u's [chunks (grid.y), cols], W v's [rows], sum(grad * W)'s [blocks (grid.x)].
      {"spectral_norm_wtu_kernel",
       {256,
        [](Arguments& a) {
          const int64_t rows = a.integer(1, "rows"), cols = a.integer(2, "cols");
          a.access(0, "W", bytes(rows * cols, kFloat), R);
          a.access(3, "u", bytes(rows, kFloat), R);
          a.access(4, "partials", bytes(static_cast<int64_t>(a.call().grid.y) * cols, 8), W);
          if (static_cast<int64_t>(a.call().grid.y) * 32 < rows || static_cast<int64_t>(a.call().grid.x) * 256 < cols) {
            a.call().problems.push_back("spectral norm W^T u: the grid leaves rows or columns out");
          }
        }}},
      {"spectral_norm_v_kernel",
       {256,
        [](Arguments& a) {
          const int64_t chunks = a.integer(1, "chunks"), cols = a.integer(2, "cols");
          a.access(0, "partials", bytes(chunks * cols, 8), R);
          a.access(3, "v", bytes(cols, kFloat), W);
          if (a.call().grid.x != 1) a.call().problems.push_back("spectral norm v: one block expected");
        }}},
      {"spectral_norm_wv_kernel",
       {256,
        [](Arguments& a) {
          const int64_t rows = a.integer(1, "rows"), cols = a.integer(2, "cols");
          a.access(0, "W", bytes(rows * cols, kFloat), R);
          a.access(3, "v", bytes(cols, kFloat), R);
          a.access(4, "wv", bytes(rows, 8), W);
          if (static_cast<int64_t>(a.call().grid.x) * 8 < rows) a.call().problems.push_back("spectral norm W v: rows left out");
        }}},
      {"spectral_norm_u_sigma_kernel",
       {256,
        [](Arguments& a) {
          const int64_t rows = a.integer(1, "rows");
          a.access(0, "wv", bytes(rows, 8), R);
          a.access(3, "u", bytes(rows, kFloat), a.integer(2, "iterate") != 0 ? RW : R);
          a.access(4, "sigma", kFloat, W);
          if (a.call().grid.x != 1) a.call().problems.push_back("spectral norm u, sigma: one block expected");
        }}},
      {"spectral_norm_scale_kernel",
       {0,
        [](Arguments& a) {
          const int64_t count = a.integer(1, "count");
          a.access(0, "W", bytes(count, kFloat), R);
          a.access(2, "sigma", kFloat, R);
          a.access(3, "normalised", bytes(count, kFloat), W);
        }}},
      {"spectral_norm_inner_kernel",
       {256,
        [](Arguments& a) {
          const int64_t n = a.integer(2, "n");
          a.access(0, "W", bytes(n, kFloat), R);
          a.access(1, "grad", bytes(n, kFloat), R);
          a.access(3, "partials", bytes(a.call().grid.x, 8), W);
        }}},
      {"spectral_norm_backward_kernel",
       {256,
        [](Arguments& a) {
          const int64_t rows = a.integer(2, "rows"), cols = a.integer(3, "cols");
          a.access(0, "u", bytes(rows, kFloat), R);
          a.access(1, "v", bytes(cols, kFloat), R);
          a.access(4, "sigma", kFloat, R);
          a.access(5, "partials", bytes(a.integer(6, "blocks"), 8), R);
          a.access(7, "grad", bytes(rows * cols, kFloat), RW);
        }}},
      // diff_augment.cu: draws [B, 7]; images [B, C*H*W], a block per image (B is the grid).
      {"augment_draws_kernel",
       {0,
        [](Arguments& a) {
          a.access(1, "device_step_key", 8, R);
          a.access(6, "draws", bytes(a.integer(3, "B") * 7, kFloat), W);
        }}},
      {"diff_augment_kernel",
       {256,
        [](Arguments& a) {
          const int64_t B = a.call().grid.x, n = a.integer(2, "C") * a.integer(3, "H") * a.integer(4, "W");
          const bool color = (a.integer(0, "policy") & 1) != 0;
          a.access(1, "draws", bytes(B * 7, kFloat), R);
          a.access(5, "in", bytes(B * n, kFloat), R);
          if (color) a.access(6, "scratch", bytes(B * n, kFloat), W);  // written before it is read
          a.access(7, "out", bytes(B * n, kFloat), W);
        }}},
      {"diff_augment_backward_kernel",
       {256,
        [](Arguments& a) {
          const int64_t B = a.call().grid.x, n = a.integer(2, "C") * a.integer(3, "H") * a.integer(4, "W");
          a.access(1, "draws", bytes(B * 7, kFloat), R);
          a.access(5, "grad_out", bytes(B * n, kFloat), R);
          a.access(6, "grad_in", bytes(B * n, kFloat), W);
        }}},
      // adam.cu: params, exp_avg, exp_avg_sq updated from grads [n]; t read from the device.
      {"adam_kernel",
       {0,
        [](Arguments& a) {
          const int64_t n = a.integer(4, "n");
          a.access(0, "params", bytes(n, kFloat), RW);
          a.access(1, "grads", bytes(n, kFloat), R);
          a.access(2, "exp_avg", bytes(n, kFloat), RW);
          a.access(3, "exp_avg_sq", bytes(n, kFloat), RW);
          a.access(9, "device_step", 8, R);
          if (a.flag(10, "vectorised")) {  // float4 loads and stores
            for (size_t i : {0, 1, 2, 3}) {
              if (reinterpret_cast<uintptr_t>(a.pointer(i, "a tensor")) % 16 != 0) {
                a.call().problems.push_back("adam: vectorised, but argument " + std::to_string(i) +
                                            " is not 16-byte aligned");
              }
            }
          }
        }}},
      // ema.cu: ema[n] = d ema + (1 - d) params[n]; G's update count t read from the device.
      {"ema_update_kernel",
       {0,
        [](Arguments& a) {
          const int64_t n = a.integer(2, "n");
          a.access(0, "ema", bytes(n, kFloat), RW);
          a.access(1, "params", bytes(n, kFloat), R);
          a.access(4, "device_update", 8, R);
        }}},
      // add.cu: y[n] += x[n].
      {"add_into_kernel",
       {0,
        [](Arguments& a) {
          const int64_t n = a.integer(2, "n");
          a.access(0, "y", bytes(n, kFloat), RW);
          a.access(1, "x", bytes(n, kFloat), R);
        }}},
      // batch_norm.cu: x, y [B, C, HW]; gamma, beta, statistics [C]; a block per channel.
      {"batch_norm_forward_kernel",
       {256,
        [](Arguments& a) {
          const int64_t B = a.integer(1, "B"), C = a.integer(2, "C"), HW = a.integer(3, "HW");
          a.access(0, "x", bytes(B * C * HW, kFloat), R);
          a.access(4, "gamma", bytes(C, kFloat), R);
          a.access(5, "beta", bytes(C, kFloat), R);
          a.access(8, "running_mean", bytes(C, kFloat), RW);
          a.access(9, "running_var", bytes(C, kFloat), RW);
          a.access(12, "y", bytes(B * C * HW, kFloat), W);
          a.access(13, "saved_mean", bytes(C, kFloat), W);
          a.access(14, "saved_inverse_std", bytes(C, kFloat), W);
          if (a.call().grid.x != static_cast<unsigned>(C)) a.call().problems.push_back("batch norm: a block per channel expected");
        }}},
      {"batch_norm_backward_kernel",
       {256,
        [](Arguments& a) {
          const int64_t B = a.integer(3, "B"), C = a.integer(4, "C"), HW = a.integer(5, "HW");
          a.access(0, "x", bytes(B * C * HW, kFloat), R);
          a.access(1, "y", bytes(B * C * HW, kFloat), R);
          a.access(2, "dy", bytes(B * C * HW, kFloat), R);
          a.access(6, "gamma", bytes(C, kFloat), R);
          a.access(7, "saved_mean", bytes(C, kFloat), R);
          a.access(8, "saved_inverse_std", bytes(C, kFloat), R);
          a.access(11, "dx", bytes(B * C * HW, kFloat), W);
          a.access(12, "dgamma", bytes(C, kFloat), W);
          a.access(13, "dbeta", bytes(C, kFloat), W);
          if (a.call().grid.x != static_cast<unsigned>(C)) a.call().problems.push_back("batch norm: a block per channel expected");
        }}},
      // labels.cu. A table is read at the rows the labels pick: only its first row is certain.
      {"gather_labels_kernel",
       {0,
        [](Arguments& a) {
          const int64_t count = a.integer(3, "count");
          a.access(0, "labels", 1, R);
          a.access(1, "order", bytes(count, 4), R);
          a.access(2, "device_offset", 8, R);
          a.access(4, "out", bytes(count, 4), W);
        }}},
      {"draw_classes_kernel",
       {0,
        [](Arguments& a) {
          a.access(0, "out", bytes(a.integer(1, "count"), 4), W);
          a.access(4, "device_step", 8, R);
        }}},
      {"concat_label_embedding_kernel",
       {0,
        [](Arguments& a) {
          const int64_t width = a.integer(1, "width"), dim = a.integer(3, "dim"), column = a.integer(5, "column"),
                        rows = a.integer(6, "rows");
          a.access(0, "x", bytes(rows * width, kFloat), R);
          a.access(2, "table", bytes(dim, kFloat), R);
          a.access(4, "labels", bytes(rows, 4), R);
          a.access(7, "out", bytes(rows * (width + dim), kFloat), W);
          if (column < 0 || column > width) a.call().problems.push_back("concat: the label column lies outside the row");
        }}},
      {"label_class_sums_kernel",
       {0,
        [](Arguments& a) {
          const int64_t rows = a.integer(2, "rows"), out = a.integer(3, "out"), classes = a.integer(4, "classes");
          a.access(0, "dZ", bytes(rows * out, kFloat), R);
          a.access(1, "labels", bytes(rows, 4), R);
          a.access(5, "class_sums", bytes(classes * out, kFloat), W);
        }}},
      {"label_projection_forward_kernel",
       {0,
        [](Arguments& a) {
          const int64_t rows = a.call().grid.x, width = a.integer(3, "width");
          a.access(0, "features", bytes(rows * width, kFloat), R);
          a.access(1, "table", bytes(width, kFloat), R);
          a.access(2, "labels", bytes(rows, 4), R);
          a.access(4, "logits", bytes(rows, kFloat), RW);
        }}},
      {"label_projection_features_grad_kernel",
       {0,
        [](Arguments& a) {
          const int64_t rows = a.integer(3, "rows"), width = a.integer(4, "width");
          a.access(0, "table", bytes(width, kFloat), R);
          a.access(1, "labels", bytes(rows, 4), R);
          a.access(2, "d_logits", bytes(rows, kFloat), R);
          a.access(5, "d_features", bytes(rows * width, kFloat), RW);
        }}},
      {"label_projection_table_grad_kernel",
       {0,
        [](Arguments& a) {
          const int64_t rows = a.integer(3, "rows"), width = a.integer(4, "width"), classes = a.integer(5, "classes");
          a.access(0, "features", bytes(rows * width, kFloat), R);
          a.access(1, "labels", bytes(rows, 4), R);
          a.access(2, "d_logits", bytes(rows, kFloat), R);
          a.access(6, "d_table", bytes(classes * width, kFloat), W);
        }}},
  };
  return table;
}

}  // namespace

void describe_kernel(Call& call, const std::string& mangled_name, void** args) {
  const Signature signature = parse(mangled_name);
  call.name = signature.name.empty() ? "(an unregistered kernel)" : signature.name;
  call.signature = signature.text;
  Arguments arguments(args, signature, call);
  const auto found = contracts().find(signature.name);
  if (found != contracts().end()) {
    call.kind = CallKind::kKernel;
    call.max_threads = found->second.max_threads;
    found->second.accesses(arguments);
    return;
  }
  // No contract: every pointer argument, to the end of its buffer, read if const, else written.
  call.kind = CallKind::kOpaqueKernel;
  for (size_t i = 0; i < signature.parameters.size(); ++i) {
    const std::string& type = signature.parameters[i];
    if (type.empty() || type.back() != '*') continue;
    const void* p = *static_cast<const void* const*>(args[i]);
    if (p == nullptr) continue;
    const bool constant = type.find("const") != std::string::npos;
    Access access{p, 0, constant ? AccessKind::kRead : AccessKind::kReadWrite, "argument " + std::to_string(i)};
    access.unknown_extent = true;
    call.accesses.push_back(access);
  }
  if (signature.text.rfind("cub::", 0) != 0 && signature.text.find(" cub::") == std::string::npos) {
    call.problems.push_back("kernel " + signature.text + " has no contract in tests/recorder/kernel_contracts.cpp");
  }
}

}  // namespace gan::recorder
