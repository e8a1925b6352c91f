// gan: the command-line entry point. Subcommands live in host/cli/*_command.cpp.
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "cpu/blas_core.h"
#include "util/error.h"
#include "util/memory.h"

namespace {

// Prints a failure after whatever progress output came before it, and gives the exit status.
int report(const char* kind, const std::exception& e) {
  std::fflush(stdout);
  std::fprintf(stderr, "\ngan: %s: %s\n", kind, e.what());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything else: OpenBLAS and OpenMP read their settings only when they load
  // (cpu/blas_core.h); this may restart gan once with them set.
  const std::string blas_note = gan::choose_cpu_libraries(argv);
  if (!blas_note.empty()) std::fprintf(stderr, "gan: %s\n", blas_note.c_str());
  gan::keep_freed_memory();  // a step's buffers are reused, not faulted in again (util/memory.h)
  CLI::App app{"gan: train the classic GAN (MLP generator and discriminator, BCE, Adam) on MNIST-style images"};
  app.set_version_flag("--version", "gan 0.1.0");
  app.require_subcommand(1);
  gan::TrainCommand train;
  gan::add_train_command(app, &train);
  gan::SampleCommand sample;
  gan::add_sample_command(app, &sample);
  gan::EvalCommand eval;
  gan::add_eval_command(app, &eval);
  gan::CheckCommand check;
  gan::add_check_command(app, &check);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (app.got_subcommand("train")) return gan::run_train_command(train);
    if (app.got_subcommand("sample")) return gan::run_sample_command(sample);
    if (app.got_subcommand("eval")) return gan::run_eval_command(eval);
    if (app.got_subcommand("check")) return gan::run_check_command(check);
  } catch (const gan::CudaError& e) {  // a failed CUDA, cuBLAS or cuDNN call, a lost device, out of memory
    return report("GPU error", e);
  } catch (const gan::IoError& e) {
    return report("I/O error", e);
  } catch (const gan::InputError& e) {
    return report("error", e);
  } catch (const gan::InternalError& e) {
    return report("internal error (please report it)", e);
  } catch (const std::exception& e) {  // from a library: std::bad_alloc, a filesystem_error
    return report("internal error", e);
  }
  return 0;
}
