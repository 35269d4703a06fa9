"""Questions in another language than the documents: the answer is the unit that holds the fact, a command block
cited with the sentence that introduces it (the real multilingual and English encoders, FAISS and SQLite)."""

from __future__ import annotations

import pytest
from helpers import indexed

HANDBOOK = """\
Building the documentation

The handbook is written in reStructuredText and published every night by the build server.
Pages that fail to build are listed in the nightly report, which goes to the editors' mailing list.

To build the handbook as HTML on your own machine, run the following commands:

$ cd handbook
$ make html
$ firefox _build/html/index.html

The build takes about two minutes on a laptop.

Translations

Translators work in the translations folder, one subfolder per language.
A translation is published once four fifths of its pages are translated.
"""

RELEASE = """\
Releasing a new version

Every release is tagged in git, signed with the release key and uploaded to the archive by the release manager.

To publish a signed release of the handbook, run the following commands:
$ git tag --sign v2.0 --message "handbook 2.0"
$ git push origin v2.0 --follow-tags
$ python -m build --sdist --wheel --outdir dist/
$ twine upload --sign --identity releases@example.org dist/*

The archive shows the new version within an hour.
"""

RECORD = """\
The greeter package

The greeter package prints a friendly greeting in the language of the terminal.
It is built from the upstream greeter sources and has no dependencies beyond the C library.

Package: greeter
Version: 2.10-3
Maintainer: Ana Lima <ana@example.org>
Section: devel
Priority: optional

Bugs in the package are reported to the project's tracker.
"""


@pytest.fixture(scope="module")
def handbook(tmp_path_factory, embedder):
    return indexed(tmp_path_factory.mktemp("handbook"), "handbook.txt", HANDBOOK)


@pytest.mark.parametrize(
    "question",
    [
        "如何在自己的电脑上把手册构建成 HTML？",
        "自分のマシンでハンドブックを HTML としてビルドするには？",
        "Comment construire le manuel en HTML sur ma propre machine ?",
    ],
)
def test_question_in_another_language_cites_the_command_block_with_its_lead_in(handbook, question):
    answer = handbook.ask(question)
    assert answer.answered, answer.reason
    first = answer.citations[0]
    assert first.text.startswith("To build the handbook as HTML on your own machine, run the following commands:")
    assert first.text.endswith("$ cd handbook\n$ make html\n$ firefox _build/html/index.html")
    assert HANDBOOK[first.start : first.end] == first.text
    assert not any("$ make html" in c.text for c in answer.citations[1:])  # the block is cited once


def test_a_sentence_beside_the_block_is_cited_alone_across_languages(handbook):
    answer = handbook.ask("手册的构建需要多长时间？")
    assert answer.answered, answer.reason
    assert answer.citations[0].text == "The build takes about two minutes on a laptop."


def test_a_field_the_question_names_is_the_answer_across_languages(tmp_path, embedder):
    index = indexed(tmp_path, "greeter.txt", RECORD)

    answer = index.ask("greeter 软件包的维护者是谁？")

    assert answer.answered, answer.reason
    assert answer.citations[0].text == "Maintainer: Ana Lima <ana@example.org>"


def test_a_field_the_question_names_is_the_answer_in_english_too(tmp_path, embedder):
    prose = RECORD.replace("Bugs in the package", "Maintainers of a package answer its bugs; bugs in the package")
    index = indexed(tmp_path, "greeter.txt", prose)

    answer = index.ask("In the record of the greeter package, who is listed as the maintainer?")

    assert answer.answered, answer.reason
    assert answer.citations[0].text == "Maintainer: Ana Lima <ana@example.org>"
    assert answer.short is not None and answer.short.text == "Ana Lima"


@pytest.mark.parametrize(
    ("plain", "picked_out"),
    [
        ("Quelle est la version de greeter ?", "Quelle est la version par défaut de greeter ?"),
        ("greeter 软件包的版本是什么？", "greeter 软件包的默认版本是什么？"),
    ],
)
def test_a_state_that_picks_the_thing_out_and_no_passage_says_is_refused_across_languages(
    tmp_path, embedder, plain, picked_out
):
    index = indexed(tmp_path, "greeter.txt", RECORD)

    answered, refused = index.ask(plain), index.ask(picked_out)

    assert answered.answered, answered.reason
    assert answered.citations[0].text.startswith("Version: 2.10-3")
    assert not refused.answered
    said = "par défaut" if "défaut" in picked_out else "默认"
    assert refused.reason.endswith(f'do not say "{said}".'), refused.reason


