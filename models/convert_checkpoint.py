#!/usr/bin/env python3
"""Convert a PyTorch checkpoint (pytorch_model.bin) into model.safetensors, the format radlite loads.

Needs only torch (Debian: python3-torch); neither transformers nor the safetensors package.

    python3 models/convert_checkpoint.py models/my-model                 # writes models/my-model/model.safetensors
    python3 models/convert_checkpoint.py ckpt.bin out.safetensors --dtype float16
    python3 models/convert_checkpoint.py --check out.safetensors ckpt.bin  # compare an existing file

After writing, the file is read back by this script's own reader and every tensor is compared bit for bit
with the source tensor (after the --dtype cast, done by torch). Exit status: 0 identical, 1 a mismatch,
2 bad input (unreadable checkpoint, malformed safetensors file, bad arguments).

The safetensors layout written here:
    8 bytes   little-endian u64 N, the size of the header
    N bytes   JSON: {"__metadata__": {"format": "pt"}, "<name>": {"dtype": "F32", "shape": [..],
              "data_offsets": [begin, end]}, ...}, padded with spaces so that 8 + N is a multiple of 8
    data      the tensors' bytes, little-endian, row-major; offsets are relative to the end of the header.
Tensors are stored by decreasing element size, then by name, so every tensor starts at an offset that is a
multiple of its element size (a memory-mapped reader can use it in place).

Tied tensors (several names for one storage, e.g. a decoder tied to the word embeddings) are written once
per name: safetensors has no aliasing, and a loader asking for either name must find it.
"""

import argparse
import ctypes
import inspect
import json
import os
import struct
import sys
import tempfile

import torch

# safetensors dtype code <-> torch dtype. The unsigned/float8 codes of newer torch versions are left out:
# torch 1.13 cannot represent them.
DTYPE_CODES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}
CODE_DTYPES = {code: dtype for dtype, code in DTYPE_CODES.items()}

# Integer dtype of the same width, to compare tensors bit for bit (NaN payloads and -0.0 included).
BIT_VIEW = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}

