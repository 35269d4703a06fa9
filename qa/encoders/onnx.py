"""The ONNX Runtime backend: the bundled model exported once to ONNX (with torch.onnx, no optimum), then run
by ONNX Runtime on the CPU in float32: the same vectors as torch float32, about the same passages per second,
and a question embedded 3-5x faster (docs/benchmarks.md, "Encoder backends").

The export lives in the user cache (Settings.cache), named by the model's fingerprint and checked against
its recorded SHA-256 on every load; a missing, damaged or foreign file is exported again.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from qa.encoders.base import TokenEncoder, read_config
from qa.files import is_recorded, record
from qa.fingerprint import model_fingerprint
from qa.hardware import cpu_threads

OPSET = 17


def export(path: str, target: Path) -> None:
    """Write the model's forward pass (ids, mask -> last hidden states) as ONNX to `target`, atomically."""
    import torch

    from qa.encoders.pytorch import Bert

    bert = Bert(path, torch.float32)

    class Forward(torch.nn.Module):
        def forward(self, ids: Any, mask: Any) -> Any:
            return bert(ids, mask.bool())

    ids = torch.ones((2, 16), dtype=torch.int64)
    mask = torch.ones((2, 16), dtype=torch.int64)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on unpacking q, k, v: their count is fixed
            torch.onnx.export(
                Forward(),
                (ids, mask),
                scratch,
                input_names=["ids", "mask"],
                output_names=["hidden"],
                dynamic_axes={
                    "ids": {0: "batch", 1: "tokens"},
                    "mask": {0: "batch", 1: "tokens"},
                    "hidden": {0: "batch", 1: "tokens"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def export_target(path: str, cache: Path) -> Path:
    return cache / "onnx" / f"{model_fingerprint(path)[:16]}-opset{OPSET}.onnx"


def unexportable(path: str, cache: Path) -> str:
    """Why the model's export is neither in `cache` nor can be made there, told without trying (a try imports
    torch, seconds that every `qa ask` would pay again); "" when it is or can be."""
    import importlib.util

    target = export_target(path, cache)
    if target.with_suffix(".json").exists():
        return ""
    if importlib.util.find_spec("onnx") is None:
        return "the onnx package is not installed: pip install onnx (make install does)"
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return "" if os.access(folder, os.W_OK) else f"{folder} cannot be written"


def cached_export(path: str, cache: Path) -> Path:
    """The ONNX file of the model at `path` in `cache`, exported first when missing or damaged."""
    fingerprint = model_fingerprint(path)
    target = export_target(path, cache)
    if is_recorded(target, {"model_sha256": fingerprint}):
        return target
    export(path, target)
    record(target, {"model_sha256": fingerprint, "opset": OPSET})
    return target


class OnnxEncoder(TokenEncoder):
    backend = "onnx"
    device = "cpu"

    def __init__(self, path: str, cache: Path | None) -> None:
        import onnxruntime as ort

        from qa.config import user_cache

        config = read_config(path, "config.json")
        model = cached_export(path, cache or user_cache())
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = cpu_threads()
        options.inter_op_num_threads = 1
        # ONNX Runtime spins on its own thread pool whatever OMP_WAIT_POLICY says; on shared cores a spinning
        # pool keeps the next call waiting (question 5.6 -> 5.1 ms, 13.9 -> 10.7 ms with AVX2 kernels).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        super().__init__(path, "float32", int(config["max_position_embeddings"]), int(config["hidden_size"]))

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(["hidden"], {"ids": ids, "mask": mask.astype(np.int64)})[0]


def main(argv: list[str] | None = None) -> int:
    """`python -m qa.encoders.onnx [MODEL_FOLDER]`: export the model (the bundled one by default) into the user
    cache now, as `make install` does, so that the first question served never imports torch to make it."""
    import sys

    from qa.config import Settings
    from qa.embedding import model_path

    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env(model_path=args[0] if args else None)
    try:
        target = cached_export(model_path(settings), settings.cache)
    except (OSError, ImportError, RuntimeError) as exc:
        print(f"qa: the question encoder was not exported ({exc}); the first question served will try again")
        return 1
    print(f"the question encoder's export: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
