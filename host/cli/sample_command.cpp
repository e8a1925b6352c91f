// gan sample: images from a checkpoint's generator, as a PNG grid or an IDX file.
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "train/config.h"
#include "cpu/generate.h"
#include "data/idx.h"
#include "io/png.h"
#include "model/class_grid.h"
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
  command->count_option =
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
  sample->add_option("--columns", command->columns, "grid columns (0: a square-ish grid; 8 with --grid-by-class)")
      ->default_val(0)
      ->check(CLI::Range(0, 4096));
  sample->add_option("--class", command->classes,
                     "conditional checkpoints: the class(es) to draw, e.g. 7 or 3,5 (cycled over the images; "
                     "default: every class in turn)")
      ->delimiter(',')
      ->type_name("K[,K...]");
  sample->add_flag("--grid-by-class", command->grid_by_class,
                   "conditional checkpoints: a PNG grid with one row per class (the --class list, or every class) "
                   "and the same noise down each column (--columns images per row)");
  sample->add_flag("--live-weights", command->live_weights, "G's own weights, even where the checkpoint holds their average (a run with --ema): by default the average");
}

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The classes to draw, checked against the generator: --class, or every class.
std::vector<int32_t> classes_to_draw(const SampleCommand& command, const ModelSpec& spec, const std::string& path) {
  const bool asked = !command.classes.empty() || command.grid_by_class;
  if (!spec.conditional()) {
    if (asked) {
      throw InputError(std::string(command.grid_by_class ? "--grid-by-class" : "--class") + ": " + path +
                       " is not a conditional generator (train with --conditional)");
    }
    return {};
  }
  std::vector<int32_t> classes;
  for (int k : command.classes) {
    if (k < 0 || k >= spec.classes) {
      throw InputError("--class " + std::to_string(k) + ": " + path + " draws classes 0.." +
                       std::to_string(spec.classes - 1));
    }
    classes.push_back(k);
  }
  if (classes.empty()) {
    for (int64_t k = 0; k < spec.classes; ++k) classes.push_back(static_cast<int32_t>(k));
  }
  return classes;
}

// Element e of row i is element i * latent + e of the sample stream (seed, step): the same image
// whatever the chunking or the count.
void sample_noise(uint64_t seed, uint64_t step, int64_t first, int64_t count, int64_t latent, float* z) {
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t e = 0; e < latent; ++e) {
      z[i * latent + e] = random_normal(seed, RandomPurpose::kSample, step, static_cast<uint64_t>((first + i) * latent + e));
    }
  }
}

void write_grid(const std::string& out, const std::vector<float>& images, int64_t count, const ModelSpec& spec,
                int columns, const TrainConfig& config) {
  const Grid grid = image_grid(images.data(), count, static_cast<int>(spec.image_height), static_cast<int>(spec.image_width),
                               columns, 2, static_cast<float>(config.norm_mean), static_cast<float>(config.norm_std),
                               static_cast<int>(spec.channels));
  write_png_grid(out, grid);
}

}  // namespace

