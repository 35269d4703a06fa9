"""What the speed work must not change: precision choice, approximate indexes, lazy imports, chunk limits.

Behaviour only; timings live in benchmarks/speed.py and benchmarks/scale.py.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import write

from qa import IndexFormatError, IndexWriteError, Settings, build_index, open_index, store
from qa.chunking import chunk_document, make_splitter, split_sentences, token_counter
from qa.embedding import load_tokenizer, model_path
from qa.encoders.base import TokenEncoder
from qa.sparse import Sparse
from qa.types import Document

ROOT = Path(__file__).resolve().parent.parent
OTTERS = "\n\n".join(
    f"Sea otter note {i}: otters in bay {i} hold hands while they sleep, and crack shellfish number {i} "
    f"on a rock they keep under their arm. Paragraph {i} ends here."
    for i in range(40)
)
TRICKY = {
    "urls.txt": " ".join(f"https://example.com/{'segment/' * 40}{i}?q={'x' * 200}" for i in range(30)),
    "cjk.txt": "香港人工智能发展迅速。" * 400 + "東京の人工知能研究所は新しいモデルを発表した。" * 200,
    "code.md": "```python\n"
    + "\n".join(
        f"def function_{i}(alpha, beta):\n    return {{'key_{i}': [alpha ** {i}, beta // {i + 1}]}}  # note"
        for i in range(300)
    )
    + "\n```\n",
    "long-words.txt": "a" * 5000 + " " + "pneumonoultramicroscopicsilicovolcanoconiosis " * 200 + "é" * 3000,
    "mixed.txt": "\x0cPage one\x0c" + ("emoji 😀🚀 naïve café ÉCOLE\tzero\u200bwidth\u00a0nbsp " * 300),
}


def manifest(settings: Settings) -> store.Manifest:
    return store.read_manifest(store.current_folder(settings.index))


# --- approximate indexes: the factory string is recorded, and the index opens and answers -------------------


def test_index_built_with_an_ivf_factory_records_it_opens_and_answers(settings_for):
    settings = settings_for(index_factory="IVF4,Flat")
    write(settings.corpus, "otters.txt", OTTERS)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n")
    build_index(settings)
    m = manifest(settings)
    assert (m.factory, m.search_params) == ("IVF4,Flat", "nprobe=4")
    index = open_index(settings)
    assert index.info().factory == "IVF4,Flat"
    assert index.search("bees dance for the hive", k=1)[0].chunk.source == "bees.txt"
    write(settings.corpus, "bees.txt", "Honey bees fan their wings to cool the hive on hot days.\n")
    build_index(settings)
    index = open_index(settings)
    assert index.snapshot.vectors.ntotal == index.snapshot.manifest.chunks
    assert "fan their wings" in index.search("bees cool the hive", k=1)[0].chunk.text


def test_auto_switches_to_an_approximate_index_above_the_threshold(settings_for):
    settings = settings_for(approximate_above=4)
    write(settings.corpus, "otters.txt", OTTERS)
    build_index(settings)
    m = manifest(settings)
    assert m.chunks > 4 and m.factory.startswith("IVF") and m.search_params.startswith("nprobe=")
    assert "bay 7" in open_index(settings).search("otters in bay 7", k=3)[0].chunk.text


def test_auto_keeps_a_flat_index_up_to_the_threshold(settings_for):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    build_index(settings)
    assert (manifest(settings).factory, manifest(settings).search_params) == ("Flat", "")


def test_ivf_lists_never_outnumber_the_vectors_they_train_on():
    from qa.vectors import choose_factory

    for count in (1, 12, 100, 1_000, 250_000, 1_000_000):
        factory, params = choose_factory("auto", count, threshold=0)
        nlist = int(factory[3:].split(",")[0])
        assert nlist * 39 <= max(count, 39)
        assert 1 <= int(params.split("=")[1]) <= nlist


# --- incremental work: nothing heavy when nothing changed, no vector computed twice ---------------------------


def test_an_unchanged_reindex_imports_no_torch_faiss_or_transformers(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    build_index(settings)
    code = (
        "import sys; from qa.cli import main; code = main(sys.argv[1:]); "
        "print('HEAVY', sorted(m for m in ('torch', 'faiss', 'transformers', 'sentence_transformers') "
        "if m in sys.modules)); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "index", "--corpus", str(settings.corpus), "--index", str(settings.index)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert "HEAVY []" in result.stdout


def test_an_edited_file_reembeds_only_its_changed_passages(settings_for):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    first = build_index(settings)
    before = open_index(settings)
    old = {
        c.text: before.snapshot.vectors.reconstruct(i)
        for i, c in before.snapshot.chunks([int(i) for i in before.snapshot.sparse.ids]).items()
    }
    write(settings.corpus, "otters.txt", OTTERS + "\n\nA new closing paragraph about otters and kelp forests.\n")
    report = build_index(settings)
    assert report.changed == ("otters.txt",)
    assert 0 < report.chunks_embedded < first.chunks_embedded
    index = open_index(settings)
    chunks = index.snapshot.chunks([int(i) for i in index.snapshot.sparse.ids])
    kept = [(i, c) for i, c in chunks.items() if c.text in old]
    assert len(kept) >= first.chunks_embedded - 2
    for i, c in kept:
        assert np.array_equal(index.snapshot.vectors.reconstruct(i), old[c.text])
    assert "kelp forests" in index.search("otters kelp forests", k=1)[0].chunk.text


def test_a_renamed_file_and_a_duplicate_are_not_embedded_again(settings_for):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    first = build_index(settings)
    (settings.corpus / "otters.txt").rename(settings.corpus / "sea-otters.txt")
    write(settings.corpus, "copy-of-otters.txt", OTTERS)
    report = build_index(settings)
    assert report.chunks_embedded == 0
    index = open_index(settings)
    assert index.snapshot.manifest.chunks == 2 * first.chunks_total
    assert {h.chunk.source for h in index.search("otters in bay 3", k=2)} == {"sea-otters.txt", "copy-of-otters.txt"}


def test_a_failing_catalog_write_stops_the_build_and_keeps_the_old_index(settings_for, monkeypatch):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    build_index(settings)
    version = store.current_folder(settings.index)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.VersionWriter, "add_document", full_disk)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n" * 50)
    with pytest.raises(IndexWriteError, match="disk is full"):
        build_index(settings)
    assert store.current_folder(settings.index) == version
    assert not list(settings.index.glob(".v*.tmp"))
    assert open_index(settings).search("otters hold hands", k=1)


def test_a_failing_embedding_leaves_no_half_written_version(settings_for, monkeypatch):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    build_index(settings)
    version = store.current_folder(settings.index)

    def broken(self, texts, *args, **kwargs):
        raise RuntimeError("the model failed")

    monkeypatch.setattr(TokenEncoder, "encode", broken)
    monkeypatch.setattr(TokenEncoder, "encode_passages", broken)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n")
    with pytest.raises(RuntimeError, match="the model failed"):
        build_index(settings)
    assert store.current_folder(settings.index) == version
    assert sorted(p.name for p in settings.index.iterdir() if p.name.startswith(("v", ".v"))) == [version.name]


# --- chunks stay under the model's limit, with exact offsets, on tricky text --------------------------------


def test_chunks_never_exceed_the_model_limit_on_tricky_text(embedder):
    settings = Settings()
    splitter = make_splitter(load_tokenizer(model_path(settings)), settings)
    for name, text in TRICKY.items():
        chunks = chunk_document(Document(name, text), splitter)
        assert len(chunks) > 1, name
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert len(embedder.tokenizer(chunk.text)["input_ids"]) <= embedder.max_tokens, name


def test_fast_token_count_equals_the_tokenizer(embedder):
    count = token_counter(load_tokenizer(model_path(Settings())))
    pieces = [p for text in TRICKY.values() for p in (text[:50], text[:700], text[1000:1400])]
    pieces += ["", "   ", "a\x0bb", "x\x1cy", "line\x85next", "tab\there", "UPPER lower MiXeD", "don't stop-me now!"]
    for piece in pieces:
        assert count(piece) == len(embedder.tokenizer(piece, add_special_tokens=False)["input_ids"]), repr(piece[:40])


def test_the_bundled_tokenizer_truncation_does_not_cap_chunk_lengths():
    count = token_counter(load_tokenizer(model_path(Settings())))
    assert count("word " * 300) == 300


# --- sentence vectors: computed with the chunks, stored, read at query time -----------------------------------


def all_chunks(index) -> dict:
    return index.snapshot.chunks([int(i) for i in index.snapshot.sparse.ids])


def test_every_chunk_has_one_stored_vector_per_sentence_close_to_its_own_forward_pass(
    settings_for, hk_corpus, embedder
):
    settings = settings_for(hk_corpus)
    build_index(settings)
    index = open_index(settings)
    chunks = all_chunks(index)
    stored = index.snapshot.sentences
    assert (
        len(stored) == index.snapshot.manifest.sentences == sum(len(split_sentences(c.text)) for c in chunks.values())
    )
    for chunk_id, chunk in chunks.items():
        spans = split_sentences(chunk.text)
        _, fresh = embedder.encode_passages([chunk.text], [spans])
        rows = stored.of(chunk_id)
        assert rows.shape == fresh.shape
        cosine = np.sum(rows * fresh, axis=1) / np.linalg.norm(rows, axis=1)
        assert cosine.min() > 0.995  # int8 storage keeps the direction


def test_sentence_vectors_pool_the_passage_forward_pass(embedder):
    text = "Otters hold hands while they sleep. Bees dance to show where the flowers are."
    spans = split_sentences(text)
    chunk_vectors, sentences = embedder.encode_passages([text, "One more."], [spans, [(0, 4)]])
    assert np.allclose(chunk_vectors, embedder.encode([text, "One more."]), atol=1e-5)
    assert sentences.shape == (3, embedder.dimension)
    assert np.allclose(np.linalg.norm(sentences, axis=1), 1.0, atol=1e-5)
    otters, bees = embedder.encode(["sea otters sleeping", "honey bee dance"])
    assert sentences[0] @ otters > sentences[1] @ otters
    assert sentences[1] @ bees > sentences[0] @ bees


def test_answering_embeds_only_the_question(hk_index, monkeypatch):
    index = open_index(hk_index)
    calls: list[int] = []
    original = TokenEncoder.encode

    def counted(self, texts, *args, **kwargs):
        calls.append(len(texts))
        return original(self, texts, *args, **kwargs)

    monkeypatch.setattr(TokenEncoder, "encode", counted)
    answer = index.ask("Which cities are in the Greater Bay Area?")
    assert answer.answered and "Shenzhen" in answer.answer
    assert calls == [1]


def test_an_edit_keeps_the_sentence_vectors_of_unchanged_chunks(settings_for):
    settings = settings_for()
    write(settings.corpus, "otters.txt", OTTERS)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are. They fan the hive.\n")
    build_index(settings)
    before = open_index(settings)
    old = {c.text: before.snapshot.sentences.of(i) for i, c in all_chunks(before).items()}
    write(settings.corpus, "otters.txt", OTTERS + "\n\nA new closing paragraph about otters and kelp forests.\n")
    (settings.corpus / "bees.txt").unlink()
    build_index(settings)
    index = open_index(settings)
    chunks = all_chunks(index)
    assert not any("Honey bees" in c.text for c in chunks.values())
    assert len(index.snapshot.sentences) == sum(len(split_sentences(c.text)) for c in chunks.values())
    kept = [(i, c) for i, c in chunks.items() if c.text in old]
    assert kept and len(kept) < len(chunks)
    for chunk_id, chunk in kept:
        assert np.allclose(index.snapshot.sentences.of(chunk_id), old[chunk.text], atol=0.02)
    best = index.ask("What do otters do in kelp forests?").citations[0]
    assert "kelp forests" in best.text


def test_an_index_of_an_older_format_is_rebuilt_by_qa_index(settings_for, hk_corpus):
    settings = settings_for(hk_corpus)
    build_index(settings)
    folder = store.current_folder(settings.index)
    raw = json.loads((folder / store.MANIFEST).read_text())
    raw["format"] = store.FORMAT_VERSION - 1
    data = json.dumps(raw, indent=2).encode()
    (folder / store.MANIFEST).write_bytes(data)
    (settings.index / store.CURRENT).write_text(f"{folder.name} {hashlib.sha256(data).hexdigest()}\n")
    with pytest.raises(IndexFormatError, match="qa index --rebuild"):
        open_index(settings)
    report = build_index(settings)
    assert report.chunks_embedded == report.chunks_total > 0
    assert store.read_manifest(store.current_folder(settings.index)).format == store.FORMAT_VERSION
    assert open_index(settings).ask("Which cities are in the Greater Bay Area?").answered


# --- BM25 at query time: numpy over bm25s's saved scores, no bm25s or SciPy import ------------------------------


def test_bm25_scores_equal_bm25s_and_survive_a_save(tmp_path):
    import bm25s

    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(40)]
    documents = [list(rng.choice(words, size=int(rng.integers(0, 25)))) for _ in range(150)]
    sparse = Sparse.build(list(range(1000, 1150)), documents)
    sparse.save(tmp_path / "sparse", lambda path, data: path.write_bytes(data))
    loaded = Sparse.load(tmp_path / "sparse")
    reference = bm25s.BM25()
    reference.index(documents, show_progress=False)
    for query in (["w1"], ["w2", "w3", "w3"], ["w5", "unknown"]):
        expected = reference.get_scores([t for t in query if t in reference.vocab_dict])
        assert np.allclose(loaded.scores(query), expected)
        top = loaded.top(query, 5)
        assert [round(s, 5) for _, s in top] == [round(float(s), 5) for s in np.sort(expected)[::-1][:5] if s > 0]
        assert all(abs(expected[chunk_id - 1000] - s) < 1e-6 for chunk_id, s in top)
    assert loaded.top(["unknown"], 5) == []


def test_asking_imports_neither_bm25s_nor_scipy(hk_index):
    code = (
        "import sys; from qa.cli import main; code = main(sys.argv[1:]); "
        "print('LOADED', sorted(m for m in ('bm25s', 'scipy', 'sentence_transformers', 'transformers') "
        "if m in sys.modules)); sys.exit(code)"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "ask",
            "--corpus",
            str(hk_index.corpus),
            "--index",
            str(hk_index.index),
            "Which cities are in the Greater Bay Area?",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "Shenzhen" in result.stdout
    assert "LOADED []" in result.stdout


def test_help_imports_no_numpy():
    code = (
        "import sys; from qa.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('numpy', 'torch', 'faiss') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "usage: qa" in result.stdout
    assert "LOADED []" in result.stdout


def test_bm25_updated_equals_bm25_built_from_scratch():
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(30)]
    docs = {i: list(rng.choice(words, size=int(rng.integers(1, 20)))) for i in range(1, 41)}
    first = Sparse.build(list(docs), list(docs.values()))
    removed = [3, 17, 40]  # 40 is the highest id: SQLite gives it to the next chunk again
    added = {40: ["w1", "w1", "w29", "fresh"], 41: ["w2", "fresh"]}
    updated = first.updated(removed, list(added), list(added.values()))
    final = {i: d for i, d in docs.items() if i not in removed} | added
    rebuilt = Sparse.build(list(final), list(final.values()))
    assert sorted(updated.ids.tolist()) == sorted(final)
    for query in (["w1"], ["w2", "w5"], ["fresh", "w29"], ["w0", "w0"]):
        assert dict(updated.top(query, 50)) == pytest.approx(dict(rebuilt.top(query, 50)))