def test_a_state_is_read_in_the_sentence_that_asks_and_found_in_the_question_s_own_words_too():
    from qa.across import unsaid_states

    assert unsaid_states("Qui est l'actuel chef du projet ?", ["Bruce Perens led it at the time."]) == ["actuel"]
    assert unsaid_states("Qui est l'actuel chef du projet ?", ["The current leader is Ana Lima."]) == []
    assert unsaid_states("Qui est l'actuel chef du projet ?", ["Maintenant, le projet est mené par Ana Lima."]) == []
    assert unsaid_states("Qui est l'actuel chef du projet ?", ["Currently Ana Lima leads it."]) == []
    scene = "我找到一张旧的 Debian 官方光盘，看不出里面是哪个版本。光盘上的哪个文件写明了版本？"
    assert unsaid_states(scene, ["Read the CD label in /.disk/info."]) == []
    assert (
        unsaid_states("在 Samba 里用哪个设置来改变老客户端的默认编码？", ["可以用 dos charset 来改变这个默认编码。"])
        == []
    )


def test_a_chunk_that_opens_inside_a_block_reaches_back_to_its_lead_in(tmp_path, embedder):
    from qa.retrieval import with_lead_in
    from qa.types import Chunk, Hit, Span

    index = indexed(tmp_path, "release.txt", RELEASE, chunk_tokens=40, chunk_overlap=16)
    start = RELEASE.index("$ git tag")
    end = RELEASE.index("\n", RELEASE.index("$ python -m build"))
    opening = Chunk(Span("release.txt", start, end, 6, 8), RELEASE[start:end])  # overlaps the lead-in's chunk

    chunk = with_lead_in(index.snapshot, Hit(1, opening, 1.0)).chunk

    assert chunk.text.startswith("To publish a signed release of the handbook")
    assert chunk.text.endswith("--outdir dist/")
    assert RELEASE[chunk.start : chunk.end] == chunk.text
    assert chunk.line_start == 5


def test_a_chunk_that_reached_back_is_scored_as_stored_and_its_new_part(tmp_path, embedder):
    from qa.retrieval import as_stored
    from qa.types import Chunk, Hit, Span

    index = indexed(tmp_path, "release.txt", RELEASE, chunk_tokens=40, chunk_overlap=16)
    chunks = index.snapshot.chunks(list(range(1, 10)))
    chunk_id, chunk = next((i, c) for i, c in chunks.items() if c.text.startswith("$ git push"))
    start = RELEASE.index("To publish")
    reached = Hit(
        chunk_id, Chunk(Span("release.txt", start, chunk.end, 5, chunk.line_end), RELEASE[start : chunk.end]), 1.0
    )

    before, own = as_stored(index.snapshot, [reached])

    assert own.chunk == chunk and own.chunk_id == chunk_id  # its sentence vectors are the index's
    assert (before.chunk.start, before.chunk.end) == (start, chunk.start)
    assert RELEASE[before.chunk.start : before.chunk.end] == before.chunk.text
    assert (before.chunk.line_start, before.chunk.line_end) == (5, RELEASE.count("\n", 0, chunk.start) + 1)


def test_a_chunk_that_opens_with_prose_is_left_as_it_is(tmp_path, embedder):
    from qa.retrieval import with_lead_in
    from qa.types import Chunk, Hit, Span

    index = indexed(tmp_path, "release.txt", RELEASE, chunk_tokens=40, chunk_overlap=16)
    start = RELEASE.index("The archive")
    hit = Hit(1, Chunk(Span("release.txt", start, len(RELEASE) - 1, 12, 12), RELEASE[start:-1]), 1.0)

    assert with_lead_in(index.snapshot, hit) is hit


def test_a_sentence_is_credited_with_half_of_a_closer_neighbour_in_its_paragraph():
    from qa.ranking import near_cosines
    from qa.retrieval import Sentence
    from qa.types import Chunk, Hit, Span

    text = "You can use cron-apt for that.\nBy default it only downloads updates.\n\nA new paragraph."
    hit = Hit(1, Chunk(Span("faq.txt", 0, len(text), 1, 4), text), 1.0)
    spans = [(0, 30), (31, 68), (70, len(text))]
    cosines = [0.2, 0.6, 0.9]
    sentences = [Sentence(0, hit, a, b, text[a:b], c, 0.0, 0.0) for (a, b), c in zip(spans, cosines)]

    credited = [s.cosine for s in near_cosines(sentences, 0.5)]

    assert credited == pytest.approx([0.4, 0.6, 0.9])  # the third is a paragraph apart: nothing lent either way