int run_sample_command(const SampleCommand& command) {
  const bool png = ends_with(command.out, ".png");
  const bool idx = ends_with(command.out, ".idx") || ends_with(command.out, "-idx3-ubyte");
  if (!png && !idx) throw InputError("--out " + command.out + ": expected a name ending in .png, .idx or -idx3-ubyte");
  if (command.grid_by_class && (command.interpolate || !png)) {
    throw InputError("--grid-by-class draws one PNG grid: it takes no --interpolate, and --out must end in .png");
  }
  if (command.grid_by_class && command.count_option != nullptr && command.count_option->count() > 0) {
    throw InputError("--grid-by-class: the grid has a row per class and --columns images per row; drop --n");
  }
  const std::string path = resolve_checkpoint_path(command.checkpoint);
  ModelSpec spec;
  const Checkpoint checkpoint = load_checkpoint(path, &spec);
  const TrainConfig config = config_from_json(checkpoint.config, path + " (its config)");
  const std::vector<int32_t> classes = classes_to_draw(command, spec, path);
  const NetworkState generator = command.live_weights ? checkpoint.state.generator : sampling_generator(checkpoint.state);
  const std::string weights = command.live_weights ? "G's weights" : sampling_weights_name(checkpoint.state);
  const int64_t n = command.count;
  const int64_t pixels = spec.image_size(), latent = spec.latent_dim;
  // Image (or walk) i of a conditional generator draws classes[i mod the list's length].
  auto class_of = [&](int64_t i) { return classes[static_cast<size_t>(i % static_cast<int64_t>(classes.size()))]; };

  if (command.grid_by_class) {
    const int64_t columns = command.columns > 0 ? command.columns : 8;
    std::vector<float> column_noise(static_cast<size_t>(columns * latent));
    sample_noise(command.seed, 0, 0, columns, latent, column_noise.data());
    const ClassGrid inputs = class_grid(classes, column_noise.data(), columns, latent);
    const int64_t count = static_cast<int64_t>(inputs.labels.size());
    std::vector<float> images(static_cast<size_t>(count * pixels));
    generate_images(spec, generator, inputs.z.data(), inputs.labels.data(), count, images.data());
    write_grid(command.out, images, count, spec, static_cast<int>(columns), config);
    std::printf("wrote %zu rows (classes) of %lld images from %s (%s) to %s\n", classes.size(),
                static_cast<long long>(columns), path.c_str(), weights.c_str(), command.out.c_str());
    return 0;
  }

  if (command.interpolate) {
    if (!png) throw InputError("--interpolate draws a grid: --out must end in .png");
    // Row r walks from z_a (element 2r of the noise stream) to z_b (element 2r + 1).
    const int64_t walk = command.walk_steps;
    std::vector<float> z(static_cast<size_t>(n * walk * latent)), ends(static_cast<size_t>(2 * latent));
    std::vector<int32_t> labels;
    for (int64_t r = 0; r < n; ++r) {
      sample_noise(command.seed, 1, 2 * r, 2, latent, ends.data());
      for (int64_t s = 0; s < walk; ++s) {
        const float t = static_cast<float>(s) / static_cast<float>(walk - 1);
        for (int64_t e = 0; e < latent; ++e) {
          z[(r * walk + s) * latent + e] = (1.0f - t) * ends[e] + t * ends[latent + e];
        }
        if (spec.conditional()) labels.push_back(class_of(r));
      }
    }
    std::vector<float> walk_images(static_cast<size_t>(n * walk * pixels));
    generate_images(spec, generator, z.data(), labels.empty() ? nullptr : labels.data(), n * walk,
                    walk_images.data());
    write_grid(command.out, walk_images, n * walk, spec, static_cast<int>(walk), config);
    std::printf("wrote %lld walks of %lld images from %s (%s) to %s\n", static_cast<long long>(n),
                static_cast<long long>(walk), path.c_str(), weights.c_str(), command.out.c_str());
    return 0;
  }

  // G(z) in chunks, so a large --n needs little memory for activations.
  std::vector<float> images(static_cast<size_t>(n * pixels));
  const int64_t chunk = 1024;
  std::vector<float> z;
  std::vector<int32_t> labels;
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t count = std::min(chunk, n - first);
    z.resize(static_cast<size_t>(count * latent));
    sample_noise(command.seed, 0, first, count, latent, z.data());
    labels.clear();
    for (int64_t i = 0; spec.conditional() && i < count; ++i) labels.push_back(class_of(first + i));
    generate_images(spec, generator, z.data(), labels.empty() ? nullptr : labels.data(), count,
                    images.data() + first * pixels);
  }

  if (png) {
    // A conditional model cycling through its classes gets a column per class by default.
    const int64_t cycle = static_cast<int64_t>(classes.size());
    const int columns = command.columns > 0                 ? command.columns
                        : spec.conditional() && cycle > 1   ? static_cast<int>(cycle)
                                                            : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    write_grid(command.out, images, n, spec, columns, config);
  } else {
    if (spec.channels != 1) {
      throw InputError(command.out + ": IDX output holds grey images; this generator makes colour images (write a .png)");
    }
    const float mean = static_cast<float>(config.norm_mean), std = static_cast<float>(config.norm_std);
    std::vector<uint8_t> bytes(images.size());
    for (size_t i = 0; i < images.size(); ++i) bytes[i] = to_pixel(images[i], mean, std);
    const auto file = encode_idx({static_cast<uint32_t>(n), static_cast<uint32_t>(spec.image_height),
                                  static_cast<uint32_t>(spec.image_width)},
                                 bytes.data());
    write_file_atomically(command.out, file.data(), file.size());
  }
  std::printf("wrote %lld images from %s (step %llu, %s) to %s\n", static_cast<long long>(n), path.c_str(),
              static_cast<unsigned long long>(checkpoint.position.step), weights.c_str(), command.out.c_str());
  return 0;
}

}  // namespace gan
