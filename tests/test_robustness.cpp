// Faults a long run must survive: signals, kill -9 during checkpoint writes, a full disk, a
// read-only folder, non-finite values, and sizes that cannot fit in memory.
#include <gtest/gtest.h>
#include <signal.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cpu/cpu_trainer.h"
#include "util/error.h"
#include "failing_trainer.h"
#include "model/model_spec.h"
#include "test_util.h"
#include "train/checkpoint.h"
#include "util/files.h"

namespace gan {
namespace {

namespace fs = std::filesystem;
using testing::run_gan;
using testing::ScratchDir;

std::string small_data(const ScratchDir& dir, uint32_t count = 100) {
  if (!fs::exists(dir.path("data/train-images-idx3-ubyte"))) {
    fs::create_directories(dir.path("data"));
    testing::write_bytes(dir.path("data/train-images-idx3-ubyte"), testing::make_idx_images(count, 6, 5, 9));
  }
  return dir.path("data");
}

// Flags of a small but not instant run: a checkpoint is ~1 MB, a step a fraction of a ms.
std::string run_flags(const ScratchDir& dir, const std::string& lr = "1e-3") {
  return "--device cpu --threads 1 --data " + small_data(dir) +
         " --batch 16 --latent-dim 8 --g-hidden 128,128 --d-hidden 64 --lr " + lr + " --log-every 10 --sample-every 0";
}

// Starts gan with its output in `log`; returns the child's pid.
pid_t spawn_gan(const std::vector<std::string>& arguments, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    (void)out;
    dup2(fileno(stdout), fileno(stderr));
    std::vector<char*> argv;
    std::string program = GAN_EXECUTABLE;
    argv.push_back(program.data());
    std::vector<std::string> copies = arguments;
    for (auto& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream stream(text);
  for (std::string w; stream >> w;) words.push_back(w);
  return words;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

size_t count_lines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

void expect_same_state(const std::string& a, const std::string& b) {
  const Checkpoint x = load_checkpoint(a, nullptr), y = load_checkpoint(b, nullptr);
  EXPECT_EQ(x.position.step, y.position.step);
  EXPECT_EQ(x.state.generator.params, y.state.generator.params);
  EXPECT_EQ(x.state.discriminator.params, y.state.discriminator.params);
  EXPECT_EQ(x.state.generator.exp_avg_sq, y.state.generator.exp_avg_sq);
  EXPECT_EQ(x.state.discriminator.exp_avg, y.state.discriminator.exp_avg);
}

// Watches one folder with inotify and hands back its events in order. Every wait is for an
// event; the deadline only ends a test whose trainer has hung or died.
class FolderEvents {
 public:
  struct Event {
    std::string name;
    uint32_t mask = 0;  // 0: nothing came within the guard
  };

  explicit FolderEvents(const std::string& folder) : fd_(inotify_init1(IN_CLOEXEC)) {
    if (fd_ < 0 || inotify_add_watch(fd_, folder.c_str(), IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
      throw std::runtime_error(folder + ": inotify failed (" + std::strerror(errno) + ")");
    }
  }
  ~FolderEvents() { close(fd_); }
  FolderEvents(const FolderEvents&) = delete;
  FolderEvents& operator=(const FolderEvents&) = delete;

  Event next() {
    while (offset_ >= filled_) {
      pollfd ready{fd_, POLLIN, 0};
      if (poll(&ready, 1, kGuardMilliseconds) <= 0) return {};
      const ssize_t got = read(fd_, buffer_, sizeof buffer_);
      if (got <= 0) return {};
      filled_ = static_cast<size_t>(got);
      offset_ = 0;
    }
    const auto* event = reinterpret_cast<const inotify_event*>(buffer_ + offset_);
    offset_ += sizeof(inotify_event) + event->len;
    return {event->len > 0 ? std::string(event->name) : std::string(), event->mask};
  }

 private:
  static constexpr int kGuardMilliseconds = 300000;  // a last guard against a hung trainer, not a timing
  int fd_;
  alignas(inotify_event) char buffer_[64 * 1024];
  size_t filled_ = 0, offset_ = 0;
};

void interrupt_and_resume(int signal_number) {
  ScratchDir dir;
  const std::string flags = run_flags(dir);
  fs::create_directories(dir.path("a"));
  FolderEvents events(dir.path("a"));
  const pid_t pid = spawn_gan(split("train " + flags + " --steps 100000 --checkpoint-every 0 --out " + dir.path("a")),
                              dir.path("a.log"));
  // Signal once two metrics lines (step 20) are written: each write of the file is an event.
  for (FolderEvents::Event event = events.next(); event.mask != 0; event = events.next()) {
    if (event.name == "metrics.jsonl" && count_lines(dir.path("a/metrics.jsonl")) >= 2) break;
  }
  kill(pid, signal_number);
  EXPECT_EQ(wait_exit_code(pid), 128 + signal_number);
  const auto log = read_whole_file(dir.path("a.log"));
  const std::string text(log.begin(), log.end());
  EXPECT_NE(text.find("interrupted by"), std::string::npos) << text;
  const Checkpoint saved = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  const uint64_t stopped = saved.position.step;
  ASSERT_GE(stopped, 20u);
  // Resumed to a later step, it equals a run that was never interrupted.
  const std::string target = std::to_string(stopped + 13);
  const auto resumed = run_gan("train --resume " + dir.path("a") + " --steps " + target);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  ASSERT_EQ(run_gan("train " + flags + " --steps " + target + " --out " + dir.path("b")).exit_code, 0);
  expect_same_state(dir.path("a/last.safetensors"), dir.path("b/last.safetensors"));
}

TEST(Faults, SigintFinishesTheStepCheckpointsAndExits130) { interrupt_and_resume(SIGINT); }
TEST(Faults, SigtermFinishesTheStepCheckpointsAndExits143) { interrupt_and_resume(SIGTERM); }

// Where an event falls in the write of a checkpoint: 0 the file is created, 1 written, 2 closed
// (written and synced), 3 whole in place (renamed there, or closed there by a writer that wrote
// in place); -1 for other files.
int write_phase(const FolderEvents::Event& event, const std::string& last, const std::string& temporary) {
  if (event.name != last && event.name != temporary) return -1;
  if (event.mask & IN_MOVED_TO) return 3;
  if (event.mask & IN_CLOSE_WRITE) return event.name == last ? 3 : 2;
  if (event.mask & IN_MODIFY) return 1;
  if (event.mask & IN_CREATE) return 0;
  return -1;
}

// kill -9 at chosen points of a checkpoint write: as the temporary file appears, as it is
// written, as it is closed, and as it is renamed into place; after the first whole checkpoint, in
// one of the next three writes. Whatever the point, last.safetensors must load whole and be no
// older than the last whole one seen. The points are events of the write itself, so the test
// means the same on a fast machine and a busy one.
TEST(Faults, KillDuringCheckpointWritesNeverTearsTheLastCheckpoint) {
  ScratchDir dir;
  const std::string flags = run_flags(dir);
  const std::string last = "last.safetensors", temporary = last + ".tmp";
  std::mt19937 rng(12345);
  for (int attempt = 0; attempt < 12; ++attempt) {
    const std::string out = dir.path("run" + std::to_string(attempt));
    fs::create_directories(out);
    FolderEvents events(out);
    // A checkpoint after every step: most of the time goes to writing them.
    const pid_t pid = spawn_gan(split("train " + flags + " --steps 100000 --checkpoint-every 1 --out " + out),
                                dir.path("log"));
    const int kill_phase = attempt % 4;
    const int armed_after = 1 + static_cast<int>(rng() % 3);  // whole checkpoints before the one killed
    int whole = 0;
    bool killed_in_a_write = false;
    for (FolderEvents::Event event = events.next(); event.mask != 0; event = events.next()) {
      const int phase = write_phase(event, last, temporary);
      if (whole >= armed_after && phase >= kill_phase) {
        kill(pid, SIGKILL);
        killed_in_a_write = true;
        break;
      }
      if (phase == 3) ++whole;
    }
    if (!killed_in_a_write) kill(pid, SIGKILL);
    wait_exit_code(pid);
    const auto log = read_whole_file(dir.path("log"));
    ASSERT_TRUE(killed_in_a_write) << "attempt " << attempt << ": the trainer stopped writing checkpoints; its log:\n"
                                   << std::string(log.begin(), log.end());
    const Checkpoint c = load_checkpoint(out + "/" + last, nullptr);  // throws if torn
    EXPECT_GE(c.position.step, static_cast<uint64_t>(whole)) << "attempt " << attempt;
  }
}

TEST(Faults, AFullDiskIsAClearErrorAndKeepsTheLastCheckpoint) {
  ScratchDir dir;
  ASSERT_EQ(run_gan("train " + run_flags(dir) + " --steps 5 --out " + dir.path("a")).exit_code, 0);
  const auto before = read_whole_file(dir.path("a/last.safetensors"));
  ASSERT_GT(before.size(), 200u * 1024);
  // The shell's file-size limit (in KiB) makes every write past 100 KiB fail, like a full disk.
  ASSERT_EQ(run_gan("train --resume " + dir.path("a") + " --steps 9").exit_code, 0);
  const std::string command = "bash -c 'ulimit -f 100; exec " + std::string(GAN_EXECUTABLE) + " train --resume " +
                              dir.path("a") + " --steps 30 2>&1'";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;
  EXPECT_NE(output.find("last.safetensors: writing failed (File too large)"), std::string::npos) << output;
  EXPECT_NE(output.find("previous file, if any, is unchanged"), std::string::npos) << output;
  const Checkpoint kept = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  EXPECT_EQ(kept.position.step, 9u);  // the resume to 9 above, written before the limit
  EXPECT_FALSE(fs::exists(dir.path("a/last.safetensors.tmp")));
}

// A GPU that fails mid-run (a lost device, an illegal address) surfaces as a CudaError out of
// the loop; what was saved stays whole. (The GPU trainer's own version, with a real failed CUDA
// call, is in tests/gpu/test_gpu_faults.cpp.)
TEST(Faults, ADeviceErrorMidRunKeepsTheLastCheckpoint) {
  ScratchDir dir;
  const Dataset data = testing::mid_run_failure_data();
  const TrainConfig config = testing::mid_run_failure_config(dir.path("run"));
  CpuTrainerOptions options;
  options.threads = 1;
  CpuTrainer cpu(make_model_spec(config, 28, 28), data, options);
  testing::FailingTrainer failing(cpu, 12, [] { throw CudaError("CUDA error: an illegal memory access (planted)"); });
  const std::string message = testing::fail_mid_run(failing, config, data);
  EXPECT_NE(message.find("illegal memory access"), std::string::npos) << message;
}

TEST(Faults, AReadOnlyOutputFolderFailsBeforeTraining) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to the 'nobody' user with setpriv";
  ScratchDir dir;
  const std::string data = small_data(dir);
  ASSERT_EQ(run_gan("train " + run_flags(dir) + " --steps 5 --out " + dir.path("a")).exit_code, 0);
  const auto before = read_whole_file(dir.path("a/last.safetensors"));
  chmod(dir.path().c_str(), 0755);  // readable by nobody, writable by root only
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups -- ";
  const std::string gan = GAN_EXECUTABLE;
  FILE* pipe = popen((as_nobody + gan + " train " + run_flags(dir) + " --steps 5 --out " + dir.path("new") + " 2>&1").c_str(), "r");
  std::string output;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
  EXPECT_EQ(WEXITSTATUS(pclose(pipe)), 1) << output;
  EXPECT_NE(output.find(dir.path("new") + ": cannot create the folder"), std::string::npos) << output;
  output.clear();
  pipe = popen((as_nobody + gan + " train --resume " + dir.path("a") + " --steps 9 2>&1").c_str(), "r");
  while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
  EXPECT_EQ(WEXITSTATUS(pclose(pipe)), 1) << output;
  EXPECT_NE(output.find("config.json"), std::string::npos) << output;
  EXPECT_NE(output.find("Permission denied"), std::string::npos) << output;
  EXPECT_EQ(read_whole_file(dir.path("a/last.safetensors")), before);
}

TEST(Faults, NonFiniteValuesStopTheRunWithoutAPoisonedCheckpoint) {
  ScratchDir dir;
  // An absurd learning rate makes the parameters overflow within a few steps.
  const auto r = run_gan("train " + run_flags(dir, "1e30") + " --steps 50 --checkpoint-every 1 --out " + dir.path("a"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("non-finite values"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--on-nan rollback"), std::string::npos) << r.output;
  if (fs::exists(dir.path("a/last.safetensors"))) {
    const Checkpoint c = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
    for (float v : c.state.generator.params) ASSERT_TRUE(std::isfinite(v));
    for (float v : c.state.discriminator.exp_avg_sq) ASSERT_TRUE(std::isfinite(v));
  }
}

TEST(Faults, RollbackReturnsToTheLastCheckpointWithFreshNoise) {
  ScratchDir dir;
  const Dataset data = testing::mid_run_failure_data();
  const std::map<std::string, std::string> rollback = {{"on_nan", "rollback"}, {"steps", "12"}};
  const TrainConfig config = testing::mid_run_failure_config(dir.path("a"), rollback);
  const ModelSpec spec = make_model_spec(config, 28, 28);
  CpuTrainerOptions options;
  options.threads = 1;
  CpuTrainer cpu(spec, data, options);
  testing::NonfiniteAtStep faulty(cpu, 7);
  const std::string output = testing::train_in_process(faulty, config, data);
  EXPECT_NE(output.find("step 7: non-finite values"), std::string::npos) << output;
  EXPECT_NE(output.find("rolled back to"), std::string::npos) << output;
  const Checkpoint c = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  EXPECT_EQ(c.position.step, 12u);
  EXPECT_EQ(c.position.noise_stream, 1u);
  std::ifstream metrics(dir.path("a/metrics.jsonl"));
  std::string all((std::istreambuf_iterator<char>(metrics)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find("\"event\":\"rollback\""), std::string::npos) << all;
  // Steps 6..12 used the new noise: the result differs from a run without the fault.
  CpuTrainer clean(spec, data, options);
  testing::train_in_process(clean, testing::mid_run_failure_config(dir.path("b"), rollback), data);
  EXPECT_NE(load_checkpoint(dir.path("b/last.safetensors"), nullptr).state.generator.params, c.state.generator.params);
  // A resumed run keeps the noise stream.
  CpuTrainer resumed(spec, data, options);
  resumed.load_state(c.state);
  testing::train_in_process(resumed, testing::mid_run_failure_config(dir.path("a"), {{"on_nan", "rollback"}, {"steps", "14"}}),
                            data, LoopStart{c.position.step, c.position.noise_stream});
  EXPECT_EQ(load_checkpoint(dir.path("a/last.safetensors"), nullptr).position.noise_stream, 1u);
}

TEST(Faults, RollbackAfterResumingAnOlderCheckpointReturnsThereNotLater) {
  ScratchDir dir;
  const Dataset data = testing::mid_run_failure_data();
  const TrainConfig first = testing::mid_run_failure_config(dir.path("a"), {{"steps", "25"}, {"keep_checkpoints", "3"}});
  const ModelSpec spec = make_model_spec(first, 28, 28);
  CpuTrainerOptions options;
  options.threads = 1;
  CpuTrainer cpu(spec, data, options);
  testing::train_in_process(cpu, first, data);
  // last.safetensors is at step 25; resume from 20 and fail at 22: the rollback must go to 20.
  const Checkpoint older = load_checkpoint(dir.path("a/checkpoints/step_00000020.safetensors"), nullptr);
  CpuTrainer resumed(spec, data, options);
  resumed.load_state(older.state);
  testing::NonfiniteAtStep faulty(resumed, 22);
  const std::string output = testing::train_in_process(
      faulty, testing::mid_run_failure_config(dir.path("a"), {{"steps", "30"}, {"keep_checkpoints", "3"}, {"on_nan", "rollback"}}),
      data, LoopStart{older.position.step, older.position.noise_stream});
  EXPECT_NE(output.find("(step 20), continuing with noise stream 1"), std::string::npos) << output;
}

// A NaN in BatchNorm's running statistics alone (every parameter finite) stops the run too,
// before a checkpoint holds it: sampling reads those statistics.
TEST(Faults, ANonFiniteRunningStatisticIsNeverCheckpointed) {
  ScratchDir dir;
  const Dataset data = testing::mid_run_failure_data();
  const TrainConfig config = testing::mid_run_failure_config(
      dir.path("a"), {{"model", "dcgan"}, {"dcgan_channels", "4,2"}, {"steps", "10"}, {"batch", "8"}});
  CpuTrainerOptions options;
  options.threads = 1;
  CpuTrainer cpu(make_model_spec(config, 28, 28), data, options);
  // From step 7 on, the state read back holds a NaN running variance in D.
  class PoisonedStatistics : public testing::ForwardingTrainer {
   public:
    using ForwardingTrainer::ForwardingTrainer;
    void train_step(const StepPosition& at) override {
      inner_.train_step(at);
      poisoned_ = at.step >= 7;
    }
    TrainerState state() override {
      TrainerState s = inner_.state();
      if (poisoned_) s.discriminator.buffers.back() = std::nanf("");
      return s;
    }

   private:
    bool poisoned_ = false;
  } poisoned(cpu);
  try {
    testing::train_in_process(poisoned, config, data);
    ADD_FAILURE() << "the run went on with a NaN running statistic";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("step 10: non-finite values"), std::string::npos) << e.what();
  }
  const Checkpoint kept = load_checkpoint(dir.path("a/last.safetensors"), nullptr);
  EXPECT_EQ(kept.position.step, 5u);
  for (float v : kept.state.discriminator.buffers) ASSERT_TRUE(std::isfinite(v));
}

TEST(Faults, RollbacksAreBounded) {
  ScratchDir dir;
  const auto r = run_gan("train " + run_flags(dir, "1e30") + " --on-nan rollback --max-rollbacks 2 --steps 50 " +
                         "--checkpoint-every 1 --out " + dir.path("a"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("after 2 rollback(s)"), std::string::npos) << r.output;
}

TEST(BadInput, SizesThatCannotFitAreRefusedBeforeAllocating) {
  ScratchDir dir;
  const auto r = run_gan("train --device cpu --data " + small_data(dir) + " --batch 16 --g-hidden 65536,65536,65536 " +
                         "--out " + dir.path("a"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("g_hidden"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("GiB to train"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.path("a")));
}

TEST(BadInput, UnreadableDataIsNamed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to the 'nobody' user with setpriv";
  ScratchDir dir;
  const std::string data = small_data(dir);
  chmod((data + "/train-images-idx3-ubyte").c_str(), 0600);
  FILE* pipe = popen(("setpriv --reuid=65534 --regid=65534 --clear-groups -- " + std::string(GAN_EXECUTABLE) +
                      " train --data " + data + " --out " + dir.path("a") + " 2>&1")
                         .c_str(),
                     "r");
  std::string output;
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
  EXPECT_EQ(WEXITSTATUS(pclose(pipe)), 1) << output;
  EXPECT_NE(output.find(data + "/train-images-idx3-ubyte: cannot open for reading (Permission denied)"), std::string::npos)
      << output;
}

}  // namespace
}  // namespace gan
