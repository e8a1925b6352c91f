#include "cuda/gpu_trainer.h"

#include <cuda_profiler_api.h>

#include <algorithm>
#include <chrono>
#include <tuple>
#include <utility>

#include "activation_backward.cuh"
#include "adam.cuh"
#include "batch.cuh"
#include "ema.cuh"
#include "labels.cuh"
#include "cuda/streams.h"
#include "cuda/phase_timer.h"
#include "model/random_streams.h"
#include "noise.cuh"
#include "spectral_norm.cuh"
#include "util/error.h"

namespace gan {

namespace {

void copy_to_device(float* device, const std::vector<float>& host) {
  if (host.empty()) return;
  GAN_CHECK(cudaMemcpy(device, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
}

template <class T>
std::vector<T> copy_to_host(const T* device, size_t count) {
  std::vector<T> host(count);
  if (count > 0) GAN_CHECK(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}

}  // namespace

GpuTrainer::GpuTrainer(const ModelSpec& spec, const Dataset& dataset, const GpuTrainerOptions& options)
    : spec_(spec), options_(options), images_(dataset.count) {
  if (spec_.conditional()) check_dataset_labels(dataset, spec_.classes);
  if (options_.max_batch < 1 || options_.max_batch > dataset.count) {
    throw InputError("GPU trainer: batch " + std::to_string(options_.max_batch) + " outside 1.." +
                std::to_string(dataset.count));
  }
  try {
    GAN_CHECK(cudaSetDevice(options_.gpu));
    cudaDeviceProp properties{};
    GAN_CHECK(cudaGetDeviceProperties(&properties, options_.gpu));
    device_name_ = properties.name;
    if (options_.tf32 && properties.major < 8) {
      throw InputError("--tf32: GPU " + device_name_ + " (compute capability " + std::to_string(properties.major) + "." +
                  std::to_string(properties.minor) + ") has no TF32 tensor cores; they need 8.0 or newer");
    }
    GAN_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    blas_ = std::make_unique<CublasHandle>(stream_, options_.tf32);
    model_ = make_gpu_model(spec_, options_, stream_, *blas_);  // its GpuModelOptions
    model_->set_augment(&augment_);
    if (options_.branches && model_->separable_generator_forward()) {
      generator_branch_ = std::make_unique<SideStream>(stream_, options_.tf32);
    }
    GAN_CHECK(cudaMallocHost(reinterpret_cast<void**>(&readback_), sizeof(Readback)));
    plan_and_allocate(dataset);

    GAN_CHECK(cudaMemcpy(images_device_, dataset.pixels.data(), dataset.pixels.size(), cudaMemcpyHostToDevice));
    if (spec_.conditional()) {
      GAN_CHECK(cudaMemcpy(labels_device_, dataset.labels.data(), dataset.labels.size(), cudaMemcpyHostToDevice));
    }
    upload_state(fresh_trainer_state(spec_, options_));  // the CPU trainer's init, bit for bit
  } catch (...) {
    release();
    throw;
  }
}

GpuTrainer::~GpuTrainer() { release(); }

void GpuTrainer::release() noexcept {
  // Nothing here may throw: errors are ignored, the process is ending or the trainer is dropped.
  if (stream_) cudaStreamSynchronize(stream_);
  if (profiling_) cudaProfilerStop();
  profiling_ = false;
  for (auto& [batch, exec] : graphs_) cudaGraphExecDestroy(exec);
  graphs_.clear();
  generator_branch_.reset();
  model_.reset();
  blas_.reset();
  if (readback_) cudaFreeHost(readback_);
  readback_ = nullptr;
  if (stream_) cudaStreamDestroy(stream_);
  stream_ = nullptr;
}

void GpuTrainer::plan_and_allocate(const Dataset& dataset) {
  const int64_t B = options_.max_batch;
  const size_t noise = static_cast<size_t>(B * spec_.latent_dim);
  // Each network's parameters, gradients, moments and running statistics back to back.
  for (auto [buffers, network] : {std::make_pair(&g_, &spec_.generator), std::make_pair(&d_, &spec_.discriminator)}) {
    buffers->count = network->parameter_count;
    buffers->buffer_count = network->buffer_count;
    arena_.place(&buffers->params, buffers->count);
    arena_.place(&buffers->grads, buffers->count);
    arena_.place(&buffers->exp_avg, buffers->count);
    arena_.place(&buffers->exp_avg_sq, buffers->count);
    arena_.place(&buffers->buffers, buffers->buffer_count);  // null when the network has none
  }
  arena_.place(&images_device_, dataset.pixels.size());
  if (spec_.conditional()) arena_.place(&labels_device_, dataset.labels.size());
  arena_.place(&order_, static_cast<size_t>(dataset.count));
  sort_workspace_bytes_ = epoch_permutation_workspace_bytes(static_cast<uint32_t>(dataset.count));
  arena_.place(&sort_workspace_, sort_workspace_bytes_);
  arena_.place(&z_d_, noise);
  arena_.place(&z_g_, noise);
  if (options_.ema_decay > 0) arena_.place(&generator_ema_, g_.count);
  if (!spec_.discriminator.spectral_norm.empty()) {
    arena_.place(&d_normalised_, d_.count);
    arena_.place(&sigmas_, spec_.discriminator.spectral_norm.size());
    int64_t scratch = 0;  // the layers' kernels run one after another: one scratch serves them all
    for (const SpectralNormLayer& layer : spec_.discriminator.spectral_norm) {
      scratch = std::max(scratch, spectral_norm_scratch_size(layer.rows, layer.cols));
    }
    arena_.place(&spectral_scratch_, static_cast<size_t>(scratch));
  }
  augment_.plan(arena_, spec_, B);
  model_->plan(arena_, B);
  arena_.place(&d_stats_, 1);
  arena_.place(&g_stats_, 1);
  arena_.place(&control_, 1);
  // Zeroed: the step control and both loss records start at zero.
  arena_.allocate("training " +
                  std::to_string(spec_.generator.real_parameter_count() + spec_.discriminator.real_parameter_count()) +
                  " parameters at batch " + std::to_string(B) + " on " + std::to_string(dataset.count) + " images");
}

std::string GpuTrainer::description() const {
  return "GPU " + std::to_string(options_.gpu) + " (" + device_name_ + "; " + (options_.graph ? "CUDA graph" : "eager") +
         ", " + (options_.tf32 ? "TF32" : "FP32") + ", " + model_->description() + ")";
}

void GpuTrainer::enqueue_step(int64_t B) {
  const int64_t pixels = spec_.image_size(), latent = spec_.latent_dim;
  const GpuNetwork g = g_.network(spec_.generator);
  // D's passes read its weights through d: under spectral norm, W / sigma in d_normalised_ (its
  // gradients and running statistics are D's own).
  GpuNetwork d = d_.network(spec_.discriminator);
  const bool normalised = d_normalised_ != nullptr;
  if (normalised) d.params = d_normalised_;

  // With branches, the G step's noise and generator forward read only G's parameters (which the
  // D step does not touch) and write buffers of their own: they run on a side stream beside the
  // whole D step, and the G step joins them before it goes on.
  if (generator_branch_) {
    generator_branch_->fork();
    enqueue_generator_forward(B, generator_branch_->get(), generator_branch_->blas());
  }

  // ---- D step: BCE(D(x), 1) + BCE(D(G(z_d)), 0).
  {
    NvtxRange range("data");
    launch_gather_normalize(images_device_, pixels, order_, &control_->offset, B, options_.norm_mean,
                            options_.norm_std, model_->real_batch(), stream_);
    launch_normal_noise(z_d_, B * latent, options_.seed, RandomPurpose::kNoiseDiscriminator, &control_->noise_key,
                        stream_);
    if (spec_.conditional()) {  // the real batch's labels, then G(z_d)'s
      int32_t* labels = model_->discriminator_labels();
      launch_gather_labels(labels_device_, order_, &control_->offset, B, labels, stream_);
      launch_draw_classes(labels + B, B, options_.seed, RandomPurpose::kLabelDiscriminator, &control_->noise_key,
                          static_cast<int32_t>(spec_.classes), stream_);
    }
    if (augment_.on()) augment_.enqueue_draws(options_.seed, &control_->noise_key, B, stream_);  // every site's
  }
  if (normalised) enqueue_spectral_norm(/*iterate=*/true);
  model_->enqueue_discriminator_step(B, z_d_, g, d, d_stats_);
  if (normalised) enqueue_spectral_norm_backward();
  {
    NvtxRange range("Adam D");
    launch_adam(d_.params, d_.grads, d_.exp_avg, d_.exp_avg_sq, d_.count, options_.discriminator_adam(),
                &control_->adam_step_d, stream_);
  }
  if (normalised) enqueue_spectral_norm(/*iterate=*/false);  // the G step's D: W / sigma of the updated W

  // ---- G step: fresh z_g, BCE(D(G(z_g)), 1) through the updated D; no weight gradients for D.
  if (generator_branch_) {
    generator_branch_->join();  // G(z_g), enqueued on the side stream before the D step
  } else {
    enqueue_generator_forward(B, stream_, *blas_);
  }
  model_->enqueue_generator_step(B, z_g_, g, d, g_stats_);
  {
    NvtxRange range("Adam G");
    launch_adam(g_.params, g_.grads, g_.exp_avg, g_.exp_avg_sq, g_.count, options_.adam, &control_->adam_step_g,
                stream_);
  }
  if (options_.ema_decay > 0) {  // G's average follows G's update; its decay's t is that Adam's
    NvtxRange range("EMA G");
    launch_ema_update(generator_ema_, g_.params, g_.count, options_.ema_decay, &control_->adam_step_g, stream_);
  }
  launch_record_nonfinite(d_stats_, g_stats_, control_, stream_);
}

void GpuTrainer::enqueue_spectral_norm(bool iterate) {
  // The CPU's normalise_discriminator: D's parameters copied, each weight under spectral norm
  // replaced by W / sigma (after one power iteration at the start of the D step).
  NvtxRange range(iterate ? "spectral norm" : "G step: spectral norm");
  GAN_CHECK(cudaMemcpyAsync(d_normalised_, d_.params, d_.count * sizeof(float), cudaMemcpyDeviceToDevice, stream_));
  const std::vector<SpectralNormLayer>& layers = spec_.discriminator.spectral_norm;
  for (size_t l = 0; l < layers.size(); ++l) {
    const SpectralNormLayer& layer = layers[l];
    launch_spectral_norm_sigma(d_.params + layer.weight, layer.rows, layer.cols, d_.buffers + layer.u,
                               d_.buffers + layer.v, iterate, sigmas_ + l, spectral_scratch_, stream_);
    launch_spectral_norm_scale(d_.params + layer.weight, layer.rows * layer.cols, sigmas_ + l,
                               d_normalised_ + layer.weight, stream_);
  }
}

void GpuTrainer::enqueue_spectral_norm_backward() {
  // The CPU's spectral_norm_gradients: the gradients of W / sigma become those of W.
  NvtxRange range("spectral norm backward");
  const std::vector<SpectralNormLayer>& layers = spec_.discriminator.spectral_norm;
  for (size_t l = 0; l < layers.size(); ++l) {
    const SpectralNormLayer& layer = layers[l];
    launch_spectral_norm_backward(d_.params + layer.weight, layer.rows, layer.cols, d_.buffers + layer.u,
                                  d_.buffers + layer.v, sigmas_ + l, d_.grads + layer.weight, spectral_scratch_,
                                  stream_);
  }
}

void GpuTrainer::enqueue_generator_forward(int64_t B, cudaStream_t stream, const CublasHandle& blas) {
  {
    NvtxRange range("G step: noise", stream);
    launch_normal_noise(z_g_, B * spec_.latent_dim, options_.seed, RandomPurpose::kNoiseGenerator,
                        &control_->noise_key, stream);
    if (spec_.conditional()) {
      launch_draw_classes(model_->generator_labels(), B, options_.seed, RandomPurpose::kLabelGenerator,
                          &control_->noise_key, static_cast<int32_t>(spec_.classes), stream);
    }
  }
  if (model_->separable_generator_forward()) {
    model_->enqueue_generator_forward(B, z_g_, g_.network(spec_.generator), stream, blas);
  }
}

cudaGraph_t GpuTrainer::capture_step(int64_t batch) {
  return capture_graph(stream_, [&] { enqueue_step(batch); },
                       [&] {
                         // A side stream forked and left unjoined would keep the capture from ending.
                         if (generator_branch_) generator_branch_->rejoin();
                         model_->rejoin_side_streams();
                       });
}

cudaGraphExec_t GpuTrainer::graph_for(int64_t batch) {
  auto found = graphs_.find(batch);
  if (found != graphs_.end()) return found->second;
  cudaGraphExec_t exec = instantiate_graph(capture_step(batch));
  graphs_[batch] = exec;
  return exec;
}

void GpuTrainer::train_step(const StepPosition& at) {
  check_step_position(at, images_, options_.max_batch);
  const int64_t B = at.batch;
  NvtxRange step_range("step");
  model_->prepare_batch(B);  // outside any capture: per-batch-size set-up, once
  if (options_.profile_first != 0 && at.step == options_.profile_first && !profiling_) {
    GAN_CHECK(cudaStreamSynchronize(stream_));  // the window starts clean
    GAN_CHECK(cudaProfilerStart());
    profiling_ = true;
  }
  if (at.epoch != order_epoch_) {
    NvtxRange range("epoch permutation");
    launch_epoch_permutation(options_.seed, at.epoch, static_cast<uint32_t>(images_), order_, sort_workspace_,
                             sort_workspace_bytes_, stream_);
    order_epoch_ = at.epoch;
  }
  // Each Adam's t for this step; the counters move only once the step is enqueued.
  launch_set_step_control(control_, at.step, at.noise_key(), static_cast<uint64_t>(at.offset),
                          static_cast<uint64_t>(adam_step_d_ + 1), static_cast<uint64_t>(adam_step_g_ + 1), stream_);
  if (options_.graph && warmed_up_.count(B) > 0) {
    GAN_CHECK(cudaGraphLaunch(graph_for(B), stream_));
  } else {
    // The first step at each batch size runs eagerly (the same bits as a replay): whatever the
    // libraries do on first use (cuDNN's and cuBLAS's plans, lazily loaded kernels, internal
    // allocations) then happens outside any capture, where it is allowed.
    enqueue_step(B);
    warmed_up_.insert(B);
  }
  ++adam_step_d_;
  ++adam_step_g_;
  last_batch_ = B;
  last_step_ = at.step;
  if (profiling_ && at.step >= options_.profile_last) {
    GAN_CHECK(cudaStreamSynchronize(stream_));
    GAN_CHECK(cudaProfilerStop());
    profiling_ = false;
  }
}

void GpuTrainer::read_back() {
  GAN_CHECK(cudaMemcpyAsync(&readback_->d_stats, d_stats_, sizeof(BceDeviceStats), cudaMemcpyDeviceToHost, stream_));
  GAN_CHECK(cudaMemcpyAsync(&readback_->g_stats, g_stats_, sizeof(BceDeviceStats), cudaMemcpyDeviceToHost, stream_));
  GAN_CHECK(cudaMemcpyAsync(&readback_->control, control_, sizeof(StepControl), cudaMemcpyDeviceToHost, stream_));
  GAN_CHECK(cudaStreamSynchronize(stream_));  // also where a fault inside the step surfaces
  if (first_nonfinite_step_ == 0) first_nonfinite_step_ = readback_->control.first_nonfinite_step;
}

StepStats GpuTrainer::last_stats() {
  read_back();
  const BceDeviceStats& d = readback_->d_stats;
  const BceDeviceStats& g = readback_->g_stats;
  StepStats stats;
  stats.step = last_step_;
  stats.d_loss = static_cast<double>(d.loss_real) + static_cast<double>(d.loss_fake);
  stats.g_loss = g.loss_real;
  stats.d_real = d.prob_real;
  stats.d_fake = d.prob_fake;
  stats.d_fake_g = g.prob_real;
  return stats;
}

void GpuTrainer::generate(const float* z, const int32_t* labels, int64_t count, float* images) {
  check_generate_labels(spec_, labels, count);
  if (count <= 0) return;
  GAN_CHECK(cudaStreamSynchronize(stream_));
  // Outside the step: buffers of this size are allocated for the call.
  const DeviceBuffer<float> input(std::vector<float>(z, z + count * spec_.latent_dim));
  const DeviceBuffer<int32_t> device_labels(labels ? std::vector<int32_t>(labels, labels + count) : std::vector<int32_t>());
  model_->generate(input.get(), labels ? device_labels.get() : nullptr, count, g_.network(spec_.generator), images);
}

StepTrace GpuTrainer::last_step_trace(bool with_gradients) {
  GAN_CHECK(cudaStreamSynchronize(stream_));
  const int64_t B = last_batch_;
  StepTrace trace;
  trace.real = copy_to_host(model_->real_batch(), static_cast<size_t>(B * spec_.image_size()));
  trace.z_d = copy_to_host(z_d_, static_cast<size_t>(B * spec_.latent_dim));
  trace.z_g = copy_to_host(z_g_, static_cast<size_t>(B * spec_.latent_dim));
  if (spec_.conditional()) {
    const std::vector<int32_t> d_labels = copy_to_host(model_->discriminator_labels(), static_cast<size_t>(2 * B));
    trace.labels_real.assign(d_labels.begin(), d_labels.begin() + B);
    trace.labels_d.assign(d_labels.begin() + B, d_labels.end());
    trace.labels_g = copy_to_host(model_->generator_labels(), static_cast<size_t>(B));
  }
  if (augment_.on()) {  // DiffAugment's draws, as the CPU trainer's trace holds them
    for (AugmentSite site : {AugmentSite::kReal, AugmentSite::kFakeD, AugmentSite::kFakeG}) {
      trace.augment[static_cast<int>(site)] = copy_to_host(augment_.draws(site), static_cast<size_t>(B * kAugmentDraws));
    }
  }
  if (with_gradients) {
    trace.d_grads = copy_to_host(d_.grads, d_.count);
    trace.g_grads = copy_to_host(g_.grads, g_.count);
  }
  return trace;
}

TrainerState GpuTrainer::state() {
  read_back();
  TrainerState state;
  for (auto [buffers, network, count] :
       {std::make_tuple(&g_, &state.generator, adam_step_g_), std::make_tuple(&d_, &state.discriminator, adam_step_d_)}) {
    network->params = copy_to_host(buffers->params, buffers->count);
    network->exp_avg = copy_to_host(buffers->exp_avg, buffers->count);
    network->exp_avg_sq = copy_to_host(buffers->exp_avg_sq, buffers->count);
    network->buffers = copy_to_host(buffers->buffers, buffers->buffer_count);
    network->adam_step = count;
  }
  if (generator_ema_) state.generator_ema = copy_to_host(generator_ema_, g_.count);
  return state;
}

void GpuTrainer::upload_state(const TrainerState& state) {
  check_trainer_state(spec_, options_, state);
  GAN_CHECK(cudaStreamSynchronize(stream_));
  for (auto [buffers, network] : {std::make_pair(&g_, &state.generator), std::make_pair(&d_, &state.discriminator)}) {
    copy_to_device(buffers->params, network->params);
    copy_to_device(buffers->exp_avg, network->exp_avg);
    copy_to_device(buffers->exp_avg_sq, network->exp_avg_sq);
    copy_to_device(buffers->buffers, network->buffers);
    GAN_CHECK(cudaMemset(buffers->grads, 0, buffers->count * sizeof(float)));
  }
  if (generator_ema_) copy_to_device(generator_ema_, state.generator_ema);
  adam_step_g_ = state.generator.adam_step;
  adam_step_d_ = state.discriminator.adam_step;
  GAN_CHECK(cudaMemset(&control_->first_nonfinite_step, 0, sizeof(uint64_t)));
  GAN_CHECK(cudaDeviceSynchronize());
  first_nonfinite_step_ = 0;
}

void GpuTrainer::load_state(const TrainerState& state) { upload_state(state); }

StepBreakdown GpuTrainer::measure_breakdown(const std::vector<StepPosition>& eager,
                                            const std::vector<StepPosition>& replayed) {
  StepBreakdown result;
  PhaseTimer timer(stream_);
  {
    // Eager steps, each phase between CUDA events (the NvtxRanges of enqueue_step and the
    // models); the trainer's graph setting and the thread's timer come back however this ends.
    struct Restore {
      bool& graph;
      const bool was;
      ~Restore() {
        graph = was;
        active_phase_timer = nullptr;
      }
    } restore{options_.graph, options_.graph};
    options_.graph = false;
    active_phase_timer = &timer;
    for (const StepPosition& at : eager) {
      train_step(at);
      result.eager_steps.push_back(timer.collect());
    }
  }
  if (replayed.empty()) return result;

  // The graph: what it holds, then a block of replays timed on the GPU and on the host.
  const int64_t B = replayed.front().batch;
  if (!options_.graph || warmed_up_.count(B) == 0) {
    throw InternalError("measure_breakdown: replays need --graph and a first step at batch " + std::to_string(B));
  }
  cudaGraph_t captured = capture_step(B);
  size_t count = 0;
  cudaError_t status = cudaGraphGetNodes(captured, nullptr, &count);
  std::vector<cudaGraphNode_t> nodes(count);
  if (status == cudaSuccess && count > 0) status = cudaGraphGetNodes(captured, nodes.data(), &count);
  for (size_t i = 0; status == cudaSuccess && i < count; ++i) {
    cudaGraphNodeType type{};
    status = cudaGraphNodeGetType(nodes[i], &type);
    if (type == cudaGraphNodeTypeKernel) ++result.kernels_per_step;
  }
  cudaGraphDestroy(captured);
  GAN_CHECK(status);
  result.nodes_per_step = static_cast<int64_t>(count);

  // The replays as one timed range (the timer is not active: the steps' own ranges are not timed).
  // The graph is captured and instantiated first, so that the block times replays only.
  graph_for(B);
  GAN_CHECK(cudaStreamSynchronize(stream_));
  timer.open("graph replays");
  const auto host_start = std::chrono::steady_clock::now();
  for (const StepPosition& at : replayed) train_step(at);
  const double host_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - host_start).count();
  timer.close();
  const double gpu_ms = timer.collect().front().ms;
  const double n = static_cast<double>(replayed.size());
  result.graph_gpu_ms = gpu_ms / n;
  result.graph_host_ms = host_ms / n;
  return result;
}

StepBreakdown measure_step_breakdown(Trainer& trainer, const std::vector<StepPosition>& eager,
                                     const std::vector<StepPosition>& replayed) {
  auto* gpu = dynamic_cast<GpuTrainer*>(&trainer);
  if (gpu == nullptr) throw InternalError("measure_step_breakdown needs a GPU trainer");
  return gpu->measure_breakdown(eager, replayed);
}

std::unique_ptr<Trainer> make_gpu_trainer(const ModelSpec& spec, const Dataset& dataset,
                                          const GpuTrainerOptions& options) {
  return std::make_unique<GpuTrainer>(spec, dataset, options);
}

}  // namespace gan
