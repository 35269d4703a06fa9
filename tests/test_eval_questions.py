"""`qa eval --questions`: your own questions scored on the current index, figures known by construction."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import ROOT, run_qa

from qa import Answer, Citation, Settings, build_index, open_index
from qa.cli import main
from qa.goldset import QuestionsError, answer_contains, evaluate_questions, load_questions
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
    report = evaluate_questions(open_index(hk_index), load_questions(ROOT / "examples" / "questions.jsonl"), [1, 5])
    assert len(report.outcomes) == 13 and len(report.with_source) == 3 and len(report.unanswerable) == 8
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
