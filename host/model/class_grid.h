#pragma once
// defines: ClassGrid, class_grid — the inputs of a grid with one row per class and the same
// noise down each column, for conditional generators (the run's sample grids, gan sample
// --grid-by-class)
#include <cstdint>
#include <vector>

namespace gan {

struct ClassGrid {
  std::vector<float> z;         // [rows * columns, latent]: row r, column c holds column_noise[c]
  std::vector<int32_t> labels;  // [rows * columns]: row r asks for classes[r]
};

// column_noise [columns, latent]: one z per column, repeated in every row.
inline ClassGrid class_grid(const std::vector<int32_t>& classes, const float* column_noise, int64_t columns,
                            int64_t latent) {
  ClassGrid grid;
  for (int32_t label : classes) {
    grid.z.insert(grid.z.end(), column_noise, column_noise + columns * latent);
    grid.labels.insert(grid.labels.end(), static_cast<size_t>(columns), label);
  }
  return grid;
}

}  // namespace gan
