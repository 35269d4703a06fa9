"""Displays in manuals made with Texinfo and the like: a sentence that breaks off where an example, a command or a
setting is set apart ("... which can be overcome by setting" FPIEFLAGS=-fPIE "in config.site.") is one unit with
it, in a chunk or across two."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest
from helpers import indexed
from scans import placed_pdf

from qa import Settings
from qa.chunking import split_sentences
from qa.kinds import spans
from qa.loaders import SourceFile, load
from qa.units import unit_of

COMPILERS = """C.2 Compilers

Recent versions have OpenMP support. There are problems mixing clang 15 built to produce PIE code and gfortran 12,
which do not. One symptom is that configure does not detect FC_LEN_T, which can be overcome by setting

FPIEFLAGS=-fPIE

in config.site.

If you want to use a make by another name, for example if your GNU make is called gmake, you need to set the
variable MAKE at configure time, for example

./configure MAKE=gmake

C.3 Using Fortran

The Fortran compiler is found by configure. It prefers gfortran where it is installed, and the choice is kept
for every package built later.
"""


def units(text: str) -> dict[str, str]:
    """Each sentence of `text`, with the unit it belongs to."""
    found = split_sentences(text)
    out = {}
    for n, (a, b) in enumerate(found):
        first, last = unit_of(text, found, n)
        out[text[a:b]] = text[found[first][0] : found[last][1]]
    return out


def test_a_sentence_that_breaks_off_is_one_unit_with_its_display_and_the_words_that_end_it():
    by_sentence = units(COMPILERS)
    whole = "which can be overcome by setting\n\nFPIEFLAGS=-fPIE\n\nin config.site."
    assert by_sentence["FPIEFLAGS=-fPIE"].endswith(whole)
    assert by_sentence["FPIEFLAGS=-fPIE"].startswith("One symptom is that configure")
    lead = next(s for s in by_sentence if s.startswith("One symptom"))
    assert by_sentence[lead].endswith(whole)
    assert by_sentence["./configure MAKE=gmake"].startswith("If you want to use a make by another name")
    assert by_sentence["C.3 Using Fortran"] == "C.3 Using Fortran", "a numbered heading ends the display"
    finished = next(s for s in by_sentence if s.startswith("Recent versions"))
    assert by_sentence[finished] == finished, "a finished sentence introduces nothing"


def test_prose_after_a_sentence_broken_by_a_page_is_no_display_but_a_record_is():
    text = "The package is then built by the\n\nmaintainer of the package, who checks every file of it again.\n"
    found = split_sentences(text)
    assert [unit_of(text, found, n) for n in range(len(found))] == [(0, 0), (1, 1)]
    record = (
        "A sample control file is shown below for the package hello:\n\nPackage: hello\nVersion: 2.9-2\n"
        "Maintainer: Santiago Vila <sanvila@debian.org> and the rest of a long line\nInstalled-Size: 145\n"
    )
    last = next(unit for sentence, unit in units(record).items() if sentence.endswith("Installed-Size: 145"))
    assert last.startswith("A sample control file"), "a field's line is no prose"


def test_a_variable_with_its_value_is_one_field_and_a_number_inside_a_token_is_none():
    text = "Set _R_CHECK_DEPENDS_ONLY_=true, or MKL_INTERFACE_LAYER=GNU,LP64; on x86_64 it runs 20x slower."
    assert [text[a:b] for a, b in spans("field", text)] == [
        "_R_CHECK_DEPENDS_ONLY_=true",
        "MKL_INTERFACE_LAYER=GNU,LP64",
    ]
    assert [text[a:b] for a, b in spans("number", text)] == ["20x"]


def test_a_footnote_mark_after_a_full_stop_ends_the_sentence():
    text = "This is done via OMP_THREAD_LIMIT, where implemented.39 Alternatively, set OMP_NUM_THREADS. R 4.2.39 Then."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "This is done via OMP_THREAD_LIMIT, where implemented.39",
        "Alternatively, set OMP_NUM_THREADS.",
        "R 4.2.39 Then.",
    ]


@pytest.fixture(scope="module")
def manual(tmp_path_factory, embedder):
    return indexed(tmp_path_factory.mktemp("texinfo"), "admin.txt", COMPILERS, chunk_tokens=48, chunk_overlap=0)


def test_the_setting_after_a_broken_off_sentence_is_the_answer_and_its_short_answer(manual):
    answer = manual.ask("Configure does not detect FC_LEN_T with clang 15. What variable should I set in config.site?")
    assert answer.answered, answer.reason
    first = answer.citations[0].text
    assert "which can be overcome by setting\n\nFPIEFLAGS=-fPIE\n\nin config.site." in first
    assert answer.short is not None and answer.short.text == "FPIEFLAGS=-fPIE"
    assert first[answer.short.start : answer.short.end] == answer.short.text


def test_a_chunk_that_ends_with_the_lead_in_reaches_on_over_its_display(manual):
    from qa.retrieval import with_display
    from qa.types import Hit

    chunks = manual.snapshot.chunks(list(range(1, 20)))
    chunk_id, chunk = next((i, c) for i, c in chunks.items() if c.text.endswith("which can be overcome by setting"))

    reached = with_display(manual.snapshot, Hit(chunk_id, chunk, 1.0)).chunk

    assert reached.text.endswith("by setting\n\nFPIEFLAGS=-fPIE\n\nin config.site.")
    assert reached.start == chunk.start and reached.line_end > chunk.line_end
    assert COMPILERS[reached.start : reached.end] == reached.text


def test_an_identifier_broken_after_an_underscore_at_a_pdf_line_end_is_whole():
    lines = [
        (72, 100, "The check and build environment files are named by the environment variables R_"),
        (72, 114, "CHECK_ENVIRON and R_BUILD_ENVIRON; if unset, ~/.R/check.Renviron is read."),
    ]
    data = placed_pdf([lines], font_size=9)
    document, _ = load(SourceFile("check.pdf", Path("check.pdf"), len(data), 0.0), data, Settings())
    assert "environment variables R_CHECK_ENVIRON and R_BUILD_ENVIRON;" in document.text


def test_a_short_sentence_that_only_says_there_are_some_is_one_unit_with_the_next_that_says_which():
    text = (
        "The port is busy. While the game industry is thriving, it is not without challenges. The city faces "
        "competition from Lisbon and Madrid, and rents rise.\n\nIt has several uses.\n\nA new paragraph."
    )
    found = units(text)
    assert found["While the game industry is thriving, it is not without challenges."].endswith("rents rise.")
    assert found["The city faces competition from Lisbon and Madrid, and rents rise."].startswith("The city")
    assert found["It has several uses."] == "It has several uses."  # the next paragraph is not what it announces


def test_a_list_item_goes_on_over_the_lines_indented_under_it():
    text = (
        "Each action has these properties:\n\n"
        "  * `href` - String URL to download the object.\n"
        "  * `expires_in` - Whole number of seconds after local client time when\n"
        "    transfer will expire. Preferred over `expires_at` if both are provided.\n"
        "    Maximum of 2147483647, minimum of -2147483647.\n"
        "  * `expires_at` - String timestamp of when the action expires.\n"
        "Actions are optional."
    )
    found = units(text)
    maximum = found["Maximum of 2147483647, minimum of -2147483647."]
    assert "* `expires_in` - Whole number" in maximum and maximum.endswith("minimum of -2147483647.")
    assert "Maximum of" not in found["* `expires_at` - String timestamp of when the action expires."]
    assert found["Actions are optional."] == "Actions are optional."  # back at the bullet's own margin
    flat = units("* `href` - String URL.\nMaximum of 20 characters.")
    assert flat["Maximum of 20 characters."] == "Maximum of 20 characters."  # no indent: not the item's


def test_a_sentence_that_only_gives_a_default_is_one_unit_with_what_it_is_the_default_of():
    text = (
        "--maxrejects positive integer\n\nMaximum number of non-matching target sequences to consider before "
        "stopping the search. The default value is 32.\n\nThe search then ends.\n\nDefault: 5 seconds."
    )
    found = units(text)
    whole = "Maximum number of non-matching target sequences to consider before stopping the search. The default value is 32."
    assert found["The default value is 32."] == whole
    assert found["Maximum number of non-matching target sequences to consider before stopping the search."] == whole
    assert found["Default: 5 seconds."] == "Default: 5 seconds."  # a paragraph of its own says no more


STASH_TERMS = (
    "You need to resolve the conflicts by hand.\n\napply [--index] [-q|--quiet] [<stash>]\n\nLike pop, but do not "
    "remove the state from the stash list. Unlike pop, the stash may be any commit.\n\nbranch <branchname> "
    "[<stash>]\n\nCreates and checks out a new branch.\n\nRegenerate the POT and PO files.\n\ndebconf-updatepo\n\n"
    "At this point, the typo fix fuzzied all the translations."
)


def test_a_description_is_one_unit_with_the_term_it_describes_in_a_list_of_terms():
    found = units(STASH_TERMS)
    assert found["Unlike pop, the stash may be any commit."].startswith("apply [--index]")
    assert found["Creates and checks out a new branch."].startswith("branch <branchname>")
    assert found["At this point, the typo fix fuzzied all the translations."].startswith("At this point")  # a command
    alone = units("The merge driver is picked per path.\n\nconflict-marker-size\n\nThis attribute sets the length.")
    assert alone["This attribute sets the length."].startswith("conflict-marker-size")


def test_a_subcommand_described_in_other_words_is_cited_with_its_term(tmp_path, embedder):
    items = [
        ("list [<log-options>]", "List the stash entries that you currently have."),
        ("pop [--index] [-q|--quiet] [<stash>]", "Remove a single stashed state from the stash list and apply it."),
        ("apply [--index] [-q|--quiet] [<stash>]", "Like pop, but do not remove the state from the stash list."),
        ("drop [-q|--quiet] [<stash>]", "Remove a single stash entry from the list of stash entries."),
    ]
    html = "<html><body><h1>git-stash</h1><dl>"
    html += "".join(f"<dt>{escape(t)}</dt><dd><p>{escape(d)}</p></dd>" for t, d in items)
    answer = indexed(tmp_path, "git-stash.html", html + "</dl></body></html>").ask(
        "Which subcommand applies a stashed state but does not remove it from the stash list?"
    )
    assert answer.answered, answer.reason
    assert answer.citations[0].text.startswith("apply [--index]"), answer.citations[0].text


def test_a_sentence_that_draws_its_point_from_the_one_before_is_one_unit_with_it():
    text = (
        "BORG_PASSCOMMAND runs a command. Note that the command is executed without a shell. So variables, like $HOME "
        "will work, but ~ won't. So many options exist."
    )
    found = units(text)
    assert found["So variables, like $HOME will work, but ~ won't."].startswith("Note that the command")
    assert found["So many options exist."] == "So many options exist."  # no consequence
