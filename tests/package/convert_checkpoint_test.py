"""Tests of models/convert_checkpoint.py (run by ctest as `convert_checkpoint` with a python3 that has torch).

The converter verifies its own output with its own reader; these tests do not trust that reader. They parse
the file here, independently, and compare every tensor's bytes with encodings computed another way:
Python's struct module for F64/F32/F16/integers/bool, hand-computed bit patterns for a few values, and
torch's own cast for bfloat16 (struct has no bfloat16).

    /usr/bin/python3 tests/package/convert_checkpoint_test.py [-v]
"""

import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.join(HERE, "..", "..", "models", "convert_checkpoint.py")

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(CONVERTER))
import convert_checkpoint  # noqa: E402

# struct format and element size per safetensors dtype; BF16 has no struct code (handled separately).
STRUCT_CODES = {"F64": "d", "F32": "f", "F16": "e", "I64": "q", "I32": "i", "I16": "h", "I8": "b", "U8": "B",
                "BOOL": "?"}
ELEMENT_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
CODES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
         torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
         torch.bool: "BOOL"}
DTYPES = {code: dtype for dtype, code in CODES.items()}


def run_converter(*args, cli=False):
    """Runs the converter: as a separate `python3 convert_checkpoint.py` process when cli is true (exit status
    and output as a user sees them), else in this process (much faster: no torch import per call)."""
    if cli:
        return subprocess.run([sys.executable, CONVERTER, *args], capture_output=True, text=True)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = convert_checkpoint.run(list(args))
        except SystemExit as e:  # argparse
            code = e.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def parse(path):
    """Independent reader: (header length, header dict, data section bytes)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    return n, json.loads(raw[8:8 + n]), raw[8 + n:]


def expected_bytes(tensor, code):
    """Little-endian bytes of `tensor` in safetensors dtype `code`, computed without the converter."""
    if code == "BF16":
        bits = tensor.to(torch.bfloat16).contiguous().view(torch.int16).reshape(-1).tolist()
        return struct.pack(f"<{len(bits)}h", *bits)
    # torch casts (round to nearest even, as torch does); struct only encodes values that are then exact.
    values = tensor.to(DTYPES[code]).reshape(-1).tolist()
    return struct.pack(f"<{len(values)}{STRUCT_CODES[code]}", *values)


def sample_checkpoint():
    """A state dict with what real checkpoints contain and the corner cases a writer gets wrong."""
    g = torch.Generator().manual_seed(5)
    word = torch.randn(12, 8, generator=g)
    special = torch.tensor([1.0, -2.0, 0.0, -0.0, float("inf"), float("-inf"), 65504.0, 1e-8, 1.005859375])
    return {
        "embeddings.word_embeddings.weight": word,
        "lm_head.decoder.weight": word,                  # tied to the embeddings: same storage
        "encoder.layer.0.attention.self.query.weight": torch.randn(8, 8, generator=g),
        "encoder.layer.0.attention.self.query.bias": torch.randn(8, generator=g),
        "transposed": torch.randn(3, 5, generator=g).t(),  # non-contiguous view
        "slice": word[2:5, 1:4],                         # a view into the middle of another tensor's storage
        "embeddings.position_ids": torch.arange(16).unsqueeze(0),  # int64 buffer, must never be cast
        "special": special,
        "double": torch.tensor([1e300, -1.5], dtype=torch.float64),
        "half": torch.randn(4, generator=g).half(),
        "brain": torch.randn(3, generator=g).bfloat16(),
        "i32": torch.tensor([-7, 2**31 - 1], dtype=torch.int32),
        "i16": torch.tensor([-3], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "mask": torch.tensor([True, False, True]),
        "empty": torch.empty(0, 4),
        "scalar": torch.tensor(2.5),
    }


class ConvertCheckpointTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="radlite-convert-")
        self.dir = self.tmp.name
        self.state = sample_checkpoint()
        self.bin = os.path.join(self.dir, "pytorch_model.bin")
        torch.save(self.state, self.bin)

    def tearDown(self):
        self.tmp.cleanup()

    def convert(self, *extra, output="model.safetensors", cli=False):
        out = os.path.join(self.dir, output)
        result = run_converter(self.bin, out, *extra, cli=cli)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return out, result

    def check_layout(self, path, header_len, header, data):
        self.assertEqual((8 + header_len) % 8, 0, "header not padded to a multiple of 8")
        with open(path, "rb") as f:
            text = f.read()[8:8 + header_len].decode("ascii")
        self.assertTrue(text.rstrip(" ").endswith("}"), "header padding must be spaces")
        self.assertEqual(header.pop("__metadata__"), {"format": "pt"})
        spans = sorted((info["data_offsets"][0], info["data_offsets"][1], name) for name, info in header.items())
        cursor = 0
        for begin, end, name in spans:
            self.assertEqual(begin, cursor, f"{name}: gap or overlap")
            self.assertEqual(begin % ELEMENT_SIZE[header[name]["dtype"]], 0, f"{name}: misaligned")
            cursor = end
        self.assertEqual(cursor, len(data), "data section size differs from the last offset")

    def check_tensors(self, path, cast=None):
        header_len, header, data = parse(path)
        self.check_layout(path, header_len, dict(header), data)
        del header["__metadata__"]
        self.assertEqual(set(header), set(self.state))
        for name, source in self.state.items():
            info = header[name]
            code = CODES[cast] if cast is not None and source.is_floating_point() else CODES[source.dtype]
            self.assertEqual(info["dtype"], code, name)
            self.assertEqual(info["shape"], list(source.shape), name)
            begin, end = info["data_offsets"]
            self.assertEqual(data[begin:end], expected_bytes(source, code), name)
        return header, data

    def test_keep_dtype_is_bit_exact(self):
        out, result = self.convert(cli=True)
        header, data = self.check_tensors(out)
        self.assertIn("verified", result.stdout)
        self.assertIn("lm_head.decoder.weight", result.stdout)  # tied tensors are reported

        def raw(name):
            begin, end = header[name]["data_offsets"]
            return data[begin:end]

        # Hand-computed IEEE-754 little-endian encodings, independent of torch and struct.
        self.assertEqual(raw("special")[:8], bytes.fromhex("0000803f000000c0"))      # 1.0, -2.0
        self.assertEqual(raw("special")[12:16], bytes.fromhex("00000080"))          # -0.0 keeps its sign
        self.assertEqual(raw("special")[16:24], bytes.fromhex("0000807f000080ff"))  # +inf, -inf
        self.assertEqual(raw("u8"), bytes([0, 255]))
        self.assertEqual(raw("mask"), bytes([1, 0, 1]))
        self.assertEqual(raw("i8"), bytes([0x80, 0x7F]))
        self.assertEqual(raw("empty"), b"")
        # Tied names each carry the full data.
        self.assertEqual(raw("embeddings.word_embeddings.weight"), raw("lm_head.decoder.weight"))
        # A view writes only its own elements, in row-major order of the view.
        self.assertEqual(raw("slice"), expected_bytes(self.state["embeddings.word_embeddings.weight"][2:5, 1:4], "F32"))

    def test_bfloat16_matches_torch_cast(self):
        out, _ = self.convert("--dtype", "bfloat16", output="bf16.safetensors")
        header, data = self.check_tensors(out, cast=torch.bfloat16)
        begin, end = header["special"]["data_offsets"]
        bits = struct.unpack(f"<{(end - begin) // 2}H", data[begin:end])
        self.assertEqual(bits[0], 0x3F80)  # 1.0
        self.assertEqual(bits[1], 0xC000)  # -2.0
        # 1.005859375 = 1 + 0.75 * 2^-7: round-to-nearest-even gives 0x3F81; truncating the float32 gives 0x3F80.
        self.assertEqual(bits[8], 0x3F81)
        # Integer buffers are never cast.
        self.assertEqual(header["embeddings.position_ids"]["dtype"], "I64")

    def test_float16_cast_and_overflow_warning(self):
        out, result = self.convert("--dtype", "float16", output="f16.safetensors")
        self.check_tensors(out, cast=torch.float16)
        self.assertIn("became infinite", result.stderr)  # the float64 1e300 does not fit in float16

    def test_the_byte_comparison_can_fail(self):
        # Truncating instead of rounding (what a naive bfloat16 writer does) must be told apart from torch's cast.
        x = self.state["special"]
        truncated = struct.pack(f"<{x.numel()}H", *[(b >> 16) & 0xFFFF for b in
                                                     struct.unpack(f"<{x.numel()}I", expected_bytes(x, "F32"))])
        self.assertNotEqual(truncated, expected_bytes(x, "BF16"))

    def test_check_mode_detects_a_flipped_bit(self):
        out, _ = self.convert()
        result = run_converter("--check", out, self.bin)
        self.assertEqual(result.returncode, 0, result.stderr)
        _, header, _ = parse(out)
        begin, _ = header["encoder.layer.0.attention.self.query.bias"]["data_offsets"]
        with open(out, "r+b") as f:
            header_len = int.from_bytes(f.read(8), "little")
            f.seek(8 + header_len + begin + 1)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0x01]))
        result = run_converter("--check", out, self.bin, cli=True)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("MISMATCH", result.stderr)
        self.assertIn("encoder.layer.0.attention.self.query.bias", result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    def test_check_mode_detects_the_wrong_dtype(self):
        out, _ = self.convert("--dtype", "bfloat16", output="bf16.safetensors")
        result = run_converter("--check", out, self.bin, "--dtype", "float16")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("expected torch.float16", result.stderr)

    def test_malformed_files_give_clear_errors(self):
        out, _ = self.convert()
        with open(out, "rb") as f:
            good = f.read()
        header_len = int.from_bytes(good[:8], "little")
        cases = {
            "truncated.safetensors": (good[:-3], "bytes after the last tensor|do not hold"),
            "short.safetensors": (good[:5], "too short"),
            "huge_header.safetensors": ((2**40).to_bytes(8, "little") + good[8:], "does not fit"),
            "bad_json.safetensors": (good[:8] + b"{" * header_len + good[8 + header_len:], "not valid JSON"),
        }
        for name, (content, pattern) in cases.items():
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                f.write(content)
            result = run_converter("--check", path, self.bin)
            self.assertEqual(result.returncode, 2, f"{name}: {result.stderr}")
            self.assertRegex(result.stderr, pattern, name)
            self.assertIn(name, result.stderr)
            self.assertNotIn("Traceback", result.stderr)

    def test_bad_checkpoints_give_clear_errors(self):
        not_a_checkpoint = os.path.join(self.dir, "notes.bin")
        with open(not_a_checkpoint, "w") as f:
            f.write("not a checkpoint")
        not_tensors = os.path.join(self.dir, "mixed.bin")
        torch.save({"weight": torch.zeros(2), "step": 7}, not_tensors)
        cases = [
            ([not_a_checkpoint, os.path.join(self.dir, "a.safetensors")], "not a readable torch checkpoint"),
            ([not_tensors, os.path.join(self.dir, "b.safetensors")], "entry 'step' is a int"),
            ([os.path.join(self.dir, "missing.bin")], "no such file"),
            ([self.dir + "/empty_dir_does_not_exist/"], "no such file"),
        ]
        for i, (args, message) in enumerate(cases):
            result = run_converter(*args, cli=(i == 0))
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(message, result.stderr)
            self.assertNotIn("Traceback", result.stderr)

    def test_directory_input_and_no_silent_overwrite(self):
        result = run_converter(self.dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.dir, "model.safetensors")))
        result = run_converter(self.dir)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--force", result.stderr)
        self.assertEqual(run_converter(self.dir, "--force").returncode, 0)


if __name__ == "__main__":
    unittest.main()
