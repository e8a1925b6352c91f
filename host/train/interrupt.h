#pragma once
// defines: install_interrupt_handlers, pending_interrupt
//
// SIGINT and SIGTERM do not kill a training run: they set a flag that the training loop reads
// after each step, so it finishes the step, writes a checkpoint and exits with 128 + the signal
// (130 or 143). A second signal of the same kind kills at once (the default action), for a
// user who really means it. SIGXFSZ (a file-size limit reached) is ignored, so the write
// fails with EFBIG and is reported like a full disk instead of killing the process. The handler
// runs on a stack of its own, on the calling thread only (interrupt.cpp says why): call this from
// the thread that trains, once the trainer has set its thread count.
namespace gan {

void install_interrupt_handlers();

// The signal that asked the run to stop (SIGINT or SIGTERM), or 0.
int pending_interrupt();

}  // namespace gan
