"""What the PyTorch peers (torch_seed.py, torch_dcgan.py) share: capturing a training step into
a CUDA graph, and timing steps the way bench_step times ours."""
import statistics
import time

import torch


def graph_step(eager_step, first_batch):
    """Captures eager_step (a function of one batch that returns its losses) into a CUDA graph,
    PyTorch's way: warm up on a side stream, capture one step that reads a static input buffer.
    Returns a step function that copies each batch in and replays (a batch of another size, such
    as an epoch's smaller last one, runs eagerly)."""
    static_input = first_batch.clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            eager_step(static_input)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_losses = eager_step(static_input)

    def step(batch):
        if batch.size(0) != static_input.size(0):
            return eager_step(batch)
        static_input.copy_(batch)
        graph.replay()
        return static_losses

    return step


def time_steps(step, source, device, warmup, steps, block):
    """Runs `warmup` steps, then `steps` timed ones in blocks of `block` between synchronisations
    (each block's mean per step is one sample). Returns the timing fields of a result and the
    last losses."""
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    losses = None
    for _ in range(warmup):
        losses = step(next(source))
    sync()
    times = []
    done = 0
    while done < steps:
        n = min(block, steps - done)
        start = time.perf_counter()
        for _ in range(n):
            losses = step(next(source))
        sync()
        times.append((time.perf_counter() - start) * 1000.0 / n)
        done += n
    times.sort()
    fields = {
        "steps": steps,
        "block": block,
        "ms_per_step_median": statistics.median(times),
        "ms_per_step_p10": times[int(0.1 * (len(times) - 1))],
        "ms_per_step_p90": times[int(0.9 * (len(times) - 1))],
    }
    return fields, losses
