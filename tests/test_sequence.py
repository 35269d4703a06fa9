"""A question about the order of a list: the line next to the named one, on the side asked for."""

from __future__ import annotations

import pytest

from qa import sequence
from qa.sequence import Neighbour

STEPS = """\
Building the package

debian/rules build runs dh build, which in turn runs the following:

dh_testdir
dh_auto_configure
dh_auto_build
dh_auto_test

fakeroot debian/rules binary runs fakeroot dh binary, which in turn runs the following:

dh_testroot
dh_install
dh_strip
dh_gencontrol
dh_md5sums
dh_builddeb

Each of these commands is documented in its manual page.
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("In the sequence run by dh binary, which one comes right before dh_builddeb?", Neighbour(-1, "dh_builddeb")),
        ("What runs after dh_gencontrol?", Neighbour(1, "dh_gencontrol")),
        ("Which command follows `dh_strip`?", Neighbour(1, "dh_strip")),
        ("Dans cette suite, laquelle vient juste avant dh_builddeb ?", Neighbour(-1, "dh_builddeb")),
        ("在这个命令序列中，dh_builddeb 之前是哪一个？", Neighbour(-1, "dh_builddeb")),
        ("dh_builddeb の直前は何ですか？", Neighbour(-1, "dh_builddeb")),
        ("How do I build the package?", None),
        ("What should I check before uploading?", Neighbour(-1, "uploading")),  # no line is named so: no effect
    ],
)
def test_what_an_order_question_asks_for(question, expected):
    assert sequence.asked(question) == expected


def test_the_neighbour_is_in_the_same_block_on_the_asked_side():
    before, after = Neighbour(-1, "dh_builddeb"), Neighbour(1, "dh_testroot")
    at = {
        line: STEPS.index(f"\n{line}\n") + 1 for line in ("dh_md5sums", "dh_gencontrol", "dh_install", "dh_auto_test")
    }
    assert sequence.next_to(before, STEPS, at["dh_md5sums"], at["dh_md5sums"] + 10)
    assert not sequence.next_to(before, STEPS, at["dh_gencontrol"], at["dh_gencontrol"] + 13)
    assert sequence.next_to(after, STEPS, at["dh_install"], at["dh_install"] + 10)
    assert not sequence.next_to(Neighbour(-1, "fakeroot"), STEPS, at["dh_auto_test"], at["dh_auto_test"] + 12)


def test_an_order_question_is_answered_with_the_neighbouring_line(tmp_path, embedder):
    from qa import build_index, open_index
    from qa.config import Settings

    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    settings.corpus.mkdir()
    (settings.corpus / "rules.txt").write_text(STEPS)
    build_index(settings)

    index = open_index(settings)

    before = index.ask("In the sequence run by dh binary, which one comes right before dh_builddeb?")
    after = index.ask("Which command runs after dh_gencontrol?")

    for answer in (before, after):
        assert answer.answered, answer.reason
        assert answer.short is not None and answer.short.text == "dh_md5sums"
        assert answer.citations[0].text.startswith("fakeroot debian/rules binary runs fakeroot dh binary")
        assert STEPS[answer.citations[0].start : answer.citations[0].end] == answer.citations[0].text
    assert before.citations[0].text.endswith("\ndh_md5sums\ndh_builddeb")
    assert after.citations[0].text.endswith("\ndh_gencontrol\ndh_md5sums")


def test_prose_paragraphs_are_no_sequence():
    text = "The first paragraph ends here.\nTheory comes next, in the second paragraph."
    assert not sequence.next_to(Neighbour(-1, "Theory"), text, 0, 10)
