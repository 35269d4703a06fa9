"""FAISS index choice and the sentence vectors stored with each chunk."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import OTTERS, ROOT, all_chunks, write

from qa import Settings, build_index, open_index, storage
from qa.chunking import split_sentences


def manifest(settings: Settings) -> storage.Manifest:
    return storage.read_manifest(storage.current_folder(settings.index))


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
    assert m.factory.endswith(",SQfp16"), "the vectors in float16, half of float32's memory"
    index = open_index(settings)
    assert "bay 7" in index.search("otters in bay 7", k=3)[0].chunk.text
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n")
    build_index(settings)
    updated = open_index(settings)
    assert updated.snapshot.vectors.ntotal == manifest(settings).passages
    assert updated.search("bees dance for the hive", k=1)[0].chunk.source == "bees.txt"
    assert "bay 7" in updated.search("otters in bay 7", k=3)[0].chunk.text


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


def test_a_compressed_index_keeps_exact_vectors_reranks_with_them_and_updates_in_place(settings_for):
    settings = settings_for(index_factory="IVF1,PQ8x4")
    for n, paragraph in enumerate(OTTERS.split("\n\n")):  # a chunk each: PQ8x4 trains 16 centroids
        write(settings.corpus, f"otters-{n:02d}.txt", paragraph + "\n")
    build_index(settings)
    index = open_index(settings)
    snapshot = index.snapshot
    assert manifest(settings).factory == "IVF1,PQ8x4" and snapshot.exact is not None
    assert (snapshot.folder / "exact" / "vectors.npy").exists() and "exact/vectors.npy" in manifest(settings).checksums
    query = index.embedder.encode_query("otters in bay 7 hold hands")
    hits = snapshot.dense(query, 3)
    assert "bay 7" in snapshot.chunks([hits[0][0]])[hits[0][0]].text
    exact_scores = snapshot.exact.get([i for i, _ in hits]) @ query
    assert [s for _, s in hits] == pytest.approx(list(exact_scores), abs=1e-6), "scores are the exact cosines"
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n")
    build_index(settings)
    updated = open_index(settings)
    assert len(updated.snapshot.exact) == updated.snapshot.vectors.ntotal == manifest(settings).chunks
    assert updated.search("bees dance for the hive", k=1)[0].chunk.source == "bees.txt"


def test_auto_compresses_above_its_threshold_with_codes_that_fit_in_64_bytes():
    from qa.vectors import choose_factory, compressed, pq_bytes

    factory, params = choose_factory("auto", 5_000_000, threshold=200_000, compress_above=1_000_000)
    assert compressed(factory) and factory.endswith(f",PQ{pq_bytes(384)}") and params.startswith("nprobe=")
    assert pq_bytes(384) + 8 <= 64, "code bytes plus the id in the inverted list"
    assert not compressed(choose_factory("auto", 500_000, threshold=200_000, compress_above=1_000_000)[0])
    assert 768 % pq_bytes(768) == 0 and 300 % pq_bytes(300) == 0


def test_auto_picks_a_graph_between_the_flat_and_the_ivf_sizes():
    from qa.vectors import choose_factory, compressed

    assert choose_factory("auto", 40_000, threshold=200_000, graph_above=50_000) == ("Flat", "")
    factory, params = choose_factory("auto", 80_000, threshold=200_000, graph_above=50_000)
    assert factory.startswith("HNSW") and params.startswith("efSearch=")
    assert choose_factory("auto", 300_000, threshold=200_000, graph_above=50_000)[0].startswith("IVF")
    assert not compressed(factory), "the graph keeps the vectors (in float16), ids in an IDMap2"


def test_the_graph_index_finds_the_nearest_vectors_the_flat_one_finds(embedder):
    from qa.vectors import GRAPH, build_index, default_params

    words = [line.split()[0] for line in (ROOT / "qa" / "word_classes.txt").read_text().splitlines()[::20]][:3000]
    rows = embedder.encode(words, batch_size=256)
    queries, stored = rows[:100], rows[100:]
    ids = np.arange(len(stored), dtype=np.int64) + 1000
    flat = build_index(rows.shape[1], "Flat", ids, stored)
    graph = build_index(rows.shape[1], GRAPH, ids, stored)
    import faiss

    faiss.ParameterSpace().set_index_parameters(graph, default_params(GRAPH, len(stored)))
    _, want = flat.search(queries, 10)
    _, got = graph.search(queries, 10)
    recall = np.mean([len(set(w) & set(g)) / 10 for w, g in zip(want, got)])
    assert recall >= 0.98
    assert len(faiss.serialize_index(graph)) < 0.7 * len(faiss.serialize_index(flat)) + 300 * len(stored)


def test_a_graph_index_is_chosen_above_its_size_and_survives_an_update(settings_for):
    settings = settings_for(graph_above=4)
    write(settings.corpus, "otters.txt", OTTERS)
    build_index(settings)
    assert manifest(settings).factory.startswith("HNSW") and manifest(settings).search_params.startswith("efSearch")
    write(settings.corpus, "bees.txt", "Honey bees dance to tell the hive where the flowers are.\n")
    write(settings.corpus, "otters.txt", OTTERS.replace("bay 7 ", "the kelp bay "))
    build_index(settings)
    updated = open_index(settings)
    assert manifest(settings).factory.startswith("HNSW")
    assert updated.snapshot.vectors.ntotal == manifest(settings).passages == manifest(settings).chunks
    assert updated.search("bees dance for the hive", k=1)[0].chunk.source == "bees.txt"
    assert "the kelp bay" in updated.search("otters in the kelp bay", k=1)[0].chunk.text


def test_sentence_rows_are_quantized_a_block_at_a_time_as_in_one_piece():
    from qa.vectors import SentenceVectors

    rng = np.random.default_rng(7)
    for dtype in (np.float16, np.float32):
        rows = rng.standard_normal((23, 16)).astype(dtype)
        rows[4] = 0
        given = rows.copy()
        blocks = SentenceVectors.quantize(np.arange(23), rows, block=5)
        plain = rows.astype(np.float32)
        scales = np.where(np.abs(plain).max(axis=1) > 0, np.abs(plain).max(axis=1) / 127.0, 1.0).astype(np.float32)
        np.testing.assert_array_equal(blocks.codes, np.rint(plain / scales[:, None]).astype(np.int8))
        np.testing.assert_array_equal(blocks.scales, scales)
        np.testing.assert_array_equal(rows, given)  # the caller's rows are not written over
        assert blocks.scales[4] == 1.0 and not blocks.codes[4].any()
        assert np.abs(blocks.codes.astype(np.float32) * blocks.scales[:, None] - plain).max() <= scales.max() / 2 + 1e-6


def test_an_ivf_index_with_float16_codes_trains_its_lists_alone_into_the_same_index():
    import faiss

    from qa.vectors import new_index, train

    rng = np.random.default_rng(3)
    stored = rng.standard_normal((6_000, 32), dtype=np.float32)
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    ids = np.arange(len(stored), dtype=np.int64) + 7
    results = []
    for trainer in (lambda index, rows: index.train(rows), train):
        index = new_index(32, "IVF32,SQfp16")
        trainer(index, stored[:2_048])
        ivf = faiss.extract_index_ivf(index)
        assert index.is_trained and ivf.by_residual, "the index encodes residuals to its lists, as FAISS makes it"
        index.add_with_ids(stored, ids)
        ivf.nprobe = 4
        results.append(index.search(stored[:50] + 0.05, 10))
    assert (results[0][1] == results[1][1]).all()
    assert np.array_equal(results[0][0], results[1][0])


def test_a_product_quantized_index_still_trains_its_codes_on_residuals():
    import faiss

    from qa.vectors import new_index, train

    rows = np.random.default_rng(4).standard_normal((4_000, 32), dtype=np.float32)
    index = new_index(32, "IVF16,PQ8")
    train(index, rows)
    plain = new_index(32, "IVF16,PQ8")
    plain.train(rows)
    trained = [faiss.vector_to_array(faiss.downcast_index(i).pq.centroids) for i in (index, plain)]
    assert np.array_equal(trained[0], trained[1])
