"""Hostile and broken input: bad files in the corpus and odd questions are handled within set limits."""

from __future__ import annotations

import io
import json
import os
import re
import time
import zipfile
from pathlib import Path

import pytest
from helpers import run_qa

BIG_BYTES = 200 * 1024 * 1024
PDF_PAGES = 10_000
GOOD = {
    "good1.txt": "The zebra sanctuary feeds its zebras fresh alfalfa every evening at six.\n",
    "notes/good2.md": "# Pottery\n\nThe pottery studio fires its kiln on Wednesdays and glazes bowls on Thursdays.\n",
}
# source as `qa index` prints it -> (kind of line, words its reason must contain); None: handled, not reported
BAD = {
    "big.txt": ("skipped", "larger than"),
    "long.pdf": ("note", f"first 2000 of {PDF_PAGES} pages"),
    "malformed.pdf": ("skipped", "cannot read PDF"),
    "bomb.docx": ("skipped", "zip bomb"),
    "binary.md": ("skipped", "binary"),
    "latin1.txt": ("note", "invalid UTF-8"),
    "outside.txt": ("skipped", "outside the corpus"),
    "bell\\x07name.txt": ("skipped", "control characters"),
    "line\\nbreak.txt": ("skipped", "control characters"),
}
QUESTIONS = {
    "empty": "",
    "100 KB": ("What does the government do to support AI in Hong Kong? " * 2000)[:100_000],
    "punctuation": "?!... ,;:()[]{} -- ¿¡ ... ??",
    "Chinese": "香港政府如何支持人工智能的发展？",
    "Arabic": "كيف تدعم حكومة هونغ كونغ الذكاء الاصطناعي؟",
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # fixed questions answered on one thread


def many_page_pdf(pages: int, first: str, last: str) -> bytes:
    """A valid PDF of `pages` pages written by hand: text on the first and last page, the rest empty."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{' '.join(f'{10 + i} 0 R' for i in range(pages))}] /Count {pages} >>".encode(),
        6: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for number, text in ((3, first), (4, ""), (5, last)):
        body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode() if text else b""
        objects[number] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body)
    for i in range(pages):
        content = 3 if i == 0 else 5 if i == pages - 1 else 4
        objects[10 + i] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
            "/Resources << /Font << /F1 6 0 R >> >> >>"
        ).encode()
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    xref, size = out.tell(), max(objects) + 1
    out.write(b"xref\n0 %d\n" % size)
    for number in range(size):
        out.write(b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n")
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def zip_bomb(path: Path, unzipped_mb: int = 120) -> None:
    """A .docx whose document.xml inflates from about 100 KB to `unzipped_mb` MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b" " * (1 << 20)
            for _ in range(unzipped_mb):
                member.write(block)


@pytest.fixture(scope="module")
def hostile_corpus(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("hostile") / "corpus"
    (corpus / "notes").mkdir(parents=True)
    for name, text in GOOD.items():
        (corpus / name).write_text(text)
    with open(corpus / "big.txt", "wb") as f:
        f.truncate(BIG_BYTES)  # sparse: 200 MB on paper, nothing on disk
    (corpus / "long.pdf").write_bytes(
        many_page_pdf(
            PDF_PAGES,
            "The long report says the granary stores wheat for winter.",
            "The vault code on the last page is purple.",
        )
    )
    (corpus / "malformed.pdf").write_bytes(
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n" + os.urandom(2048)
    )
    zip_bomb(corpus / "bomb.docx")
    depth = 100_000
    (corpus / "nested.html").write_bytes(
        b"<html><body>"
        + b"<div><span>" * depth
        + b"The nested page mentions the hidden orchard of quinces."
        + b"</span></div>" * depth
        + b"</body></html>"
    )
    (corpus / "binary.md").write_bytes(bytes(range(256)) * 64 + os.urandom(8192))
    (corpus / "latin1.txt").write_bytes("Café crème: the bakery sells almond croissants at dawn.\n".encode("latin-1"))
    (corpus / "outside.txt").symlink_to("/etc/passwd")
    (corpus / "bell\x07name.txt").write_text("A file name with a bell character in it.\n")
    (corpus / "line\nbreak.txt").write_text("A file name with a line break in it.\n")
    return corpus


def report_lines(stderr: str) -> list[str]:
    return [line for line in re.split(r"[\r\n]", stderr) if line.startswith(("skipped: ", "note: "))]


@pytest.mark.slow
def test_qa_index_reports_each_bad_file_once_and_indexes_the_rest(hostile_corpus, tmp_path, embedder):
    from qa import open_index
    from qa.config import Settings

    settings = Settings(corpus=hostile_corpus, index=tmp_path / "index")
    started = time.monotonic()
    result = run_qa("index", "--corpus", str(settings.corpus), "--index", str(settings.index), timeout=300)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert elapsed < 240, f"qa index took {elapsed:.0f} s on the hostile corpus"

    lines = report_lines(result.stderr)
    for source, (kind, words) in BAD.items():
        mine = [line for line in lines if line.startswith(f"{kind}: {source}: ")]
        assert len(mine) == 1, f"{source}: expected one '{kind}' line, got {mine}\n{result.stderr}"
        assert words in mine[0], mine[0]
    assert len(lines) == len(BAD), lines
    assert all(source not in result.stderr for source in GOOD)

    index = open_index(settings)
    assert index.info().documents == len(GOOD) + 3  # the good files, the truncated PDF, the nested HTML, latin1.txt
    for question, source in (
        ("What do the zebras eat?", "good1.txt"),
        ("When does the pottery studio fire its kiln?", "notes/good2.md"),
        ("What does the granary store?", "long.pdf"),
        ("Which fruit grows in the hidden orchard?", "nested.html"),
        ("What does the bakery sell?", "latin1.txt"),
    ):
        assert index.search(question, k=1)[0].chunk.source == source, question
    everything = " ".join(h.chunk.text for h in index.search("vault code purple root password", k=20))
    assert "purple" not in everything  # page 10,000 is past the page limit
    assert "root:x:0:0" not in everything  # the symlink to /etc/passwd was not followed


def test_each_hostile_file_is_handled_within_its_limit(hostile_corpus):
    from qa.config import Settings
    from qa.errors import QAError
    from qa.loaders import load, scan

    settings = Settings(corpus=hostile_corpus)
    started = time.monotonic()
    files, skipped = scan(hostile_corpus, settings)
    assert time.monotonic() - started < 5, "scanning must not read the 200 MB file"
    skipped_sources = {s.source for s in skipped}
    assert {"big.txt", "outside.txt", "bell\\x07name.txt", "line\\nbreak.txt"} <= skipped_sources
    for file in files:
        started = time.monotonic()
        try:
            load(file, file.path.read_bytes(), settings)
        except QAError:
            pass
        assert time.monotonic() - started < 60, f"{file.source} took too long to load"


@pytest.mark.parametrize("kind", QUESTIONS)
def test_odd_question_gets_a_clear_answer_in_bounded_time(hk_index, kind):
    from qa import Answer, open_index

    index = open_index(hk_index)
    question = QUESTIONS[kind]
    started = time.monotonic()
    answer = index.ask(question)
    hits = index.search(question)
    stream = index.stream(question, mode="extractive")
    text = "".join(stream)
    assert time.monotonic() - started < 60
    assert isinstance(answer, Answer) and answer.answer.strip()
    assert isinstance(stream.answer, Answer) and stream.answer.answer == answer.answer == text
    assert len(answer.question) <= 2_000
    if not answer.answered:
        assert answer.answer.startswith(("Please ask", "The corpus does not cover"))
    text = (hk_index.corpus / "hong-kong-ai.txt").read_text()
    for citation in answer.citations:
        assert text[citation.start : citation.end] == citation.text
    if kind in ("empty", "punctuation"):
        assert not answer.answered and answer.answer == "Please ask a question in words."
    if kind == "empty":
        assert hits == []


@pytest.mark.slow
def test_odd_questions_through_the_cli(hk_index):
    where = ["--corpus", str(hk_index.corpus), "--index", str(hk_index.index)]
    questions = [q for kind, q in QUESTIONS.items() if kind != "empty"]
    started = time.monotonic()
    batch = run_qa("ask", "-", "--json", *where, stdin="\n".join(questions) + "\n", timeout=300)
    assert batch.returncode == 0, batch.stderr
    answers = [json.loads(line) for line in batch.stdout.splitlines()]
    assert len(answers) == len(questions)
    for answer in answers:
        assert isinstance(answer["answered"], bool) and answer["answer"].strip()
    empty = run_qa("ask", "", *where, timeout=300)
    assert empty.returncode == 0, empty.stderr
    assert "Please ask a question in words." in empty.stdout
    search = run_qa("search", "", "--json", *where, timeout=300)
    assert search.returncode == 0 and json.loads(search.stdout)["hits"] == []
    assert time.monotonic() - started < 300
