"""Tests of models/download.sh without internet: a local HTTP server plays the Hugging Face hub
(HF_ENDPOINT), serving the bundled tiny models under the RadLITE repository names.

    /usr/bin/python3 tests/package/download_test.py [-v]
"""

import filecmp
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SCRIPT = os.path.join(ROOT, "models", "download.sh")
CONVERTER = os.path.join(ROOT, "models", "convert_checkpoint.py")
TINY = os.path.join(ROOT, "models", "tiny")

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "models"))
import convert_checkpoint  # noqa: E402  (the converter's safetensors reader builds the .bin-only repository)


class RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files from the fake hub directory and remembers the Authorization headers it saw."""

    def __init__(self, *args, seen, **kwargs):
        self.seen = seen
        super().__init__(*args, **kwargs)

    def do_GET(self):
        self.seen.append((self.path, self.headers.get("Authorization")))
        super().do_GET()

    def log_message(self, *args):
        pass


def files_under(directory):
    return sorted(os.path.relpath(os.path.join(d, f), directory) for d, _, fs in os.walk(directory) for f in fs)


class DownloadScriptTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="radlite-download-")
        self.hub = os.path.join(self.tmp.name, "hub")
        self.dest = os.path.join(self.tmp.name, "models")
        self.seen = []
        handler = functools.partial(RecordingHandler, directory=self.hub, seen=self.seen)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.tmp.cleanup()

    def publish(self, name, source, bin_only=False):
        """Puts a model directory into the fake hub as matulichpt/<name> at revision main."""
        repo = os.path.join(self.hub, "matulichpt", name, "resolve", "main")
        shutil.copytree(source, repo)
        if bin_only:  # an older repository: weights only as a torch.save'd state dict
            _, tensors = convert_checkpoint.read_safetensors(os.path.join(repo, "model.safetensors"))
            torch.save(tensors, os.path.join(repo, "pytorch_model.bin"))
            os.remove(os.path.join(repo, "model.safetensors"))
        os.makedirs(os.path.join(self.hub, "api", "models", "matulichpt"), exist_ok=True)
        with open(os.path.join(self.hub, "api", "models", "matulichpt", name), "w") as f:
            f.write("{}")
        return repo

    def run_script(self, *args, token=None):
        env = dict(os.environ, HF_ENDPOINT=self.endpoint)
        env.pop("HF_TOKEN", None)
        if token:
            env["HF_TOKEN"] = token
        return subprocess.run(["bash", SCRIPT, "--curl", "--dest", self.dest, *args],
                              capture_output=True, text=True, env=env, timeout=300)

    def test_biencoder_directory_is_copied_exactly(self):
        source = os.path.join(TINY, "roberta-biencoder-tiny")
        self.publish("radlit-biencoder", source)
        result = self.run_script("biencoder", token="secret-token")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        target = os.path.join(self.dest, "radlit-biencoder")
        self.assertEqual(files_under(target), files_under(source))
        for f in files_under(source):
            self.assertTrue(filecmp.cmp(os.path.join(source, f), os.path.join(target, f), shallow=False), f)
        self.assertFalse(os.path.exists(os.path.join(self.dest, "radlit-crossencoder")))
        self.assertEqual([p for p in os.listdir(self.dest) if p.startswith(".")], [], "temporary directory left")
        self.assertTrue(self.seen)
        self.assertTrue(all(auth == "Bearer secret-token" for _, auth in self.seen), self.seen)

        # A second run leaves the existing directory alone unless --force.
        result = self.run_script("biencoder")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("exists, skipped", result.stderr)

    def test_bin_only_repository_is_converted(self):
        self.publish("radlit-crossencoder", os.path.join(TINY, "bert-crossencoder-tiny"), bin_only=True)
        result = self.run_script("crossencoder")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        target = os.path.join(self.dest, "radlit-crossencoder")
        self.assertTrue(os.path.isfile(os.path.join(target, "model.safetensors")))
        self.assertFalse(os.path.exists(os.path.join(target, "pytorch_model.bin")))
        # Every tensor equals the original tiny model's, bit for bit.
        _, original = convert_checkpoint.read_safetensors(os.path.join(TINY, "bert-crossencoder-tiny", "model.safetensors"))
        _, converted = convert_checkpoint.read_safetensors(os.path.join(target, "model.safetensors"))
        self.assertEqual(sorted(original), sorted(converted))
        for name in original:
            self.assertTrue(torch.equal(original[name], converted[name]), name)

    def test_repository_without_config_fails_and_leaves_nothing(self):
        repo = self.publish("radlit-biencoder", os.path.join(TINY, "roberta-biencoder-tiny"))
        os.remove(os.path.join(repo, "config.json"))
        result = self.run_script("biencoder")
        self.assertEqual(result.returncode, 1)
        self.assertIn("has no config.json", result.stderr)
        self.assertEqual(os.listdir(self.dest), [], "a partial or temporary directory was left behind")

    def test_unreachable_hub_fails_clearly(self):
        self.endpoint = "http://127.0.0.1:9"  # nothing listens on the discard port
        result = self.run_script("all")
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot reach http://127.0.0.1:9", result.stderr)
        self.assertIn("needs internet access", result.stderr)
        self.assertFalse(os.path.exists(self.dest))


if __name__ == "__main__":
    unittest.main()
