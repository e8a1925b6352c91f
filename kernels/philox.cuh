#pragma once
// defines: philox4x32_10, random_block, random_normal, random_uniform01, random_bits, random_class
//
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the one
// piece of code the CPU and the GPU share: both include this header, so both draw the same
// initial weights, the same per-epoch shuffle and the same noise. The generator is a pure
// function of (key, counter): the key is the run's 64-bit seed, the counter names what the
// number is for (purpose, step, element), so any draw can be reproduced anywhere without state.
//
// Counter layout (4 x uint32): { element / 4, step low word, step high word, purpose }.
// "step" is a 64-bit index whose meaning depends on the purpose (the training step for noise,
// the epoch for the shuffle, the tensor index for init). Each Philox block yields four 32-bit
// words, so element e uses block e / 4, word e % 4.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define GAN_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define GAN_HOST_DEVICE inline
#endif

namespace gan {

struct Philox4 {
  uint32_t v[4];
};

// What a random number is for; the value is the counter's top word, so streams never overlap.
enum class RandomPurpose : uint32_t {
  kInit = 1,          // step = tensor index in the network's parameter list
  kShuffle = 2,       // step = epoch
  kNoiseDiscriminator = 3,  // step = training step (1-based): z of the D step
  kNoiseGenerator = 4,      // step = training step (1-based): z of the G step
  kFixedSamples = 5,  // step = 0: the fixed noise batch of a run's sample grids
  kSample = 6,        // step = 0: `gan sample`
  kEvaluation = 7,    // the evaluation classifier: init, shuffle, augmentation; real-set picks
  kLabelDiscriminator = 8,  // step = training step: the fake labels of the D step (conditional)
  kLabelGenerator = 9,      // step = training step: the fake labels of the G step (conditional)
  kSpectralNorm = 10,       // step = the weight's index in D's spectral-norm list: u's start, then v's
  kAugment = 11,            // step = the step's noise key: DiffAugment's draws (model/augment.h)
};

GAN_HOST_DEVICE uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
#if defined(__CUDA_ARCH__)
  *hi = __umulhi(a, b);
  return a * b;
#else
  const uint64_t product = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(product >> 32);
  return static_cast<uint32_t>(product);
#endif
}

// Ten rounds; the key is bumped by the Weyl constants before rounds 2..10.
GAN_HOST_DEVICE Philox4 philox4x32_10(Philox4 counter, uint32_t key0, uint32_t key1) {
  const uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  const uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kWeyl0;
      key1 += kWeyl1;
    }
    uint32_t hi0, hi1;
    const uint32_t lo0 = philox_mulhilo(kMul0, counter.v[0], &hi0);
    const uint32_t lo1 = philox_mulhilo(kMul1, counter.v[2], &hi1);
    Philox4 next;
    next.v[0] = hi1 ^ counter.v[1] ^ key0;
    next.v[1] = lo1;
    next.v[2] = hi0 ^ counter.v[3] ^ key1;
    next.v[3] = lo0;
    counter = next;
  }
  return counter;
}

// The block of four words that holds elements 4*block .. 4*block+3 of a stream.
GAN_HOST_DEVICE Philox4 random_block(uint64_t seed, RandomPurpose purpose, uint64_t step,
                                     uint32_t block) {
  Philox4 counter;
  counter.v[0] = block;
  counter.v[1] = static_cast<uint32_t>(step);
  counter.v[2] = static_cast<uint32_t>(step >> 32);
  counter.v[3] = static_cast<uint32_t>(purpose);
  return philox4x32_10(counter, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Raw 32 bits of element `element` (used as shuffle sort keys).
GAN_HOST_DEVICE uint32_t random_bits(uint64_t seed, RandomPurpose purpose, uint64_t step,
                                     uint64_t element) {
  const Philox4 block = random_block(seed, purpose, step, static_cast<uint32_t>(element / 4));
  return block.v[element % 4];
}

// A class in 0 .. classes-1 from 32 random bits, uniform up to 2^-32 (the multiply-shift
// needs no division and has no modulo's bias toward low classes).
GAN_HOST_DEVICE int32_t random_class(uint32_t bits, uint32_t classes) {
  return static_cast<int32_t>((static_cast<uint64_t>(bits) * classes) >> 32);
}

// A uniform double in the open interval (0, 1): never 0, so log() is safe.
GAN_HOST_DEVICE double random_open01(uint32_t bits) {
  return (static_cast<double>(bits) + 0.5) * (1.0 / 4294967296.0);
}

// A uniform float in [0, 1) from the top 24 bits (every value exactly representable).
GAN_HOST_DEVICE float random_uniform01(uint32_t bits) {
  return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

// Standard normal by Box-Muller, computed in double and rounded once to float, so that the
// host's libm and the device's (both within an ulp or two in double) almost always give the
// same float. Words (0, 1) of a block give elements 0 (cos) and 1 (sin); words (2, 3) give
// elements 2 and 3.
GAN_HOST_DEVICE float random_normal_from_block(const Philox4& block, uint32_t lane) {
  const uint32_t pair = lane >> 1;
  const double u1 = random_open01(block.v[2 * pair]);
  const double u2 = random_open01(block.v[2 * pair + 1]);
  const double radius = sqrt(-2.0 * log(u1));
  const double angle = 6.283185307179586476925286766559 * u2;
  return static_cast<float>((lane & 1u) ? radius * sin(angle) : radius * cos(angle));
}

GAN_HOST_DEVICE float random_normal(uint64_t seed, RandomPurpose purpose, uint64_t step,
                                    uint64_t element) {
  const Philox4 block = random_block(seed, purpose, step, static_cast<uint32_t>(element / 4));
  return random_normal_from_block(block, static_cast<uint32_t>(element % 4));
}

}  // namespace gan
