#include "model/augment.h"

#include <sstream>

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

void fill_augment_draws(uint64_t seed, uint64_t step_key, AugmentSite site, int64_t B, int64_t height,
                        int64_t width, float* draws) {
  for (int64_t i = 0; i < B; ++i) {
    for (int64_t k = 0; k < kAugmentDraws; ++k) {
      draws[i * kAugmentDraws + k] =
          augment_draw(seed, step_key, static_cast<uint32_t>(site), B, i, k, height, width);
    }
  }
}

}  // namespace gan
