"""A minimal safetensors reader/writer for float32 tensors (Debian ships no safetensors package).

read(path) -> (dict name -> numpy float32 array, metadata dict)
"""
import json
import struct

import numpy as np


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: truncated (no header length)")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise ValueError(f"{path}: header length {length} exceeds the file")
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    buffer = memoryview(data)[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        array = np.frombuffer(buffer[begin:end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = array.copy()
    return tensors, metadata