CAST_TARGETS = {"keep": None, "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

MAX_HEADER_BYTES = 100 * 1024 * 1024  # a larger header is a corrupt length field, not a real model


class InputError(Exception):
    """Bad input: the message says which file or tensor and what is wrong."""


class Mismatch(Exception):
    """The written file does not hold the expected tensors."""


def tensor_bytes(tensor):
    """The tensor's elements as little-endian bytes in row-major order (only its own elements, also for views)."""
    t = tensor.detach().contiguous()
    size = t.numel() * t.element_size()
    if size == 0:
        return b""
    return ctypes.string_at(t.data_ptr(), size)


def load_checkpoint(path):
    """Loads a torch.save'd state dict: an ordered mapping of str names to dense CPU tensors."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    # weights_only (torch >= 1.13) refuses pickled code, so a downloaded checkpoint cannot run anything.
    safe = {"weights_only": True} if "weights_only" in inspect.signature(torch.load).parameters else {}
    try:
        obj = torch.load(path, map_location="cpu", **safe)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file")
    except Exception as e:  # torch raises many types for a corrupt or non-checkpoint file
        raise InputError(f"{path}: not a readable torch checkpoint ({type(e).__name__}: {e})")
    if not isinstance(obj, dict):
        raise InputError(f"{path}: expected a state dict (name -> tensor), found a {type(obj).__name__}")
    state = {}
    for name, value in obj.items():
        if not isinstance(name, str):
            raise InputError(f"{path}: key {name!r} is not a string")
        if not isinstance(value, torch.Tensor):
            raise InputError(f"{path}: entry '{name}' is a {type(value).__name__}, not a tensor")
        if value.layout != torch.strided or value.is_quantized:
            raise InputError(f"{path}: tensor '{name}' is sparse or quantized; only dense tensors can be stored")
        if value.dtype not in DTYPE_CODES:
            raise InputError(f"{path}: tensor '{name}' has dtype {value.dtype}, which safetensors/radlite do not support")
        state[name] = value
    if not state:
        raise InputError(f"{path}: the checkpoint holds no tensors")
    return state


def describe_sharing(state):
    """Groups of names whose tensors share one storage (tied weights or views of one buffer)."""
    groups = {}
    for name, t in state.items():
        if t.numel() == 0:
            continue
        storage = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
        groups.setdefault(storage.data_ptr(), []).append(name)
    return [sorted(names) for names in groups.values() if len(names) > 1]


def cast_state(state, target):
    """Applies --dtype: floating-point tensors are cast by torch; integer and bool tensors stay as they are."""
    if target is None:
        return dict(state), 0
    out = {}
    overflowed = 0
    for name, t in state.items():
        if t.is_floating_point() and t.dtype != target:
            cast = t.to(target)
            overflowed += int((torch.isinf(cast) & torch.isfinite(t)).sum())
            out[name] = cast
        else:
            out[name] = t
    return out, overflowed


def storage_order(state):
    """Decreasing element size, then name: keeps every tensor aligned to its element size."""
    return sorted(state, key=lambda name: (-state[name].element_size(), name))


def write_safetensors(state, path):
    """Writes the tensors to path (through a temporary file in the same directory, renamed at the end)."""
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    order = storage_order(state)
    for name in order:
        t = state[name]
        size = t.numel() * t.element_size()
        header[name] = {"dtype": DTYPE_CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    header_bytes = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    header_bytes += b" " * (-(8 + len(header_bytes)) % 8)

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".convert_checkpoint.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(header_bytes)))
            f.write(header_bytes)
            for name in order:
                f.write(tensor_bytes(state[name]))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return 8 + len(header_bytes) + offset


def read_safetensors(path):
    """This script's reader: every tensor of a safetensors file, with its header checked for consistency."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})")
    if len(data) < 8:
        raise InputError(f"{path}: {len(data)} bytes, too short for the 8-byte header length")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > MAX_HEADER_BYTES or 8 + header_len > len(data):
        raise InputError(f"{path}: header length {header_len} does not fit in a file of {len(data)} bytes")
    try:
        header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: the header is not valid JSON ({e})")
    if not isinstance(header, dict):
        raise InputError(f"{path}: the header is not a JSON object")
    body = memoryview(data)[8 + header_len :]
    tensors = {}
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        where = f"{path}: tensor '{name}'"
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
            raise InputError(f"{where}: needs the fields dtype, shape and data_offsets")
        dtype = CODE_DTYPES.get(info["dtype"])
        if dtype is None:
            raise InputError(f"{where}: unsupported dtype {info['dtype']!r}")
        shape = info["shape"]
        offsets = info["data_offsets"]
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise InputError(f"{where}: shape {shape!r} is not a list of non-negative integers")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise InputError(f"{where}: data_offsets {offsets!r} is not [begin, end]")
        begin, end = offsets
        numel = 1
        for d in shape:
            numel *= d
        expected = numel * torch.empty((), dtype=dtype).element_size()
        if not 0 <= begin <= end <= len(body) or end - begin != expected:
            raise InputError(
                f"{where}: data_offsets [{begin}, {end}] do not hold {expected} bytes inside the "
                f"{len(body)}-byte data section"
            )
        spans.append((begin, end, name))
        if numel == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype).reshape(shape)
    spans.sort()
    cursor = 0
    for begin, end, name in spans:
        if begin != cursor:
            raise InputError(f"{path}: tensor '{name}' starts at {begin}, expected {cursor} (gap or overlap)")
        cursor = end
    if cursor != len(body):
        raise InputError(f"{path}: {len(body) - cursor} bytes after the last tensor")
    return header.get("__metadata__"), tensors


def bits(t):
    return t.contiguous().view(BIT_VIEW[t.element_size()]) if t.numel() else t.reshape(-1)


