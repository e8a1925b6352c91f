#!/usr/bin/env python3
"""Checks what the source comments promise, so that a reader can trust them.

1. Every header's opening "defines:" line names only symbols the file really defines (each name
   must appear in the file outside that comment; "Name (for T)" and "ns::Name" are read as Name).
2. Every document a comment or a doc cites (docs/NAME.md, README.md, bench/RESULTS.md, ...) exists,
   and so does every source file one cites (host/cuda/streams.h, tools/fuzz.sh, tests/...):
   a file that moves leaves no stale map behind.
3. Includes point down the layers of docs/ARCHITECTURE.md: a folder of host/ (or kernels/)
   includes only its own files and those of lower layers, so neither backend includes the other.

usage: tools/check_sources.py [REPO_ROOT]; exits 1 and lists each broken promise.
"""
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=root,
                       capture_output=True, text=True, check=True).stdout.split()
files = [f for f in files if (root / f).exists()]  # a deletion not yet committed
sources = [f for f in files if re.search(r"\.(h|cuh|cpp|cu)$", f)]
problems = []

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

for name in sources:
    lines = (root / name).read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines[:12]) if line.startswith("// defines:")), None)
    if start is None:
        continue
    text, end = lines[start][len("// defines:"):], start
    while "—" not in text and end + 1 < len(lines) and lines[end + 1].startswith("//") and lines[end + 1].strip() != "//":
        end += 1
        text += " " + lines[end][2:]
    listed = text.split("—")[0]
    listed = re.sub(r"\([^)]*\)", "", listed)  # "check_status (for cudaError_t)"
    body = "\n".join(lines[:start] + lines[end + 1:])
    for item in (part.strip() for part in listed.split(",")):
        if not item:
            continue
        symbol = item.split("::")[-1].strip()
        if not IDENT.match(symbol):
            problems.append(f"{name}:{start + 1}: 'defines:' lists '{item}', which is not a name")
        elif not re.search(r"\b" + re.escape(symbol) + r"\b", body):
            problems.append(f"{name}:{start + 1}: 'defines:' names {symbol}, which the file does not define")

cited = re.compile(r"\b((?:docs|bench|tools|tests|kernels|host)/[A-Za-z0-9_./-]+\.md|README\.md|DESIGN\.md|GPU_NOTES(?:\.md)?|STYLE\.md)")
# A source path: under one of the repository's own folders, ending in a source extension.
cited_source = re.compile(r"(?<![\w./-])((?:host|kernels|tools|tests|bench|cmake)/[A-Za-z0-9_./-]*[A-Za-z0-9_-]"
                          r"\.(?:h|cuh|cpp|cu|py|sh|cmake|js))\b(?![/.\w-])")
for name in files:
    if name == "tools/check_sources.py":  # its own patterns and examples
        continue
    if not re.search(r"\.(h|cuh|cpp|cu|md|sh|py|txt|cmake)$|CMakeLists\.txt$", name):
        continue
    path = root / name
    if not path.exists():
        continue
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        for match in list(cited.finditer(line)) + list(cited_source.finditer(line)):
            target = match.group(1)
            candidates = [root / target, (root / name).parent / target]
            if not any(c.exists() for c in candidates):
                problems.append(f"{name}:{number}: cites {target}, which is not in the repository")

# docs/ARCHITECTURE.md: Layers. Lower numbers are lower layers.
LAYER = {"util": 0, "kernels": 1, "model": 2, "data": 2, "io": 2, "cpu": 3, "cuda": 3,
         "train": 4, "eval": 4, "check": 4, "cli": 5}
for name in sources:
    parts = name.split("/")
    folder = parts[1] if parts[0] == "host" and len(parts) > 2 else "kernels" if parts[0] == "kernels" else None
    if folder is None:
        continue
    for number, line in enumerate((root / name).read_text(encoding="utf-8").splitlines(), 1):
        match = re.match(r'#include "([^"]+)"', line)
        if not match:
            continue
        target = match.group(1).split("/")[0] if "/" in match.group(1) else "kernels" if match.group(1).endswith((".cuh", ".h")) and (root / "kernels" / match.group(1)).exists() else folder
        if target != folder and target in LAYER and LAYER[target] >= LAYER[folder]:
            problems.append(f"{name}:{number}: {folder}/ includes {match.group(1)}, a layer at or above its own")

for problem in problems:
    print(problem)
print(f"check_sources: {len(sources)} sources read, {len(problems)} broken promise(s)")
sys.exit(1 if problems else 0)
