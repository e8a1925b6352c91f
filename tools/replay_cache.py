"""The passes of PyTorch replays, remembered by everything they depend on, so that a trace whose
bytes were replayed before is not replayed again (tools/torch_parity.py).

A replay is a pure function of its input files, its options, the scripts in tools/ and the
PyTorch it runs on. The key is a SHA-256 of all of them; a pass is stored under it with its
output, a failure never is. CI's ASan stage writes traces byte for byte equal to the release
stage's (the same arithmetic; README, Tests), so its replays are found here and it spends its
time on what only it checks, the memory of every `gan train` that wrote them. A trace that
differs in one bit has another key and is replayed in full.

The store: $GAN_REPLAY_CACHE, else data/.cache/replays of this checkout (shared by its build
folders; data/ is not committed).
"""
import contextlib
import hashlib
import importlib.metadata
import io
import os
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))


def _store():
    return os.environ.get("GAN_REPLAY_CACHE") or os.path.join(os.path.dirname(TOOLS), "data", ".cache", "replays")


def _torch_version():
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        import torch  # slower, but every install has it
        return torch.__version__


def key(files, options):
    """The key of a replay of `files` (paths) with `options` (a dict, paths left out)."""
    h = hashlib.sha256()
    for path in files:
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    for name in sorted(os.listdir(TOOLS)):
        if name.endswith(".py"):
            with open(os.path.join(TOOLS, name), "rb") as f:
                h.update(name.encode() + hashlib.sha256(f.read()).digest())
    h.update(repr(sorted(options.items())).encode())
    h.update(_torch_version().encode())
    return h.hexdigest()


class _Tee(io.TextIOBase):
    def __init__(self, out):
        self.out, self.kept = out, io.StringIO()

    def write(self, text):
        self.kept.write(text)
        return self.out.write(text)

    def flush(self):
        self.out.flush()


def _path(name, files, options):
    return os.path.join(_store(), f"{name}-{key(files, options)}.txt")


def recall(name, files, options):
    """Prints the remembered output of a pass of this replay and returns True, or returns False
    (nothing remembered, or an input that cannot be read: the replay will say so)."""
    try:
        path = _path(name, files, options)
    except OSError:
        return False
    if not os.path.exists(path):
        return False
    with open(path) as f:
        sys.stdout.write(f.read())
    print(f"{name}: replayed before: the same bytes passed with the same scripts and PyTorch"
          f" (remembered in {path}); not replayed again")
    return True


def run(name, files, options, replay):
    """Runs `replay()`, which prints and returns an exit status, and remembers its output if it
    passed."""
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        status = replay()
    if status == 0:
        path = _path(name, files, options)
        os.makedirs(_store(), exist_ok=True)
        temporary = f"{path}.{os.getpid()}"
        with open(temporary, "w") as f:
            f.write(tee.kept.getvalue())
        os.replace(temporary, path)  # whole, or not at all: two tests may finish at once
    return status