def test_a_hit_that_reached_back_to_its_lead_in_keeps_the_other_files_that_hold_its_passage(tmp_path, embedder):
    from dataclasses import replace

    from qa import build_index, open_index
    from qa.config import Settings
    from qa.retrieval import homed
    from qa.types import Chunk, Hit, Span

    for name in ("release.txt", "copy/release.txt"):
        (tmp_path / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "corpus" / name).write_text(RELEASE, encoding="utf-8")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", chunk_tokens=40, chunk_overlap=16)
    build_index(settings)
    snapshot = open_index(settings).snapshot
    chunks = snapshot.chunks(list(range(1, 40))).items()
    chunk_id, chunk = next((i, c) for i, c in chunks if c.source == "release.txt" and c.text.startswith("$ git push"))
    (found,) = homed(snapshot, [Hit(chunk_id, chunk, 1.0)])
    assert found.also_in == ("copy/release.txt",)
    start = RELEASE.index("To publish")
    longer = Chunk(Span("release.txt", start, chunk.end, 5, chunk.line_end), RELEASE[start : chunk.end])

    (reached,) = homed(snapshot, [replace(found, chunk=longer)])  # a text no chunk holds as it is

    assert reached.also_in == ("copy/release.txt",)


def test_a_date_asked_across_languages_is_refused_where_the_closest_passages_give_none(handbook, tmp_path, embedder):
    question = "En quelle année le manuel a-t-il été publié ?"

    refused = handbook.ask(question)

    assert not refused.answered
    assert f'"{question}"' in refused.reason and "give no date or time" in refused.reason
    dated = indexed(tmp_path, "history.txt", HANDBOOK + "\nHistory\n\nThe handbook was first published in 2009.\n")
    answer = dated.ask(question)
    assert answer.answered, answer.reason
    assert "2009" in " ".join(c.text for c in answer.citations)


def test_a_kind_in_another_language_is_found_without_the_questions_counted_noun():
    from qa import kinds

    question = "How many bits does the Unicode code point range use?"
    text = "Unicode 字符集可以用 21 位码点范围来显示几乎所有人类已知的字符。"
    assert not kinds.new_spans(question, "number", text), "an English question's check wants 'bits' beside it"
    assert kinds.holds(question, "number", text)
    assert not kinds.holds("Is 21 the count?", "number", "There are 21 of them.")


def test_a_chinese_numeral_is_a_number_and_a_date_in_a_chinese_text():
    from qa import kinds

    assert kinds.holds("How long is the ship?", "number", "馆内的木制帆船，船长十八米。")
    assert kinds.holds("When was it built?", "time", "海港博物馆建于一九八五年。")
    assert not kinds.holds("When was it built?", "time", "海港博物馆位于旧码头的仓库里。")


def test_across_languages_the_lexical_share_counts_the_english_rendering_and_what_a_document_holds(handbook):
    """A Chinese term weighs as much as the rarest term of an English index and no sentence can hold it: counted,
    it left every sentence's share of the question near zero, names and commands included."""
    from qa.retrieval import lexical_terms
    from qa.sparse import CJK_RUN, terms

    question = "nightly report 会发到哪里？"
    sparse = handbook.snapshot.sparse
    retrieval = handbook.retrieve(question)
    assert retrieval.across
    counted = lexical_terms(question, sparse, retrieval.said)
    assert counted == set(terms(retrieval.said)) | {t for t in terms(question) if t in sparse.vocab}
    assert {"night", "report"} <= counted and not any(CJK_RUN.search(t) for t in counted)
    assert lexical_terms(question, sparse) == set(terms(question))
    report = next(s for s in retrieval.sentences if "nightly report" in s.text)
    assert report.lexical >= 0.5 and report.lexical == max(s.lexical for s in retrieval.sentences)
    answer = handbook.ask(question)
    assert answer.answered, answer.reason
    assert answer.citations[0].text.startswith("Pages that fail to build are listed in the nightly report")


