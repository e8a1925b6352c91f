#pragma once
// defines: linear_forward, activation_forward, activation_backward, linear_backward_weight,
// linear_backward_input, concat_label_embedding, label_class_sums, label_embedding_backward,
// label_projection_forward, label_projection_backward, BceStats, bce_with_logits, hinge_discriminator,
// hinge_generator, discriminator_loss, generator_loss, adam_update, ema_update, gemm_naive — the CPU reference
// ops of the training step, and the plain loop the BLAS path is tested against
//
// Every op is a template over float (the trainer) and double (the finite-difference tests).
// All matrices are row-major with PyTorch's layouts: activations [batch, features], weights
// [out, in]. These are the oracles the CUDA kernels are checked against; keep them loops a
// reader can verify by eye (GEMMs go to OpenBLAS, itself tested against gemm_naive).
#include <cstddef>
#include <cstdint>

#include "adam_settings.h"  // AdamSettings, shared with the Adam kernel
#include "ema_settings.h"   // ema_decay_at, shared with the EMA kernel
#include "model/model_spec.h"

namespace gan {

// Y[B, out] = X[B, in] W[out, in]^T + b[out]   (no activation; see activation_forward)
template <class T>
void linear_forward(const T* X, const T* W, const T* b, T* Y, int64_t B, int64_t in, int64_t out);

// Y[n] = act(Y[n]) in place. LeakyReLU: y = z > 0 ? z : slope * z. Tanh. Identity: no-op.
template <class T>
void activation_forward(Activation activation, T slope, T* Y, size_t n);

// From the activation's output alone (valid for slope > 0):
//   dZ[B, out] = dY[B, out] * act'(Y)   LeakyReLU: Y > 0 ? 1 : slope; Tanh: 1 - Y^2; Identity: 1
//   db[out]    = sum over the batch of dZ  (skipped when db is null)
// dZ may alias dY.
template <class T>
void activation_backward(Activation activation, T slope, const T* Y, const T* dY, T* dZ, T* db, int64_t B,
                         int64_t out);

// dW[out, in] = dZ[B, out]^T X[B, in]   (overwrites dW)
template <class T>
void linear_backward_weight(const T* dZ, const T* X, T* dW, int64_t B, int64_t in, int64_t out);

// dX[B, in] = dZ[B, out] W[out, in]     (overwrites dX)
template <class T>
void linear_backward_input(const T* dZ, const T* W, T* dX, int64_t B, int64_t in, int64_t out);

// The conditional networks' first-layer input (model_spec.h, LabelEmbedding): the label's row
// of the table inserted at column `column` of each row of x:
//   out[r, :] = x[r, 0:column) | table[labels[r], 0:dim) | x[r, column:width)
// x [B, width], table [classes, dim], labels [B] (each in 0..classes-1), out [B, width + dim]
template <class T>
void concat_label_embedding(const T* x, int64_t width, const T* table, int64_t dim, const int32_t* labels,
                            int64_t column, int64_t B, T* out);

// Per-class row sums of the columns [column, column + dim) of x [B, width]: sums[c, j] = the sum,
// in row order, of x[r, column + j] over the rows r with labels[r] == c (the CPU twin of
// launch_label_class_sums). Overwrites sums [classes, dim]; a class no row has gets zeros.
template <class T>
void label_class_sums(const T* x, int64_t width, int64_t column, int64_t dim, const int32_t* labels, int64_t B,
                      int64_t classes, T* sums);

// The label table's gradient, from the first layer's dZ [B, out] and W [out, in]: the gradient
// at input columns [column, column + dim), summed into the row of each example's label,
//   d_table[c, j] = sum over rows r with labels[r] == c of sum_o dZ[r, o] W[o, column + j],
// computed as class_sums[c, o] = the sum of dZ's rows of class c (in row order), then
// d_table = class_sums W[:, column : column + dim]: B*out + classes*out*dim multiply-adds
// instead of the B*out*in of a whole input gradient. Overwrites class_sums [classes, out] and
// d_table [classes, dim]; a class no row has gets zeros.
template <class T>
void label_embedding_backward(const T* dZ, const T* W, int64_t in, int64_t out, int64_t column, int64_t dim,
                              const int32_t* labels, int64_t B, int64_t classes, T* class_sums, T* d_table);

// The projection discriminator's label term (Miyato and Koyama, 2018): the inner product of
// each example's features [rows, width] (the input of D's last linear layer) with its label's
// row of table [classes, width], added to its logit: logits[r] += <table[labels[r]], features[r]>.
template <class T>
void label_projection_forward(const T* features, const T* table, const int32_t* labels, int64_t rows, int64_t width,
                              T* logits);

// Its backward for d_logits [rows]: d_features[r] += d_logits[r] * table[labels[r]] (null: skipped),
// and d_table [classes, width] (overwritten; null: skipped) = for each class, the sum in row
// order of d_logits[r] * features[r] over the rows of that class.
template <class T>
void label_projection_backward(const T* features, const T* table, const int32_t* labels, const T* d_logits,
                               int64_t rows, int64_t width, int64_t classes, T* d_features, T* d_table);

// C[M, N] = A[M, K] B[K, N] with explicit transposes (a_transposed: A is stored [K, M];
// b_transposed: B is stored [N, K]). The naive triple loop, accumulating in double.
template <class T>
void gemm_naive(bool a_transposed, bool b_transposed, int64_t M, int64_t N, int64_t K, const T* A, const T* B,
                T* C);

struct BceStats {
  double loss_real = 0;  // mean over the real logits of softplus(-x) = -log sigmoid(x)
  double loss_fake = 0;  // mean over the fake logits of softplus(x)  = -log(1 - sigmoid(x))
  double prob_real = 0;  // mean sigmoid over the real logits: D(x)
  double prob_fake = 0;  // mean sigmoid over the fake logits: D(G(z))
};

// Binary cross-entropy on logits: logits[0 .. n_real) have target 1, logits[n_real ..
// n_real + n_fake) target 0; each half's loss is a mean over its own count (the seed's two
// BCELoss calls). dlogit[i] = d(loss_real + loss_fake) / dlogit[i], already divided by the
// half's count. A half with count 0 contributes nothing.
template <class T>
BceStats bce_with_logits(const T* logits, int64_t n_real, int64_t n_fake, T* dlogit);

// D's hinge loss on logits: logits[0 .. n_real) real, the next n_fake fake;
//   loss_real = mean relu(1 - x) over the real,  loss_fake = mean relu(1 + x) over the fake,
// dlogit the gradient of their sum (-1/n_real where x < 1, 1/n_fake where x > -1, else 0: the
// subgradient 0 at the kink, as PyTorch's relu has). prob_real and prob_fake hold the mean raw
// logits (a hinge D outputs no probability).
template <class T>
BceStats hinge_discriminator(const T* logits, int64_t n_real, int64_t n_fake, T* dlogit);

// G's hinge loss on D's logits of B fakes: loss_real = -mean x, dlogit = -1/B; prob_real the
// mean raw logit.
template <class T>
BceStats hinge_generator(const T* logits, int64_t B, T* dlogit);

// The step's losses under spec.loss: D's (real and fake halves) and G's (its fakes as the real
// half): bce_with_logits, or the two hinge losses above.
template <class T>
BceStats discriminator_loss(AdversarialLoss loss, const T* logits, int64_t n_real, int64_t n_fake, T* dlogit) {
  return loss == AdversarialLoss::kHinge ? hinge_discriminator(logits, n_real, n_fake, dlogit)
                                         : bce_with_logits(logits, n_real, n_fake, dlogit);
}
template <class T>
BceStats generator_loss(AdversarialLoss loss, const T* logits, int64_t B, T* dlogit) {
  return loss == AdversarialLoss::kHinge ? hinge_generator(logits, B, dlogit) : bce_with_logits(logits, B, 0, dlogit);
}

// Softmax cross-entropy, mean over the batch: logits [B, C], labels [B] in 0..C-1.
// dlogits[B, C] = (softmax - onehot) / B. Returns the mean loss; *correct (if given) counts
// rows whose largest logit is the label.
template <class T>
double softmax_cross_entropy(const T* logits, const uint8_t* labels, int64_t B, int64_t C, T* dlogits,
                             int64_t* correct = nullptr);

// PyTorch's Adam (torch.optim.Adam, no weight decay, not amsgrad), step counted from 1:
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The bias corrections are computed in double and rounded once, as PyTorch does.
template <class T>
void adam_update(T* params, const T* grads, T* exp_avg, T* exp_avg_sq, size_t n, const AdamSettings& settings,
                 int64_t step);

// The exponential moving average of G's weights (--ema), one update:
//   ema = decay ema + (1 - decay) params
// decay (ema_decay_at: the warm-up) and 1 - decay are computed in double and rounded once; each
// product and the sum are rounded (no fused multiply-add), as the EMA kernel does. [n] each.
template <class T>
void ema_update(T* ema, const T* params, size_t n, double decay);

}  // namespace gan
