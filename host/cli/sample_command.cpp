// gan sample: images from a checkpoint's generator, as a PNG grid or an IDX file.
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "train/config.h"
#include "cpu/generate.h"
#include "data/idx.h"
#include "io/png.h"
#include "model/random_streams.h"
#include "train/checkpoint.h"
#include "util/error.h"
#include "util/files.h"

namespace gan {

void add_sample_command(CLI::App& app, SampleCommand* command) {
  CLI::App* sample = app.add_subcommand("sample", "Generate images from a checkpoint");
  sample->add_option("--checkpoint", command->checkpoint, "a checkpoint file, or a run folder (its last.safetensors)")
      ->required()
      ->type_name("FILE|RUN");
  sample->add_option("--n", command->count, "how many images")->default_val(64)->check(CLI::Range(1, 1000000));
  sample->add_option("--out", command->out,
                     "output: NAME.png (a grid) or NAME.idx / NAME-idx3-ubyte (uint8 images, IDX)")
      ->required()
      ->type_name("FILE");
  sample->add_option("--seed", command->seed, "seed of the noise")->default_val(0);
  sample->add_flag("--interpolate", command->interpolate,
                   "a PNG grid of linear walks in noise space: each row goes from one z to another (--n rows)");
  sample->add_option("--walk-steps", command->walk_steps, "images per walk with --interpolate")
      ->default_val(10)
      ->check(CLI::Range(2, 100));
  sample->add_option("--columns", command->columns, "grid columns (0: a square-ish grid)")->default_val(0)->check(
      CLI::Range(0, 4096));
}

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int run_sample_command(const SampleCommand& command) {
  const bool png = ends_with(command.out, ".png");
  const bool idx = ends_with(command.out, ".idx") || ends_with(command.out, "-idx3-ubyte");
  if (!png && !idx) throw InputError("--out " + command.out + ": expected a name ending in .png, .idx or -idx3-ubyte");
  const std::string path = resolve_checkpoint_path(command.checkpoint);
  ModelSpec spec;
  const Checkpoint checkpoint = load_checkpoint(path, &spec);
  const TrainConfig config = config_from_json(checkpoint.config, path + " (its config)");
  const int64_t n = command.count;
  const int64_t pixels = spec.image_size();

  if (command.interpolate) {
    if (!png) throw InputError("--interpolate draws a grid: --out must end in .png");
    // Row r walks from z_a (element 2r of the noise stream) to z_b (element 2r + 1).
    const int64_t walk = command.walk_steps, latent = spec.latent_dim;
    std::vector<float> z(static_cast<size_t>(n * walk * latent)), ends(static_cast<size_t>(2 * latent));
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t e = 0; e < 2 * latent; ++e) {
        ends[e] = random_normal(command.seed, RandomPurpose::kSample, 1, static_cast<uint64_t>(r * 2 * latent + e));
      }
      for (int64_t s = 0; s < walk; ++s) {
        const float t = static_cast<float>(s) / static_cast<float>(walk - 1);
        for (int64_t e = 0; e < latent; ++e) {
          z[(r * walk + s) * latent + e] = (1.0f - t) * ends[e] + t * ends[latent + e];
        }
      }
    }
    std::vector<float> walk_images(static_cast<size_t>(n * walk * spec.image_size()));
    generate_images(spec, checkpoint.state.generator, z.data(), n * walk, walk_images.data());
    const Grid grid = image_grid(walk_images.data(), n * walk, static_cast<int>(spec.image_height),
                                 static_cast<int>(spec.image_width), static_cast<int>(walk), 2,
                                 static_cast<float>(config.norm_mean), static_cast<float>(config.norm_std));
    write_png_gray(command.out, grid.pixels.data(), grid.width, grid.height);
    std::printf("wrote %lld walks of %lld images from %s to %s\n", static_cast<long long>(n),
                static_cast<long long>(walk), path.c_str(), command.out.c_str());
    return 0;
  }

  // G(z) in chunks, so a large --n needs little memory for activations.
  std::vector<float> images(static_cast<size_t>(n * pixels));
  const int64_t chunk = 1024;
  std::vector<float> z;
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t count = std::min(chunk, n - first);
    z.resize(static_cast<size_t>(count * spec.latent_dim));
    // Element e of image i is element (first + i) * latent + e of the stream: chunking does not
    // change the images.
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t e = 0; e < spec.latent_dim; ++e) {
        z[i * spec.latent_dim + e] = random_normal(command.seed, RandomPurpose::kSample, 0,
                                                   static_cast<uint64_t>((first + i) * spec.latent_dim + e));
      }
    }
    generate_images(spec, checkpoint.state.generator, z.data(), count, images.data() + first * pixels);
  }

  const float mean = static_cast<float>(config.norm_mean), std = static_cast<float>(config.norm_std);
  if (png) {
    const int columns = command.columns > 0 ? command.columns
                                            : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    const Grid grid = image_grid(images.data(), n, static_cast<int>(spec.image_height), static_cast<int>(spec.image_width),
                                 columns, 2, mean, std);
    write_png_gray(command.out, grid.pixels.data(), grid.width, grid.height);
  } else {
    std::vector<uint8_t> bytes(images.size());
    for (size_t i = 0; i < images.size(); ++i) bytes[i] = to_pixel(images[i], mean, std);
    const auto file = encode_idx({static_cast<uint32_t>(n), static_cast<uint32_t>(spec.image_height),
                                  static_cast<uint32_t>(spec.image_width)},
                                 bytes.data());
    write_file_atomically(command.out, file.data(), file.size());
  }
  std::printf("wrote %lld images from %s (step %llu) to %s\n", static_cast<long long>(n), path.c_str(),
              static_cast<unsigned long long>(checkpoint.position.step), command.out.c_str());
  return 0;
}

}  // namespace gan
