"""`qa eval`: metric code on a tiny hand-made SQuAD file whose figures are known by construction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_qa

ORCHARD = (
    "Apple orchards cover the valleys of Washington State. Growers there pick about ten billion apples every autumn."
)
VARIETIES = "The Honeycrisp apple was developed at the University of Minnesota. It was released to growers in 1991."
ETNA = (
    "Mount Etna is an active volcano on the east coast of Sicily. "
    "Its eruptions have buried the town of Catania several times."
)
# Two articles, three paragraphs: each question names words of its own paragraph only, so every figure
# below follows from the construction.
SQUAD_V2 = {
    "version": "v2.0",
    "data": [
        {
            "title": "Apples",
            "paragraphs": [
                {
                    "context": ORCHARD,
                    "qas": [
                        {
                            "id": "a1",
                            "question": "Which state has valleys covered by apple orchards?",
                            "is_impossible": False,
                            "answers": [
                                {"text": "Washington State", "answer_start": ORCHARD.index("Washington State")},
                                {"text": "washington", "answer_start": ORCHARD.index("Washington")},
                            ],
                        },
                    ],
                },
                {
                    "context": VARIETIES,
                    "qas": [
                        {
                            "id": "a2",
                            "question": "Where was the Honeycrisp apple developed?",
                            "is_impossible": False,
                            "answers": [
                                {"text": "University of Minnesota", "answer_start": VARIETIES.index("University")}
                            ],
                        },
                        {
                            "id": "a3",
                            "question": "How do I bake sourdough bread at home?",
                            "is_impossible": True,
                            "answers": [],
                            "plausible_answers": [{"text": "1991", "answer_start": VARIETIES.index("1991")}],
                        },
                    ],
                },
            ],
        },
        {
            "title": "Volcanoes (Sicily)",
            "paragraphs": [
                {
                    "context": ETNA,
                    "qas": [
                        {
                            "id": "v1",
                            "question": "Which town have the eruptions of Mount Etna buried?",
                            "is_impossible": False,
                            "answers": [{"text": "Catania", "answer_start": ETNA.index("Catania")}],
                        },
                    ],
                },
            ],
        },
    ],
}
KEYS = [
    "recall@1",
    "recall@3",
    "mrr",
    "answer_hit",
    "answer_hit@3",
    "unanswerable_refused",
    "answerable_refused",
    "mean_answer_chars",
    "seconds_per_question",
    "tradeoff",
]


def v1(data: dict) -> dict:
    """The same file as SQuAD v1.1: no is_impossible, no unanswerable questions."""
    articles = []
    for article in data["data"]:
        paragraphs = []
        for p in article["paragraphs"]:
            qas = [
                {k: v for k, v in q.items() if k in ("id", "question", "answers")}
                for q in p["qas"]
                if not q["is_impossible"]
            ]
            paragraphs.append({"context": p["context"], "qas": qas})
        articles.append({"title": article["title"], "paragraphs": paragraphs})
    return {"version": "1.1", "data": articles}


@pytest.fixture
def squad_file(tmp_path) -> Path:
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(SQUAD_V2), encoding="utf-8")
    return path


def outcome(
    rank,
    answered=True,
    cited=(),
    impossible=False,
    answers=("Catania",),
    chars=10,
    seconds=0.5,
    probability=None,
    loose=None,
):
    from qa.evaluation import Outcome, Question

    question = Question("id", "q?", "T", "T.txt", 0, 10, () if impossible else answers, impossible)
    p = (0.9 if answered else 0.05) if probability is None else probability
    return Outcome(question, rank, answered, tuple(cited), chars, seconds, p, tuple(cited if loose is None else loose))


def test_paragraph_offsets_point_into_the_article_document():
    from qa.evaluation import parse_dataset

    dataset = parse_dataset(SQUAD_V2)
    apples = dataset.documents["Apples.txt"]
    assert apples == ORCHARD + "\n\n" + VARIETIES
    by_id = {q.id: q for q in dataset.questions}
    assert (by_id["a1"].start, by_id["a1"].end) == (0, len(ORCHARD))
    assert apples[by_id["a2"].start : by_id["a2"].end] == VARIETIES
    assert by_id["a2"].start == len(ORCHARD) + 2
    assert by_id["a1"].answers == ("Washington State", "washington")
    assert by_id["a3"].impossible and by_id["a3"].answers == ()
    assert dataset.titles == {"Apples": "Apples.txt", "Volcanoes (Sicily)": "Volcanoes_(Sicily).txt"}
    assert dataset.version == "v2.0" and dataset.has_unanswerable


def test_v1_file_has_no_unanswerable_questions():
    from qa.evaluation import parse_dataset

    dataset = parse_dataset(v1(SQUAD_V2))
    assert dataset.version == "v1.1" and not dataset.has_unanswerable
    assert [q.id for q in dataset.questions] == ["a1", "a2", "v1"]


def test_article_titles_become_distinct_safe_file_names():
    from qa.evaluation import file_name

    assert file_name("Sky_(United_Kingdom)", set()) == "Sky_(United_Kingdom).txt"
    assert file_name("../etc/passwd", set()) == "etc_passwd.txt"
    assert file_name("A/B", {"A_B.txt"}) == "A_B-2.txt"


def test_articles_filter_selects_questions_and_rejects_unknown_titles():
    from qa.evaluation import DatasetError, parse_dataset

    dataset = parse_dataset(SQUAD_V2)
    assert [q.id for q in dataset.select(["Volcanoes (Sicily)"])] == ["v1"]
    assert len(dataset.select(None)) == 4
    with pytest.raises(DatasetError, match="Atlantis"):
        dataset.select(["Atlantis"])


def test_not_squad_json_is_a_dataset_error(tmp_path):
    from qa.evaluation import DatasetError, load_dataset

    path = tmp_path / "x.json"
    path.write_text("[1, 2]")
    with pytest.raises(DatasetError, match="not a SQuAD file"):
        load_dataset(path)
    with pytest.raises(DatasetError, match="no dataset"):
        load_dataset(tmp_path / "missing.json")


def test_chunk_hits_its_paragraph_only_when_the_ranges_overlap():
    from qa.evaluation import Question, overlaps
    from qa.types import Chunk, Span

    question = Question("q", "?", "T", "T.txt", 100, 200, ("x",), False)
    chunk = lambda source, start, end: Chunk(Span(source, start, end, 1, 1), "")  # noqa: E731
    assert overlaps(chunk("T.txt", 150, 160), question)
    assert overlaps(chunk("T.txt", 0, 101), question)
    assert overlaps(chunk("T.txt", 199, 400), question)
    assert not overlaps(chunk("T.txt", 0, 100), question), "touching is not overlapping"
    assert not overlaps(chunk("T.txt", 200, 300), question)
    assert not overlaps(chunk("U.txt", 150, 160), question), "another article"


def test_recall_and_mrr_by_hand():
    from qa.evaluation import mean_reciprocal_rank, recall_at

    ranks = [1, 3, None, 2]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 2) == 0.5
    assert recall_at(ranks, 3) == 0.75
    assert recall_at(ranks, 20) == 0.75
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert recall_at([], 1) is None and mean_reciprocal_rank([]) is None


def test_answer_containment_ignores_case_and_spacing():
    from qa.evaluation import contains_answer

    assert contains_answer("It was buried near CATANIA in 1669.", ["Catania"])
    assert contains_answer("the University of\nMinnesota", ["University of  Minnesota"])
    assert not contains_answer("Sicily", ["Catania", "  "])


def test_summary_figures_by_hand():
    from qa.evaluation import summarize

    outcomes = [
        outcome(1, cited=["Etna buried Catania.", "x"], chars=100, seconds=0.1),  # hit first
        outcome(2, cited=["Nothing here.", "Catania again.", "x"], chars=200, seconds=0.2),  # hit only in top 3
        outcome(None, cited=["a", "b", "c", "Catania"], chars=300, seconds=0.3),  # hit only 4th
        outcome(1, answered=False, cited=["Catania"], chars=40, seconds=0.4),  # refused: never a hit
        outcome(None, answered=False, impossible=True, chars=40, seconds=0.5),
        outcome(3, answered=True, impossible=True, cited=["Catania"], chars=60, seconds=0.6),
    ]
    report = summarize(outcomes, [1, 5], unanswerable=True)
    assert list(report) == [
        "recall@1",
        "recall@5",
        "mrr",
        "answer_hit",
        "answer_hit@3",
        "unanswerable_refused",
        "answerable_refused",
        "mean_answer_chars",
        "seconds_per_question",
        "tradeoff",
    ]
    assert report["recall@1"] == 0.5  # answerable ranks 1, 2, None, 1
    assert report["recall@5"] == 0.75
    assert report["mrr"] == round((1 + 0.5 + 0 + 1) / 4, 4)
    assert report["answer_hit"] == 0.25
    assert report["answer_hit@3"] == 0.5
    assert report["unanswerable_refused"] == 0.5
    assert report["answerable_refused"] == 0.25
    assert report["mean_answer_chars"] == 165.0  # answered: 100, 200, 300, 60
    assert report["seconds_per_question"] == 0.35
    assert summarize(outcomes[:4], [1], unanswerable=False)["unanswerable_refused"] is None


def test_the_tradeoff_replays_one_pass_at_each_strictness():
    from qa.evaluation import tradeoff

    outcomes = [
        outcome(1, cited=["Etna buried Catania."], probability=0.9),
        outcome(1, answered=False, probability=0.15, loose=["Catania burned."]),  # refused by default, right at 0.1
        outcome(1, cited=["Nothing here."], probability=0.35),
        outcome(None, answered=False, impossible=True, probability=0.05, loose=["Something."]),
        outcome(None, impossible=True, probability=0.45, cited=["Something."]),
    ]
    rows = {row["strictness"]: row for row in tradeoff(outcomes, True)}
    assert rows[0.0] == {
        "strictness": 0.0,
        "unanswerable_refused": 0.0,
        "answerable_refused": 0.0,
        "answer_hit": 0.6667,
    }
    assert rows[0.1]["answer_hit"] == 0.6667 and rows[0.1]["unanswerable_refused"] == 0.5
    assert rows[0.2] == {
        "strictness": 0.2,
        "unanswerable_refused": 0.5,
        "answerable_refused": 0.3333,
        "answer_hit": 0.3333,
    }
    assert rows[0.5] == {
        "strictness": 0.5,
        "unanswerable_refused": 1.0,
        "answerable_refused": 0.6667,
        "answer_hit": 0.3333,
    }


def test_cutoffs_must_be_positive(squad_file, embedder):
    from qa.config import Settings
    from qa.evaluation import DatasetError, evaluate

    with pytest.raises(DatasetError, match="positive"):
        evaluate(squad_file, Settings(), [0, 5])


def test_evaluate_on_the_tiny_file_gives_the_figures_of_its_construction(squad_file, embedder):
    from qa.config import Settings
    from qa.evaluation import evaluate

    # 60-token chunks: each paragraph is one chunk, so recall@3 covers every chunk of the corpus.
    settings = Settings(chunk_tokens=60, chunk_overlap=0)
    report = evaluate(squad_file, settings, [1, 3])
    assert list(report) == KEYS
    assert report["recall@3"] == 1.0  # three chunks in all
    assert report["recall@1"] == 1.0 and report["mrr"] == 1.0
    assert report["answer_hit"] == 1.0 and report["answer_hit@3"] == 1.0
    assert report["unanswerable_refused"] == 1.0  # the off-topic question
    assert report["answerable_refused"] == 0.0
    assert 0 < report["mean_answer_chars"] < 400
    assert report["seconds_per_question"] > 0

    only_volcano = evaluate(squad_file, settings, [1], articles=["Volcanoes (Sicily)"])
    assert only_volcano["recall@1"] == 1.0 and only_volcano["unanswerable_refused"] is None


def test_qa_eval_prints_json_with_exactly_the_report_keys(tmp_path):
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(v1(SQUAD_V2)), encoding="utf-8")
    result = run_qa("eval", str(path), "--k", "1,3", "--json", env={"QA_CHUNK_TOKENS": "60", "QA_CHUNK_OVERLAP": "0"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report) == KEYS
    assert report["recall@3"] == 1.0 and report["unanswerable_refused"] is None
    text = run_qa("eval", str(path), "--k", "3", "--articles", "Apples", env={"QA_CHUNK_TOKENS": "60"})
    assert text.returncode == 0, text.stderr
    assert "retrieval recall@3" in text.stdout and "1.000" in text.stdout
    unknown = run_qa("eval", str(path), "--articles", "Atlantis")
    assert unknown.returncode == 1 and "no article titled Atlantis" in unknown.stderr


def test_paragraph_without_context_is_a_dataset_error():
    from qa.evaluation import DatasetError, parse_dataset

    with pytest.raises(DatasetError, match="context"):
        parse_dataset({"data": [{"title": "T", "paragraphs": [{"qas": []}]}]})
