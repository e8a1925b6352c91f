#pragma once
// defines: Activation
//
// The activations a layer may end with. Plain C++ (no CUDA types), so that the host's model
// spec and the kernels name them with one enum; the functions themselves are written twice on
// purpose (host/cpu/ops.cpp and the kernels), so that each side checks the other.
namespace gan {

enum class Activation { kIdentity, kLeakyRelu, kTanh };

}  // namespace gan
