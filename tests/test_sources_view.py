"""The Sources panel's HTML from a real index: a page cited twice is drawn once, a page whose file has changed or
gone is a note, and documents are listed and removed only inside the corpus."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from helpers import DEBIAN_FAQ, write
from scans import placed_pdf

from qa import CorpusError, Settings, build_index, open_index
from qa.documents import documents, remove_document
from qa.service import Service, build_status
from qa.views import sources_html

PAGE = [
    (72, 100, "Choosing a mirror"),
    (72, 130, "The mirror list is kept in /etc/apt/sources.list on every Debian system."),
    (72, 400, "Each line of that file names an archive type, a mirror address and a suite."),
]


@pytest.fixture
def pdf_index(tmp_path, embedder):
    write(tmp_path / "corpus", "faq.md", DEBIAN_FAQ)
    (tmp_path / "corpus" / "mirrors.pdf").write_bytes(placed_pdf([PAGE], font_size=9))
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", cache=tmp_path / "cache")
    build_index(settings)
    return open_index(settings)


def two_citations_of_one_page(index):
    answer = index.ask("Where is the mirror list kept?")
    first = answer.citations[0]
    assert first.source == "mirrors.pdf" and first.boxes
    chunk = index.snapshot.chunk_around(first.source, first.start, first.end)
    start = chunk.text.index("Each line") + chunk.start
    second_span, text = chunk.part(start, start + len("Each line of that file names an archive type"))
    second = replace(first, id=2, span=second_span, text=text)
    return index.located(replace(answer, citations=(first, second)))


def test_a_page_cited_twice_is_drawn_once_with_both_lines_boxed(pdf_index):
    html = sources_html(pdf_index, two_citations_of_one_page(pdf_index), turn=3)
    assert html.count("<img") == 1 and html.count('class="qa-highlight"') == 2
    assert 'data-n="1"' in html and 'data-n="2"' in html and "cited as [1], [2]" in html
    assert 'id="source-3-1"' in html and 'id="source-3-2"' in html and "Page 1 is shown above, in source [1]." in html


def test_a_page_of_a_changed_or_removed_file_is_a_note_not_a_broken_image(pdf_index):
    answer = two_citations_of_one_page(pdf_index)
    path = pdf_index.settings.corpus / "mirrors.pdf"
    os.utime(path, (1, 1))
    changed = sources_html(pdf_index, answer)
    assert "<img" not in changed and "has changed since it was indexed" in changed
    path.unlink()
    removed = sources_html(pdf_index, answer)
    assert "<img" not in removed and "removed from the corpus" in removed


def test_documents_are_listed_with_type_pages_and_chunks(pdf_index):
    listed = {d.source: d for d in documents(pdf_index)}
    assert listed["mirrors.pdf"].kind == "PDF" and listed["mirrors.pdf"].pages == 1
    assert listed["faq.md"].kind == "MD" and listed["faq.md"].pages == 0
    assert sum(d.chunks for d in listed.values()) == pdf_index.info().chunks
    assert all(d.indexed_at.endswith("Z") for d in listed.values())


def test_removing_a_document_refuses_paths_outside_the_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "keep.txt", "kept")
    (tmp_path / "outside.txt").write_text("outside")
    (corpus / "link.txt").symlink_to(tmp_path / "outside.txt")
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    for bad in ("../outside.txt", str(tmp_path / "outside.txt"), ".", "missing.txt"):
        with pytest.raises(CorpusError):
            remove_document(settings, bad)
    remove_document(settings, "link.txt")
    assert (tmp_path / "outside.txt").read_text() == "outside" and not (corpus / "link.txt").exists()
    assert (corpus / "keep.txt").exists()


def test_a_document_removed_while_a_question_is_answered_still_gives_the_answer(tmp_path, embedder):
    write(tmp_path / "corpus", "faq.md", DEBIAN_FAQ)
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    service = Service(settings)
    steps = service.respond("How do I put a package on hold?", None, 5, "extractive")
    next(steps), next(steps)  # searching, then the first streamed words
    remove_document(settings, "faq.md")
    write(tmp_path / "corpus", "other.txt", "Sea otters hold hands while they sleep.\n")
    build_index(settings)
    service.require()  # as another user's question does: the app switches to the version without the file
    *_, (chat, sources, _, _) = steps
    assert "apt-mark hold" in chat[-1]["content"] and "faq.md" in sources


def test_the_build_status_accounts_for_every_chunk(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    write(corpus, "faq.md", DEBIAN_FAQ)
    write(corpus, "faq-copy.md", DEBIAN_FAQ)
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    first = build_index(settings)
    assert first.chunks_embedded + first.chunks_repeated == first.chunks_total and first.chunks_repeated > 0
    status = build_status(first)
    assert f"{first.chunks_total} chunks in the index: {first.chunks_embedded} embedded now" in status
    assert f"{first.chunks_repeated} the same text as another chunk, embedded once" in status
    write(corpus, "more.txt", "Sea otters hold hands while they sleep.\n")
    second = build_index(settings)
    assert second.chunks_embedded + second.chunks_kept == second.chunks_total
    assert f"{second.chunks_kept} from unchanged files" in build_status(second)
