"""`qa eval --questions`: your own questions scored on the current index, figures known by construction."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import ROOT, run_qa

from qa import Answer, Citation, Settings, build_index, open_index
from qa.cli import main
from qa.goldset import (
    GoldQuestion,
    QuestionsError,
    Tally,
    answer_contains,
    cited_contains,
    evaluate_questions,
    load_questions,
    merge,
    short_names,
    text_contains,
)
from qa.types import Span

FILES = {
    "otters.txt": "Sea otters hold hands while they sleep so that they do not drift apart in the kelp forest.\n",
    "pandas.txt": "Giant pandas in Sichuan eat bamboo for up to fourteen hours every day.\n",
    "festival.txt": "The Zorblax festival is held every spring in the mountain town of Quillmere.\n",
}
# Three one-passage files. Line 3 names the wrong source (found, but not first), line 5 expects text the
# corpus does not hold, line 7 marks a question the corpus answers as one it must refuse.
QUESTIONS = [
    {"question": "Why do sea otters hold hands?", "source": "otters.txt", "answer": "so that they do not  drift apart"},
    {"question": "What do giant pandas eat?", "source": "pandas.txt", "answer": "BAMBOO"},
    {"question": "Where is the Zorblax festival held?", "source": "pandas.txt"},
    None,
    {"question": "Which food do pandas in Sichuan eat?", "answer": "eucalyptus leaves"},
    {"question": "How do I bake sourdough bread?", "answerable": False},
    {"question": "What do giant pandas eat?", "answerable": False},
]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(("" if row is None else json.dumps(row)) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def animals(tmp_path_factory, embedder) -> Settings:
    base = tmp_path_factory.mktemp("animals")
    settings = Settings(corpus=base / "corpus", index=base / "index")
    settings.corpus.mkdir()
    for name, text in FILES.items():
        (settings.corpus / name).write_text(text, encoding="utf-8")
    build_index(settings)
    return settings


def where(settings: Settings) -> list[str]:
    return ["--corpus", str(settings.corpus), "--index", str(settings.index)]


def test_figures_and_failures_of_a_hand_written_set(animals, tmp_path):
    questions = load_questions(write_jsonl(tmp_path / "q.jsonl", QUESTIONS))
    report = evaluate_questions(open_index(animals), questions, [1, 5])
    assert report.figures() == {
        "source_recall@1": round(2 / 3, 4),
        "source_recall@5": 1.0,
        "answer_hit_rate": round(2 / 3, 4),
        "refusal_accuracy": 0.5,
        "answerable_refused": 0.0,
    }
    failed = {o.question.line: o.failures for o in report.failed}
    assert sorted(failed) == [3, 5, 7]
    assert len(failed[3]) == 1 and re.fullmatch("source pandas.txt is passage [23], not the first", failed[3][0])
    assert failed[5][0].startswith("the answer does not contain 'eucalyptus leaves'; it says: Giant pandas")
    assert failed[7][0].startswith("answered, but the corpus should refuse it")


def test_qa_eval_questions_prints_the_figures_and_the_failed_lines(animals, tmp_path, capsys):
    path = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    assert main(["eval", "--questions", str(path), *where(animals)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"6 questions on the index at {animals.index} (v")
    for line in (
        "source recall@1         0.667   (3 with a source)",
        "source recall@5         1.000",
        "answer hit rate         0.667   (3 with an answer)",
        "refusal accuracy        0.500   (2 unanswerable)",
        "answerable refused      0.000   (4 answerable)",
        "3 of 6 questions failed:",
        "line 3: Where is the Zorblax festival held?",
        "line 7: What do giant pandas eat?",
    ):
        assert line in out, line


def test_qa_eval_questions_json_in_a_subprocess(animals, tmp_path):
    path = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    result = run_qa("eval", "--questions", str(path), "--k", "1,3", "--json", *where(animals))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["questions"], data["with_source"], data["with_answer"], data["unanswerable"]) == (6, 3, 3, 2)
    assert data["source_recall@1"] == round(2 / 3, 4) and data["source_recall@3"] == 1.0
    assert [f["line"] for f in data["failed"]] == [3, 5, 7]
    assert data["failed"][0]["rank"] in (2, 3) and data["failed"][2]["answered"] is True


def test_a_source_that_is_not_in_the_index_is_named(animals, tmp_path):
    path = write_jsonl(tmp_path / "q.jsonl", [{"question": "What do giant pandas eat?", "source": "./zoo/pandas.txt"}])
    report = evaluate_questions(open_index(animals), load_questions(path), [1])
    assert report.failed[0].failures == ("source zoo/pandas.txt is not a document of the index",)
    assert report.figures()["source_recall@1"] == 0.0


def test_the_readme_example_runs_on_the_default_corpus(hk_index):
    path = ROOT / "examples" / "questions.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    report = evaluate_questions(open_index(hk_index), load_questions(path), [1, 5])
    assert len(report.outcomes) == len(lines)
    assert len(report.with_source) == sum("source" in q for q in lines)
    assert len(report.unanswerable) == sum(q.get("answerable") is False for q in lines)
    assert report.figures()["source_recall@1"] == 1.0, "the default corpus has one file"
    sourdough = next(o for o in report.outcomes if "sourdough" in o.question.question)
    assert not sourdough.answered and not sourdough.failures


def test_answer_text_is_matched_without_markers_case_or_spacing():
    citation = Citation(1, Span("a.txt", 0, 10, 1, 1), "Shenzhen and Guangzhou are close.", 0.9)
    answer = Answer("q", "Cities like Shenzhen [1] and Guangzhou.", True, (citation,))
    assert answer_contains(answer, "shenzhen  AND guangzhou")
    assert answer_contains(answer, "Guangzhou are close")
    assert not answer_contains(answer, "Macau")
    assert not answer_contains(Answer("q", "Shenzhen", False, (citation,)), "Shenzhen"), "a refusal contains nothing"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not JSON"),
        ('["a list"]', "line 2: expected a JSON object"),
        ('{"source": "a.txt"}', 'line 2: "question" is missing'),
        ('{"question": 42}', 'line 2: "question" is missing or not a non-empty string'),
        ('{"question": "Why?", "answerable": "no"}', 'line 2: "answerable" must be true or false'),
        ('{"question": "Why?", "source": 3}', 'line 2: "source" must be a non-empty string'),
        ('{"question": "Why?", "sources": "a.txt"}', "line 2: unknown key 'sources'; the keys are question, source"),
        ('{"question": "Why?", "answerable": false, "answer": "x"}', 'cannot have a "source" or an "answer"'),
        ('{"q": "Why?", "question": "Why?"}', 'give the question once, as "question" or as "q"'),
        ('{"q": "Why?", "why": "Nothing says.", "source": "a.txt"}', 'cannot have a "source" or an "answer"'),
        ('{"q": "Why?", "source": "a.pdf", "page": 0}', '"page" must be a page number from 1, or null'),
        ('{"q": "Why?", "source": "a.pdf", "page": "3"}', '"page" must be a page number from 1, or null'),
        ('{"q": "Why?", "page": 3}', '"page" needs the "source" it is a page of'),
    ],
)
def test_a_bad_line_is_one_error_naming_the_line(tmp_path, capsys, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "Fine?"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(QuestionsError, match="line 2") as caught:
        load_questions(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert main(["eval", "--questions", str(path), "--index", str(tmp_path / "no-index")]) == 1
    assert message in capsys.readouterr().err


def test_empty_or_missing_questions_file_is_an_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(QuestionsError, match="has no questions"):
        load_questions(empty)
    with pytest.raises(QuestionsError, match="no questions file at"):
        load_questions(tmp_path / "missing.jsonl")


def test_eval_needs_exactly_one_of_a_dataset_and_questions(tmp_path, capsys):
    assert main(["eval"]) == 1
    assert "either a SQuAD file" in capsys.readouterr().err
    path = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    assert main(["eval", str(tmp_path / "squad.json"), "--questions", str(path)]) == 1
    assert "either a SQuAD file" in capsys.readouterr().err


def test_questions_need_an_index_and_say_how_to_build_it(tmp_path, capsys):
    path = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    assert main(["eval", "--questions", str(path), "--index", str(tmp_path / "no-index")]) == 1
    assert "run `qa index`" in capsys.readouterr().err


PAGES = ["Volcanic ash grounded flights across Europe.", "Saffron is harvested from crocus flowers by hand."]
# debian-dev format. Lines 1-3 ask the same thing, which the PDF's page 2 answers: line 2 names page 1 and line 3
# another file, so their answers are right and their citations wrong. Line 5 expects text the corpus lacks.
ANSWERABLE = [
    {"q": "How is saffron harvested?", "answer": "BY  hand", "source": "report.pdf", "page": 2},
    {"q": "How is saffron harvested?", "answer": "by hand", "source": "report.pdf", "page": 1},
    {"q": "How is saffron harvested?", "answer": "by hand", "source": "pandas.txt", "page": None},
    {"q": "What do giant pandas eat?", "answer": "bamboo", "source": "pandas.txt", "page": None, "lang": "en"},
    {"q": "Which food do pandas in Sichuan eat?", "answer": "eucalyptus leaves", "source": "pandas.txt", "page": None},
]
# Line 2 is one the corpus answers, marked as one it must refuse.
UNANSWERABLE = [
    {"q": "How do I bake sourdough bread?", "why": "The corpus has no recipes."},
    {"q": "What do giant pandas eat?", "why": "Marked unanswerable on purpose."},
]


@pytest.fixture(scope="module")
def handbook(tmp_path_factory, embedder) -> Settings:
    from scans import make_pdf

    base = tmp_path_factory.mktemp("handbook")
    settings = Settings(corpus=base / "corpus", index=base / "index")
    settings.corpus.mkdir()
    for name in ("otters.txt", "pandas.txt"):
        (settings.corpus / name).write_text(FILES[name], encoding="utf-8")
    (settings.corpus / "report.pdf").write_bytes(make_pdf(PAGES))
    build_index(settings)
    return settings


def test_debian_dev_lines_are_read_as_they_are(tmp_path):
    answerable = load_questions(write_jsonl(tmp_path / "a.jsonl", ANSWERABLE))
    assert [(q.question, q.source, q.page, q.answerable) for q in answerable[:3]] == [
        ("How is saffron harvested?", "report.pdf", 2, True),
        ("How is saffron harvested?", "report.pdf", 1, True),
        ("How is saffron harvested?", "pandas.txt", None, True),
    ]
    assert answerable[3].lang == "en" and answerable[0].lang is None
    unanswerable = load_questions(write_jsonl(tmp_path / "u.jsonl", UNANSWERABLE))
    assert [(q.answerable, q.answer, q.source) for q in unanswerable] == [(False, None, None)] * 2


def test_measures_per_file_and_in_total(handbook, tmp_path):
    index = open_index(handbook)
    answerable = evaluate_questions(index, load_questions(write_jsonl(tmp_path / "a.jsonl", ANSWERABLE)), [1, 5])
    unanswerable = evaluate_questions(index, load_questions(write_jsonl(tmp_path / "u.jsonl", UNANSWERABLE)), [1, 5])
    measures = answerable.measures()
    assert measures["fact_in_answer"] == Tally(4, 5) and measures["fact_in_citation"] == Tally(4, 5)
    assert measures["first_citation_right"] == Tally(2, 4) and measures["any_citation_right"] == Tally(2, 4)
    assert measures["answerable_refused"] == Tally(0, 5) and measures["unanswerable_refused"] == Tally(0, 0)
    assert measures["source_recall@5"] == Tally(5, 5)
    assert unanswerable.measures()["unanswerable_refused"] == Tally(1, 2)
    total = merge([answerable, unanswerable]).measures()
    assert total["fact_in_answer"] == Tally(4, 5) and total["unanswerable_refused"] == Tally(1, 2)
    assert total["answerable_refused"] == Tally(0, 5) and total["source_recall@5"] == Tally(5, 5)
    failed = {o.question.line: o.failures for o in answerable.failed}
    assert failed[2][-1] == "no citation is from report.pdf page 1"
    assert failed[3][-1] == "no citation is from pandas.txt"
    assert failed[5][-1].startswith("the answer does not contain 'eucalyptus leaves'; it says:")
    assert 1 not in failed and 4 not in failed


def test_qa_eval_takes_several_files_and_reports_each_and_the_total(handbook, tmp_path, capsys):
    paths = [
        write_jsonl(tmp_path / "dd-answerable.jsonl", ANSWERABLE),
        write_jsonl(tmp_path / "dd-none.jsonl", UNANSWERABLE),
    ]
    assert main(["eval", "--questions", *map(str, paths), *where(handbook)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"7 questions on the index at {handbook.index} (v")
    assert lines[1].split() == ["answerable", "none", "total"]
    rows = {line[:22].strip(): line[22:].split() for line in lines[2:12]}
    assert rows["fact in the answer"] == ["4/5", "0.800", "-", "4/5", "0.800"]
    assert rows["first citation right"] == ["2/4", "0.500", "-", "2/4", "0.500"]
    assert rows["unanswerable refused"] == ["-", "1/2", "0.500", "1/2", "0.500"]
    assert rows["short answer wrong"] == ["0/4", "0.000", "-", "0/4", "0.000"]  # "how" asks for no short answer
    assert lines[12:] == [
        "answerable: 3 of 5 questions failed (--verbose lists them)",
        "none: 1 of 2 questions failed (--verbose lists them)",
    ]
    assert main(["eval", "--questions", *map(str, paths), "--verbose", *where(handbook)]) == 0
    out = capsys.readouterr().out
    assert "answerable: 3 of 5 questions failed:\n  line 2: How is saffron harvested?\n" in out
    assert "none: 1 of 2 questions failed:\n  line 2: What do giant pandas eat?\n" in out


def test_one_file_lists_the_answer_and_citation_measures_with_its_figures(handbook, tmp_path, capsys):
    assert main(["eval", "--questions", str(write_jsonl(tmp_path / "a.jsonl", ANSWERABLE)), *where(handbook)]) == 0
    out = capsys.readouterr().out
    assert "  fact in the answer      0.800   (4 of 5 with an answer)\n" in out
    assert "  any citation right      0.500   (2 of 4 right answers with a source)\n" in out
    assert "3 of 5 questions failed:\n" in out


def test_qa_eval_json_has_each_file_and_the_file_of_each_failure(handbook, tmp_path):
    paths = [write_jsonl(tmp_path / "a.jsonl", ANSWERABLE), write_jsonl(tmp_path / "u.jsonl", UNANSWERABLE)]
    result = run_qa("eval", "--questions", *map(str, paths), "--json", *where(handbook))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["questions"] == 7 and [f["file"] for f in data["files"]] == ["a", "u"]
    assert data["measures"]["fact_in_answer"] == {"count": 4, "total": 5, "share": 0.8}
    assert data["files"][1]["measures"]["unanswerable_refused"] == {"count": 1, "total": 2, "share": 0.5}
    assert [(f["file"], f["line"]) for f in data["failed"]] == [("a", 2), ("a", 3), ("a", 5), ("u", 2)]


def test_the_answer_text_and_the_citations_are_measured_apart():
    citation = Citation(1, Span("a.txt", 0, 40, 1, 1), "Run dpkg-buildpackage -us -uc in the tree.", 0.9)
    answer = Answer("q", "Unpack the source. [1] Run dpkg-buildpackage -us -uc. [2]", True, (citation,))
    assert text_contains(answer, "the SOURCE. run dpkg-buildpackage -us")
    assert not text_contains(answer, "in the tree") and cited_contains(answer, "in the tree")
    assert not cited_contains(Answer("q", "", False, (citation,)), "in the tree"), "a refusal holds nothing"


def test_columns_are_named_by_file_less_their_shared_prefix():
    assert short_names([Path("d/debian-dev-questions.jsonl"), Path("debian-dev-unanswerable.jsonl")]) == [
        "questions",
        "unanswerable",
    ]
    assert short_names([Path("questions.jsonl")]) == ["questions"]
    assert short_names([Path("a/q.jsonl"), Path("b/q.jsonl")]) == ["a/q.jsonl", "b/q.jsonl"]


def test_the_short_answer_is_scored_against_the_fact(tmp_path, embedder):
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    settings.corpus.mkdir()
    (settings.corpus / "dpkg.txt").write_text(
        "Package files\n\nTo see every file that an installed package put on the system, run dpkg --listfiles "
        "with the package's name.\n\nTo remove a package and its files, run apt remove with its name.\n"
    )
    build_index(settings)
    question = "Which command shows every file an installed package put on the system?"
    report = evaluate_questions(
        open_index(settings),
        [GoldQuestion(1, question, answer="dpkg --listfiles"), GoldQuestion(2, question, answer="every file")],
        [1],
    )
    measures = report.measures()
    assert measures["short_answer_right"] == Tally(1, 2) and measures["short_answer_wrong"] == Tally(1, 2)
    assert report.outcomes[1].failures == ("the short answer is '--listfiles', not 'every file'",)
