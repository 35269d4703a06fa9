"""The encoder: which backend, precision and device `auto` picks for the hardware, and that each keeps the vectors.

The choice is a function of the hardware, so its tests run the same on every machine. Tests that compare
vectors force their precision (`precision` marker; $QA_PRECISION, float32 by default) and skip bfloat16
only where the CPU cannot compute it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import skip_without_bf16, write

from qa import EncoderError, Settings, build_index, embedding, open_index, storage
from qa.embedding import (
    Choice,
    choose,
    cpu_supports_bf16,
    get_embedder,
    get_question_embedder,
    model_path,
    question_choice,
    resolve,
    resolve_precision,
)
from qa.hardware import Hardware, cpu_flags, detect

AVX2 = Hardware(cpu_flags=frozenset({"avx", "avx2", "fma"}))
AVX2_ONNX = Hardware(cpu_flags=AVX2.cpu_flags, onnxruntime=True)
BF16 = Hardware(cpu_flags=frozenset({"avx2", "avx512f", "avx512_bf16"}), onnxruntime=True)
AMX = Hardware(cpu_flags=frozenset({"avx2", "amx_tile", "amx_bf16"}))
GPU = Hardware(cpu_flags=AVX2.cpu_flags, cuda=True, onnxruntime=True)
NO_BF16_CPUINFO = "processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma f16c\n"
OTTERS = "\n\n".join(
    f"Sea otter note {i}: otters in bay {i} hold hands while they sleep, and crack shellfish number {i} "
    f"on a rock they keep under their arm. Paragraph {i} ends here."
    for i in range(40)
)
TEXTS = [
    OTTERS[:900],
    "How do sea otters sleep?",
    "x",
    "香港人工智能发展迅速。" * 30,
    "def function_1(alpha, beta):\n    return {'key_1': [alpha ** 1, beta // 2]}  # note\n" * 8,
    "emoji 😀🚀 naïve café ÉCOLE\tzero\u200bwidth\u00a0nbsp " * 20,
    "word " * 400,
]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


# --- the choice: hardware in, backend/precision/device out ----------------------------------------------------


def test_auto_on_an_avx2_cpu_without_onnxruntime_is_torch_float32():
    assert choose(hardware=AVX2) == Choice("torch", "float32", "cpu")


def test_auto_on_an_avx2_cpu_with_onnxruntime_is_onnx_float32():
    assert choose(hardware=AVX2_ONNX) == Choice("onnx", "float32", "cpu")


@pytest.mark.parametrize("hardware", [BF16, AMX], ids=["avx512_bf16", "amx_bf16"])
def test_auto_on_a_cpu_with_bf16_is_torch_bfloat16(hardware):
    assert choose(hardware=hardware) == Choice("torch", "bfloat16", "cpu")


def test_auto_with_a_gpu_embeds_on_it_in_float16_and_device_cpu_forces_the_cpu():
    assert choose(hardware=GPU) == Choice("torch", "float16", "cuda")
    assert choose(precision="bfloat16", hardware=GPU) == Choice("torch", "bfloat16", "cuda")
    assert choose(device="cpu", hardware=GPU) == Choice("onnx", "float32", "cpu")
    assert choose(backend="torch", device="cpu", hardware=GPU) == Choice("torch", "float32", "cpu")


def test_forced_choices_ignore_the_cpu():
    assert choose(precision="float32", hardware=BF16) == Choice("onnx", "float32", "cpu")
    assert choose(backend="torch", precision="float32", hardware=BF16) == Choice("torch", "float32", "cpu")
    assert choose(backend="torch", precision="bfloat16", hardware=AVX2) == Choice("torch", "bfloat16", "cpu")
    assert choose(backend="onnx", hardware=BF16) == Choice("onnx", "float32", "cpu")


@pytest.mark.parametrize(
    "asked, hardware, message",
    [
        (dict(device="cuda"), AVX2, "no CUDA GPU"),
        (dict(backend="onnx"), AVX2, "needs onnxruntime"),
        (dict(backend="onnx", precision="bfloat16"), BF16, "computes in float32"),
        (dict(backend="onnx", device="cuda"), GPU, "runs on the CPU"),
        (dict(precision="float16"), AVX2, "float16 is for GPUs"),
    ],
)
def test_a_choice_the_machine_cannot_run_is_refused_with_what_to_use(asked, hardware, message):
    with pytest.raises(EncoderError, match=message):
        choose(hardware=hardware, **asked)


@pytest.mark.parametrize(
    "asked, hardware, build, question",
    [
        (dict(), BF16, Choice("torch", "bfloat16", "cpu"), Choice("onnx", "float32", "cpu")),
        (dict(), AMX, Choice("torch", "bfloat16", "cpu"), Choice("torch", "bfloat16", "cpu")),  # no onnxruntime
        (dict(), AVX2_ONNX, Choice("onnx", "float32", "cpu"), Choice("onnx", "float32", "cpu")),
        (dict(), GPU, Choice("torch", "float16", "cuda"), Choice("torch", "float16", "cuda")),
        (dict(backend="torch"), BF16, Choice("torch", "bfloat16", "cpu"), Choice("torch", "bfloat16", "cpu")),
        (dict(precision="bfloat16"), BF16, Choice("torch", "bfloat16", "cpu"), Choice("torch", "bfloat16", "cpu")),
    ],
    ids=["bf16", "bf16-without-onnxruntime", "avx2", "gpu", "forced-backend", "forced-precision"],
)
def test_questions_are_embedded_by_onnx_on_a_cpu_unless_a_setting_or_the_machine_says_otherwise(
    asked, hardware, build, question
):
    settings = Settings(**asked)
    assert resolve(settings, hardware) == build
    assert question_choice(settings, hardware) == question


def test_questions_fall_back_to_the_build_encoder_when_the_onnx_one_cannot_load(monkeypatch, tmp_path, caplog):
    import qa.encoders.onnx as onnx

    def unwritable(path, cache):
        raise PermissionError(f"[Errno 13] Permission denied: '{cache}'")

    monkeypatch.setattr(embedding, "detect", lambda: BF16)
    monkeypatch.setattr(onnx, "cached_export", unwritable)
    encoder = get_question_embedder(Settings(cache=tmp_path))
    assert (encoder.backend, encoder.precision) == ("torch", "bfloat16")
    assert "could not load" in caplog.text and "Permission denied" in caplog.text


def test_without_the_onnx_package_questions_use_the_build_encoder_without_trying_an_export(
    monkeypatch, tmp_path, caplog
):
    import importlib.util

    import qa.encoders.onnx as onnx

    find_spec = importlib.util.find_spec
    tried: list[Path] = []
    monkeypatch.setattr(embedding, "detect", lambda: BF16)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnx" else find_spec(name, *a))
    monkeypatch.setattr(onnx, "cached_export", lambda path, cache: tried.append(cache))
    for _ in range(2):
        encoder = get_question_embedder(Settings(cache=tmp_path))
        assert (encoder.backend, encoder.precision) == ("torch", "bfloat16")
    assert tried == []
    assert caplog.text.count("the onnx package is not installed") == 1, "a process says it once"


def test_unknown_names_are_refused():
    for asked in (dict(backend="tensorflow"), dict(precision="int4"), dict(device="tpu")):
        with pytest.raises(ValueError, match="must be one of"):
            choose(**asked)


def test_a_model_only_sentence_transformers_runs_stays_on_it():
    assert choose(hardware=GPU, bert=False) == Choice("sentence-transformers", "float32", "cpu")
    assert choose(hardware=BF16, bert=False) == Choice("sentence-transformers", "bfloat16", "cpu")
    with pytest.raises(EncoderError, match="only through sentence-transformers"):
        choose(backend="onnx", hardware=BF16, bert=False)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(NO_BF16_CPUINFO + "processor\t: 1\nflags\t\t: avx512_bf16\n")
    assert {"avx2", "avx512_bf16"} <= cpu_flags(cpuinfo)
    assert cpu_supports_bf16(cpuinfo)
    cpuinfo.write_text(NO_BF16_CPUINFO)
    assert not cpu_supports_bf16(cpuinfo) and resolve_precision("auto", cpuinfo) == "float32"
    assert not cpu_flags(tmp_path / "missing")


def test_the_build_records_what_embedded_it(settings_for, monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(NO_BF16_CPUINFO)
    monkeypatch.setattr("qa.hardware.CPUINFO", cpuinfo)
    settings = settings_for(backend="torch")
    write(settings.corpus, "otters.txt", OTTERS)
    build_index(settings)
    manifest = storage.read_manifest(storage.current_folder(settings.index))
    assert (manifest.backend, manifest.precision, manifest.device) == ("torch", "float32", "cpu")
    assert open_index(settings).info().precision == "float32"


def test_a_forced_precision_is_recorded_and_changing_it_rebuilds(settings_for):
    settings = settings_for(backend="torch", precision="bfloat16")
    write(settings.corpus, "otters.txt", OTTERS)
    first = build_index(settings)
    assert storage.read_manifest(storage.current_folder(settings.index)).precision == "bfloat16"
    again = build_index(settings.with_(precision="float32"))
    assert storage.read_manifest(storage.current_folder(settings.index)).precision == "float32"
    assert again.chunks_embedded == first.chunks_embedded > 0


def test_resolve_reads_the_settings_and_the_machine():
    assert resolve(Settings(backend="torch", precision="float32"), AVX2) == Choice("torch", "float32", "cpu")
    assert resolve(Settings(), detect()) == resolve(Settings())


# --- the vectors: each backend at a forced precision, against float32 sentence-transformers -------------------


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path(Settings()), device="cpu").encode(TEXTS, normalize_embeddings=True)


TOLERANCE = {"float32": 0.9999, "bfloat16": 0.999}


@pytest.mark.precision
def test_torch_vectors_match_sentence_transformers_at_the_forced_precision(forced_embedder, precision, reference):
    ours = forced_embedder.encode(TEXTS, batch_size=4)
    assert (forced_embedder.backend, forced_embedder.precision) == ("torch", precision)
    assert cosines(ours, reference).min() >= TOLERANCE[precision]
    assert np.allclose(forced_embedder.encode_query(TEXTS[1]), ours[1], atol=1e-5 if precision == "float32" else 2e-2)


@pytest.mark.precision
def test_bfloat16_vectors_stay_close_to_float32(reference):
    skip_without_bf16()
    half = get_embedder(Settings(backend="torch", device="cpu", precision="bfloat16")).encode(TEXTS)
    assert half.dtype == np.float32
    assert cosines(half, reference).min() >= 0.999


@pytest.mark.precision
def test_bfloat16_sentence_vectors_stay_close_to_float32():
    skip_without_bf16()
    text = "Otters hold hands while they sleep. Bees dance to show where the flowers are."
    spans = [(0, 35), (36, len(text))]
    single = get_embedder(Settings(backend="torch", device="cpu", precision="float32")).encode_passages([text], [spans])
    half = get_embedder(Settings(backend="torch", device="cpu", precision="bfloat16")).encode_passages([text], [spans])
    assert cosines(single[0], half[0]).min() >= 0.999
    assert cosines(single[1].astype(np.float32), half[1].astype(np.float32)).min() >= 0.995


@pytest.mark.precision
def test_onnx_vectors_match_sentence_transformers_and_the_export_is_cached_and_checked(tmp_path, reference):
    pytest.importorskip("onnxruntime", reason="the onnx backend is an extra: pip install -e '.[onnx]'")
    from qa.embedding import load_encoder

    encoder = load_encoder(model_path(Settings()), Choice("onnx", "float32", "cpu"), tmp_path)
    assert (encoder.backend, encoder.precision) == ("onnx", "float32")
    ours = encoder.encode(TEXTS, batch_size=4)
    assert cosines(ours, reference).min() >= 0.9999
    text = "Otters hold hands while they sleep. Bees dance to show where the flowers are."
    torch_cpu = get_embedder(Settings(backend="torch", device="cpu", precision="float32"))
    mine, theirs = (
        encoder.encode_passages([text], [[(0, 35), (36, len(text))]]),
        torch_cpu.encode_passages([text], [[(0, 35), (36, len(text))]]),
    )
    assert cosines(mine[1].astype(np.float32), theirs[1].astype(np.float32)).min() >= 0.999
    exported = sorted((tmp_path / "onnx").glob("*.onnx"))
    assert len(exported) == 1
    stamp = exported[0].stat().st_mtime_ns
    load_encoder(model_path(Settings()), Choice("onnx", "float32", "cpu"), tmp_path)
    assert exported[0].stat().st_mtime_ns == stamp, "a checked export is reused"
    exported[0].write_bytes(b"damaged")
    again = load_encoder(model_path(Settings()), Choice("onnx", "float32", "cpu"), tmp_path)
    assert cosines(again.encode(TEXTS[:2]), reference[:2]).min() >= 0.9999, "a damaged export is made again"


def test_a_question_pass_runs_on_one_torch_thread_and_gives_the_threads_back(monkeypatch):
    import torch

    from qa.encoders.pytorch import TorchEncoder

    encoder = TorchEncoder(model_path(Settings()), "float32")
    seen: list[int] = []
    states = TorchEncoder._states

    def spy(self, ids, mask):
        seen.append(torch.get_num_threads())
        return states(self, ids, mask)

    monkeypatch.setattr(TorchEncoder, "_states", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        question = encoder.encode_query("Where do otters sleep?")
        encoder.encode(["Otters hold hands while they sleep."] * 4)
        assert seen == [1, 2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    torch.set_num_threads(1)
    try:
        again = encoder.encode_query("Where do otters sleep?")
    finally:
        torch.set_num_threads(before)
    assert np.allclose(question, again, atol=1e-6)