FAQ_FR = """À propos de cette FAQ

La première édition de cette FAQ a été écrite et maintenue par Bruce Perens et Chuck Stickelman. Après eux, la
FAQ a été maintenue par Santiago Vila et plus tard par Josip Rodin. Maintenant, elle est maintenue par Ana Lima.
Une partie de l'information venait des annonces de publication et de la liste de diffusion du projet.
"""


def test_a_french_question_for_the_current_one_cites_the_sentence_that_says_now_in_french(tmp_path, embedder):
    index = indexed(tmp_path, "faq.fr.txt", FAQ_FR)

    answer = index.ask("Qui est l'actuel mainteneur de la FAQ ?")

    assert answer.answered, answer.reason
    assert answer.citations[0].text == "Maintenant, elle est maintenue par Ana Lima."


MIRROR_FR = """Miroirs et caches

apt-cacher garde une copie des paquets téléchargés pour les machines de votre réseau. Pour l'utiliser, ajoutez
son adresse aux lignes de votre fichier sources.list(5).

Le gel de testing

Avant une nouvelle version stable, testing est gelée : le gel concerne plus de 3 architectures et des milliers de
paquets.

Noms de code

Debian 12 s'appelle bookworm et Debian 13 s'appelle trixie.
"""


@pytest.mark.parametrize(
    ("question", "missing", "added", "fact"),
    [
        (
            "En général, combien de temps dure le gel de testing ?",
            "give no number",
            "En général, le gel de testing dure six mois, parfois 7 mois.",
            "7 mois",
        ),
        (
            "J'ai installé apt-cacher ; sur quel port dois-je pointer mes clients ?",
            "give no number",
            "apt-cacher écoute sur le port 3142 par défaut.",
            "3142",
        ),
        (
            "Quel sera le nom de code de Debian 14 ?",
            'never mention "Debian 14"',
            "Debian 14 s'appellera forky.",
            "forky",
        ),
    ],
)
def test_a_french_near_miss_is_refused_for_what_the_passages_lack_and_answered_once_a_document_says_it(
    tmp_path, embedder, question, missing, added, fact
):
    refused = indexed(tmp_path / "lacking", "faq.fr.txt", MIRROR_FR).ask(question)

    assert not refused.answered, "a duration is no count, a manual's section no port, Debian 13 no Debian 14"
    assert missing in refused.reason
    answer = indexed(tmp_path / "saying", "faq.fr.txt", MIRROR_FR + "\n" + added + "\n").ask(question)
    assert answer.answered, answer.reason
    assert fact in " ".join(c.text for c in answer.citations)


CODENAMES_FR = """Les noms de code

Les noms de code des versions de Debian viennent des personnages du film Toy Story.

bo (Debian 1.3) est Bo Peep, la bergère.

hamm (Debian 2.0) est la tirelire en forme de cochon.

woody (Debian 3.0) est le cowboy.

sarge (Debian 3.1) est le sergent de l'armée de plastique vert.

etch (Debian 4.0) est l'ardoise magique.
"""


def test_the_item_that_writes_the_release_the_question_names_is_cited_across_the_list(tmp_path, embedder):
    answer = indexed(tmp_path, "noms.fr.txt", CODENAMES_FR).ask("Quel était le nom de code de Debian 3.0 ?")

    assert answer.answered, answer.reason
    assert answer.citations[0].text == "woody (Debian 3.0) est le cowboy.", "BM25 reads 3.0 as 3 and 0, as in 3.1"


BUGS_FR = """Signaler un bogue

Si vous trouvez un bogue dans Debian, lisez les instructions sur la façon de le signaler. Le rapport de bogue sera
numéroté, enregistré dans la base du BTS et envoyé à la liste de diffusion des bogues.

Vous pouvez utiliser le paquet reportbug qui vous guidera dans la rédaction du bogue et enverra le message à la
bonne adresse en ajoutant des détails sur votre système. Il vous montrera aussi les bogues déjà ouverts sur le
paquet contre lequel vous rédigez votre rapport.
"""


def test_a_french_question_for_a_tool_gets_the_tool_french_prose_names(tmp_path, embedder):
    answer = indexed(tmp_path, "bogues.fr.txt", BUGS_FR).ask(
        "Quel outil m'aide à rédiger et envoyer un rapport de bogue avec les infos de mon système ?"
    )

    assert answer.answered, answer.reason
    assert answer.citations[0].text.startswith("Vous pouvez utiliser le paquet reportbug")
    assert answer.short is not None and answer.short.text == "reportbug"
