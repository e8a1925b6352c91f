#include "recorder/recording.h"

#include "model/dcgan_spec.h"
#include "recorder/derived_plan.h"
#include "recorder/recorder.h"
#include "train/schedule.h"
#include "util/error.h"

namespace gan::recorder {
namespace {

constexpr int64_t kBatch = 16;

}  // namespace

Dataset images_for(const ModelSpec& spec, int64_t count) {
  Dataset data;
  data.name = "recorder";
  data.count = count;
  data.height = static_cast<int>(spec.image_height);
  data.width = static_cast<int>(spec.image_width);
  data.channels = static_cast<int>(spec.channels);
  data.pixels.resize(static_cast<size_t>(data.count * data.pixels_per_image()));
  for (size_t i = 0; i < data.pixels.size(); ++i) data.pixels[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
  for (int64_t i = 0; spec.conditional() && i < count; ++i) data.labels.push_back(static_cast<uint8_t>(i % spec.classes));
  return data;
}

namespace {

// Two full batches and the epoch's smaller last one, then the next epoch: steps 1-4 are an
// eager step, a captured one replayed, an eager step at the new size, and a replay after a
// new permutation.
constexpr int64_t kImages = 2 * kBatch + 5;

Subject mlp(bool conditional) {
  ModelChoice choice;
  choice.latent_dim = 10;
  choice.g_hidden = {24, 40};
  choice.d_hidden = {32, 12};
  choice.classes = conditional ? 5 : 0;
  choice.projection = conditional;
  return {conditional ? "conditional MLP" : "MLP", make_model_spec(choice, 7, 9), {}};
}

Subject with_data(Subject s) {
  s.data = images_for(s.spec, kImages);
  return s;
}

}  // namespace

std::vector<Subject> subjects() {
  return {with_data(mlp(false)),
          with_data(mlp(true)),
          with_data({"28x28 DCGAN", make_dcgan_spec(8, 6, 4, 0.2f), {}}),
          with_data({"conditional 28x28 DCGAN", make_dcgan_spec(8, 6, 4, 0.2f, 5, 3), {}}),
          with_data({"32x32 colour DCGAN", make_canonical_dcgan_spec(8, 4, 3, 32, 0.2f), {}}),
          with_data({"64x64 colour DCGAN", make_canonical_dcgan_spec(8, 4, 3, 64, 0.2f), {}}),
          with_data({"32x32 grey DCGAN", make_canonical_dcgan_spec(8, 4, 1, 32, 0.2f), {}})};
}

Subject subject(const std::string& name) {
  for (Subject& s : subjects()) {
    if (s.name == name) return s;
  }
  throw InternalError("recorder: no subject named " + name);
}

std::vector<std::pair<std::string, GpuTrainerOptions>> flag_sets(const ModelSpec& spec) {
  std::vector<std::pair<std::string, GpuTrainerOptions>> sets;
  GpuTrainerOptions base;
  base.max_batch = kBatch;
  base.seed = 7;
  for (bool graph : {true, false}) {
    for (bool tf32 : {false, true}) {
      if (spec.kind == ModelKind::kMlp) {
        for (ForwardPath forward : {ForwardPath::kCublas, ForwardPath::kFused}) {
          for (bool branches : {false, true}) {
            GpuTrainerOptions o = base;
            o.graph = graph;
            o.tf32 = tf32;
            o.forward = forward;
            o.branches = branches;
            sets.push_back({std::string(graph ? "graph" : "eager") + (tf32 ? " tf32" : "") +
                                (forward == ForwardPath::kFused ? " --gpu-forward fused" : "") +
                                (branches ? " --gpu-branches" : ""),
                            o});
          }
        }
      } else {
        for (bool fused : {false, true}) {
          for (ConvAlgorithms algos :
               {ConvAlgorithms::kHeuristic, ConvAlgorithms::kTimedDeterministic, ConvAlgorithms::kTimedAny}) {
            GpuTrainerOptions o = base;
            o.graph = graph;
            o.tf32 = tf32;
            o.fused_batch_norm = fused;
            o.conv_algorithms = algos;
            sets.push_back({std::string(graph ? "graph" : "eager") + (tf32 ? " tf32" : "") +
                                (fused ? " --gpu-batchnorm fused" : "") +
                                (algos == ConvAlgorithms::kTimedDeterministic ? " --gpu-conv-algos timed"
                                 : algos == ConvAlgorithms::kTimedAny         ? " --gpu-conv-algos timed-any"
                                                                              : ""),
                            o});
          }
        }
      }
    }
  }
  // G's average (--ema): one more kernel after G's Adam, and a buffer of G's size; the default
  // path of either model.
  GpuTrainerOptions averaged = base;
  averaged.ema_decay = 0.999;
  sets.push_back({"graph --ema 0.999", averaged});
  return sets;
}

Recording record_steps(const Subject& subject, const GpuTrainerOptions& options) {
  Record& r = record();
  r.clear_calls();
  Recording recording;
  try {
    recording.trainer = std::make_unique<GpuTrainer>(subject.spec, subject.data, options);
    const DeviceArena& arena = recording.trainer->arena();
    std::vector<Piece> pieces;
    for (const ArenaLayout::Extent& e : arena.pieces()) pieces.push_back({e.offset, e.bytes});
    r.set_pieces(arena.base(), pieces, "the arena");
    recording.scope.zeroed_arena = arena.base();
    const Schedule schedule{subject.data.count, kBatch, false, 2, 0};
    for (int step = 1; step <= 4; ++step) {
      const StepPosition at = schedule.position(static_cast<uint64_t>(step));
      r.begin_step(step);
      recording.trainer->train_step(at);
      r.end_step();
      recording.batches.push_back(at.batch);
    }
    recording.trainer->last_stats();  // the read-back, outside the steps
  } catch (const std::exception& e) {
    r.end_step();
    recording.error = e.what();
  }
  return recording;
}

std::vector<Finding> findings_of(const Subject& subject, const GpuTrainerOptions&, const Recording& recording) {
  std::vector<Finding> findings = check_record(record(), recording.scope);
  const std::vector<Finding> plan = check_plan(record(), subject.spec, recording.batches);
  findings.insert(findings.end(), plan.begin(), plan.end());
  return findings;
}

}  // namespace gan::recorder