def compare(expected, path):
    """Raises Mismatch naming every tensor of the file that differs from `expected` (bit for bit)."""
    metadata, actual = read_safetensors(path)
    problems = []
    if metadata != {"format": "pt"}:
        problems.append(f"__metadata__ is {metadata!r}, expected {{'format': 'pt'}}")
    for name in sorted(set(expected) - set(actual)):
        problems.append(f"tensor '{name}' is missing")
    for name in sorted(set(actual) - set(expected)):
        problems.append(f"tensor '{name}' is not in the checkpoint")
    for name in sorted(set(expected) & set(actual)):
        e, a = expected[name], actual[name]
        if e.dtype != a.dtype or tuple(e.shape) != tuple(a.shape):
            problems.append(f"tensor '{name}': expected {e.dtype} {list(e.shape)}, file has {a.dtype} {list(a.shape)}")
            continue
        differ = (bits(e) != bits(a)).reshape(-1)
        if bool(differ.any()):
            first = int(differ.nonzero()[0])
            problems.append(
                f"tensor '{name}': {int(differ.sum())} of {e.numel()} elements differ "
                f"(first at flat index {first}: expected {e.reshape(-1)[first].item()!r}, "
                f"file has {a.reshape(-1)[first].item()!r})"
            )
    if problems:
        raise Mismatch(f"{path} differs from the checkpoint:\n  " + "\n  ".join(problems))
    return len(actual)


def resolve_input(path):
    if os.path.isdir(path):
        candidate = os.path.join(path, "pytorch_model.bin")
        if not os.path.isfile(candidate):
            if os.path.isfile(os.path.join(path, "pytorch_model.bin.index.json")):
                raise InputError(f"{path}: sharded checkpoints (pytorch_model.bin.index.json) are not supported; "
                                 "merge the shards into one state dict first")
            raise InputError(f"{path}: directory has no pytorch_model.bin")
        return candidate
    return path


def main(argv):
    parser = argparse.ArgumentParser(
        description="Convert pytorch_model.bin to model.safetensors and verify the result bit for bit.")
    parser.add_argument("input", help="pytorch_model.bin, or a model directory containing it")
    parser.add_argument("output", nargs="?",
                        help="output file (default: model.safetensors next to the input)")
    parser.add_argument("--dtype", choices=sorted(CAST_TARGETS), default="keep",
                        help="cast floating-point tensors (integer tensors are never cast); default: keep")
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")
    parser.add_argument("--check", metavar="SAFETENSORS",
                        help="do not convert: compare this existing file with the checkpoint (after --dtype)")
    args = parser.parse_args(argv)

    if sys.byteorder != "little":
        raise InputError("this script writes tensor bytes as they are in memory; it needs a little-endian machine")

    source = resolve_input(args.input)
    state = load_checkpoint(source)
    expected, overflowed = cast_state(state, CAST_TARGETS[args.dtype])

    if args.check:
        count = compare(expected, args.check)
        print(f"{args.check}: all {count} tensors identical to {source}" +
              (f" cast to {args.dtype}" if args.dtype != "keep" else ""))
        return 0

    output = args.output or os.path.join(os.path.dirname(os.path.abspath(source)), "model.safetensors")
    if os.path.exists(output) and not args.force:
        raise InputError(f"{output}: exists (use --force to overwrite)")

    size = write_safetensors(expected, output)
    count = compare(expected, output)

    print(f"{source} -> {output}: {count} tensors, {size} bytes" +
          (f", floating-point tensors cast to {args.dtype}" if args.dtype != "keep" else ""))
    for group in describe_sharing(state):
        print(f"  shared storage, written once per name: {', '.join(group)}")
    if overflowed:
        print(f"  warning: {overflowed} finite values exceed the {args.dtype} range and became infinite",
              file=sys.stderr)
    print("  verified: every tensor read back is bit-identical to the source" +
          (f" cast by torch to {args.dtype}" if args.dtype != "keep" else ""))
    return 0


def run(argv):
    """main() with its failures turned into the documented exit statuses and messages on stderr."""
    try:
        return main(argv)
    except Mismatch as e:
        print(f"convert_checkpoint: MISMATCH: {e}", file=sys.stderr)
        return 1
    except InputError as e:
        print(f"convert_checkpoint: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
