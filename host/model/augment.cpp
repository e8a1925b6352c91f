#include "model/augment.h"

#include <sstream>

#include "philox.cuh"

namespace gan {

std::string parse_augment_policy(const std::string& text, AugmentPolicy* policy) {
  *policy = {};
  if (text.empty() || text == "none") return "";
  std::stringstream list(text);
  std::string name;
  while (std::getline(list, name, ',')) {
    bool* flag = name == "color" ? &policy->color : name == "translation" ? &policy->translation
                                              : name == "cutout"          ? &policy->cutout
                                                                          : nullptr;
    if (flag == nullptr) return "'" + name + "' is no transform: a list of color, translation, cutout (or none)";
    if (*flag) return "'" + name + "' named twice";
    *flag = true;
    // DiffAugment_pytorch.py applies the list in its order; ours is always this one, so a list in
    // another order would silently be another method.
    if (augment_policy_name(*policy).find(name) + name.size() != augment_policy_name(*policy).size()) {
      return "'" + name + "' out of order: list them in the order color, translation, cutout";
    }
  }
  if (!text.empty() && text.back() == ',') return "a list of color, translation, cutout with nothing after its last comma";
  return "";
}

std::string augment_policy_name(const AugmentPolicy& policy) {
  std::string name;
  for (auto [on, word] : {std::make_pair(policy.color, "color"), std::make_pair(policy.translation, "translation"),
                          std::make_pair(policy.cutout, "cutout")}) {
    if (on) name += (name.empty() ? "" : ",") + std::string(word);
  }
  return name.empty() ? "none" : name;
}

int64_t augment_max_shift(int64_t size) { return static_cast<int64_t>(static_cast<double>(size) * 0.125 + 0.5); }
int64_t augment_cutout_size(int64_t size) { return static_cast<int64_t>(static_cast<double>(size) * 0.5 + 0.5); }

void fill_augment_draws(uint64_t seed, uint64_t step_key, AugmentSite site, int64_t B, int64_t height,
                        int64_t width, float* draws) {
  const int64_t shift_rows = augment_max_shift(height), shift_cols = augment_max_shift(width);
  const int64_t cut_rows = augment_cutout_size(height), cut_cols = augment_cutout_size(width);
  // The element index: site, image, draw; B < 2^32 / 21 by far.
  auto bits = [&](int64_t i, int64_t k) {
    const uint64_t element = (static_cast<uint64_t>(site) * static_cast<uint64_t>(B) + static_cast<uint64_t>(i)) *
                                 kAugmentDraws + static_cast<uint64_t>(k);
    return random_bits(seed, RandomPurpose::kAugment, step_key, element);
  };
  auto integer = [](uint32_t b, int64_t count) { return static_cast<float>(random_class(b, static_cast<uint32_t>(count))); };
  for (int64_t i = 0; i < B; ++i) {
    float* d = draws + i * kAugmentDraws;
    for (int64_t k = 0; k < 3; ++k) d[k] = random_uniform01(bits(i, k));
    d[3] = integer(bits(i, 3), 2 * shift_rows + 1) - static_cast<float>(shift_rows);
    d[4] = integer(bits(i, 4), 2 * shift_cols + 1) - static_cast<float>(shift_cols);
    d[5] = integer(bits(i, 5), height + 1 - cut_rows % 2);
    d[6] = integer(bits(i, 6), width + 1 - cut_cols % 2);
  }
}

}  // namespace gan
