"""Page furniture, which is never an answer: contents lines, page numbers, running headers."""

from __future__ import annotations

from qa.furniture import is_furniture


def test_a_contents_line_with_a_dot_leader_is_furniture():
    assert is_furniture("7.12 How do I put a package on hold? . . . . . . . . . . . . . 31")
    assert is_furniture("Introduction ........................ iv")
    assert is_furniture("unstable flow directly down into testing? . . . . . . . . . . . . . . ")


def test_a_sentence_that_ends_in_a_number_is_not_furniture():
    assert not is_furniture("Debian includes more than 59100 software packages at present, at last count 12")
    assert not is_furniture("The stable release is Debian 11.")
    assert not is_furniture("Wait... then run apt-get update.")


def test_lone_page_numbers_and_bare_chapter_lines_are_furniture():
    for text in ("12", "xiv", "Page 3 of 10", "- 4 -", "Chapter 7", "CHAPTER 11", "Contents"):
        assert is_furniture(text), text


def test_a_short_line_in_capitals_is_a_running_header_but_a_shouted_sentence_is_not():
    assert is_furniture("CHAPTER 7. BASICS OF THE DEBIAN PACKAGE\u2026")
    assert is_furniture("1.3. OK, NOW I KNOW WHAT DEBIAN IS...")
    assert not is_furniture("NO WARRANTY IS GIVEN.")
    assert not is_furniture("Use GPL or MIT.")
    assert not is_furniture("")


def test_a_line_of_chinese_is_not_a_running_header():
    assert not is_furniture("本港的图书馆逢星期一休息。")
    assert not is_furniture("借书证可以在任何分馆申请")


def test_lines_of_links_to_other_parts_are_furniture_and_a_step_that_says_next_is_not():
    assert is_furniture("Jump to: | . : [ A B C D E")
    assert is_furniture("Next: Readline vi Mode, Previous: Readline Init File, Up: Command Line Editing [Contents]")
    assert not is_furniture("Next: run the installer, then reboot.")
    assert not is_furniture("Up: the parent directory of the repository.")
