"""The unit of text that holds a fact: a sentence, a command or code block with the sentence that introduces it
(or a display with the sentence it breaks off), a list item with its lead-in, a table row with its header row, the
answer to a question the text asks; one contiguous span of a chunk."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from qa.kinds import DEFAULT_GIVEN, is_code_line, is_setting_line
from qa.kinds import PROMPT as SHELL_PROMPT

LEAD_IN = re.compile(
    r"(?::|\b(?:run|running|execute|type|use|using|enter|invoke|call|try|with|following|command|commands|as follows"
    r"|like this|for example|e\.g\.|such as|do|via))\s*:?$"
    r"|\bfollowing(?:\s+[\w-]+){1,2}\s*[.:]?$",  # "... access points with following details."
    re.I,
)
ANNOUNCES = re.compile(
    r"\b(?:without|several|many|some|various|a few|a number of|a couple of|two|three|four|five|certain|its share of"
    r"|no shortage of|key|main|major|important)\s+(?:[\w-]+\s+)?(?:challenges|ways|reasons|options|problems"
    r"|drawbacks|advantages|disadvantages|benefits|limitations|issues|risks|steps|methods|approaches|exceptions"
    r"|caveats|differences|requirements|alternatives|obstacles|hurdles|concerns|threats|uses)\s*\.$",
    re.I,
)  # "..., it is not without challenges.": the sentence after it says which
MAX_ANNOUNCING_WORDS = 16
SYMBOL_TERM = re.compile(r"[!^$%@#~&][^\s]{0,30}")  # a symbol of history or a shell: "!!", "^old^new^", "${x:-y}"
TERM_START = re.compile(rf"^\s*(?:--?[A-Za-z\d]|[a-z][\w.-]*(?:\s|$)|{SYMBOL_TERM.pattern}$)")  # "--unshallow"
# "[<stash>]", "--reason <string>", "-q|--quiet", a key binding "(C-x C-e)", "(M-. or M-_)"
TERM_ARGUMENTS = re.compile(r"[\[<|=]|(?:^|\s)--?\w|\((?:[CM]-|\\[CM]-|ESC )")
MAX_TERM_WORDS = 8
MAX_EXAMPLES_BETWEEN = 2  # example blocks between a described term and the one before it
THIS_TERM = re.compile(
    r"(?:This|The above|Such an?) (?:attribute|option|command|subcommand|variable|setting|directive|flag|parameter"
    r"|pragma|function|method|macro|keyword|field|hook|helper)\b"
)  # a description that opens by pointing at the term above it
PROMPT = re.compile(rf"^\s*{SHELL_PROMPT}\S")  # a shell prompt: "$ make html", "user@host:~$ make html"
LIST_ITEM = re.compile(r"^\s*(?:([-*+•‣◦–])\s|\d{1,3}[.)]\s|\(?[a-z]\)\s)")  # group 1: a bullet's mark
# A numbered heading: "B.6 Using Fortran", "6.13 Allowing interrupts".
SECTION = re.compile(r"^(?:\d+|[A-Z])(?:\.\d+)+\.?\s+\S")
SECTION_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*\.?\s+")  # "7.12 " of "7.12 How do I put a package on hold?"
PROSE_WORD = re.compile(r"[A-Za-z][\w'’-]*[,;.:]?")
MAX_BLOCK_LINES = 12  # lines of a block or list that a lead-in reaches over (ten ports of a firewall list)
MAX_UNIT_CHARS = 700
MAX_DEFAULT_WORDS = 10
CONSEQUENCE = re.compile(
    r"(?:So(?! (?:many|much|far|long|that|as|to|too|few|called)\b)|Therefore|Thus|Hence|Consequently|As a result"
    r"|That is why|This is why|That's why)\b,? "
)  # "So variables work, but ~ won't.", not "So many options exist."


def is_heading(text: str) -> bool:
    """A title or a line that ends with a colon; a short list item ("• UDP 3478") is none."""
    if LIST_ITEM.match(text) and not text.endswith(":"):
        return False
    return text.endswith(":") or (len(text.split()) < 6 and not re.search(r"[.!?。！？]\d{0,2}$", text))


def headings_over(text: str, spans: Sequence[tuple[int, int]], n: int, most: int = 2) -> list[int]:
    """The indices of the headings over the list that sentence n is an item of, or sits just under, nearest first
    ("8.21.1 Highlights", then "8.21 FreedomBox 22.19 (2022-08-29)"): only list items and up to `most` headings
    may stand between, within a unit's size."""
    found: list[int] = []
    for back in range(n - 1, max(-1, n - 1 - MAX_BLOCK_LINES), -1):
        line = _at(text, spans, back)
        if _size(spans, back, n) > MAX_UNIT_CHARS or len(found) >= most:
            break
        if LIST_ITEM.match(line):
            continue
        if not is_heading(line) or line.endswith(":"):
            break
        found.append(back)
    return found


def is_lead_in(text: str) -> bool:
    return bool(LEAD_IN.search(text.rstrip()))


def announces(text: str) -> bool:
    """A short sentence that only says there are some of a thing ("It is not without challenges.")."""
    return len(text.split()) <= MAX_ANNOUNCING_WORDS and ANNOUNCES.search(text.rstrip()) is not None


def opens_display(text: str) -> bool:
    """The sentence introduces what follows it: a lead-in, or prose broken off by a display."""
    return (is_lead_in(text) and not is_block_line(text)) or is_unfinished(text)


def is_unfinished(text: str) -> bool:
    """Prose that stops mid-sentence where a display (an example, a command, a setting) takes over: "... which
    can be overcome by setting", "... at suitable points by calling from C"."""
    stripped = text.rstrip()
    return (
        _prose(stripped)
        and len(stripped.split()) >= 6
        and re.search(r"[\w,]$", stripped) is not None
        and re.search(r"[.!?]\d{1,2}$", stripped) is None  # a footnote's mark after a full stop
    )


def _prose(text: str) -> bool:
    """Words of running text, not a record's field ("Maintainer: Santiago Vila <...>") or a command."""
    words = text.split()
    return (
        len(words) >= 5
        and not words[0].endswith(":")
        and sum(bool(PROSE_WORD.fullmatch(w)) for w in words) >= 0.75 * len(words)
    )


def is_display_line(text: str) -> bool:
    """Lines of a display: short, no prose sentence, no numbered heading."""
    lines = text.split("\n")
    return len(lines) <= 3 and not SECTION.match(text) and all(len(x) <= 100 and not _prose(x) for x in lines)


def is_table_row(text: str) -> bool:
    return text.count(" | ") >= 1


def is_block_line(text: str, prompts: bool = False) -> bool:
    """A line of a code block, a list item or a table row: text that leans on what introduces it; with `prompts`,
    also any line after a shell prompt ("$ make html")."""
    prompted = prompts and bool(PROMPT.match(text))
    return prompted or is_code_line(text) or is_setting_line(text) or bool(LIST_ITEM.match(text)) or is_table_row(text)


def unit_of(text: str, spans: Sequence[tuple[int, int]], n: int, prompts: bool = False) -> tuple[int, int]:
    """The first and last index into `spans` (sentences of `text`) of the unit that sentence n belongs to; `prompts`
    as for `is_block_line`. A short sentence that gives a default ("The default value is 32.") is one unit with
    the sentence before it, which says what it is the default of."""
    first, last = _unit(text, spans, n, prompts)
    if (
        last + 1 < len(spans)
        and _gives_default(text, spans, last + 1)
        and _size(spans, first, last + 1) <= MAX_UNIT_CHARS
    ):
        return first, last + 1
    if first == n and n > 0 and _gives_default(text, spans, n):
        before = _unit(text, spans, n - 1, prompts)[0]
        return (before, last) if _size(spans, before, last) <= MAX_UNIT_CHARS else (first, last)
    return first, last


def _follows_from(text: str, spans: Sequence[tuple[int, int]], n: int) -> bool:
    """Sentence n draws its point from the one before it ("So ...", "Therefore ..."): the reason is there."""
    return (
        CONSEQUENCE.match(_at(text, spans, n)) is not None
        and _joined(text, spans, n - 1, n)
        and _size(spans, n - 1, n) <= MAX_UNIT_CHARS
    )


def _gives_default(text: str, spans: Sequence[tuple[int, int]], n: int) -> bool:
    """Sentence n only gives a default, right after the sentence before it: "The default value is 32.", "Default: 5"."""
    if n == 0:
        return False
    sentence = _at(text, spans, n)
    return (
        DEFAULT_GIVEN.match(sentence) is not None
        and len(sentence.split()) <= MAX_DEFAULT_WORDS
        and _joined(text, spans, n - 1, n)
        and not _gives_default(text, spans, n - 1)
    )


def _unit(text: str, spans: Sequence[tuple[int, int]], n: int, prompts: bool) -> tuple[int, int]:
    block = partial(is_block_line, prompts=prompts)
    sentence = text[spans[n][0] : spans[n][1]]
    if is_table_row(sentence):
        first = n
        while first > 0 and is_table_row(_at(text, spans, first - 1)) and _joined(text, spans, first - 1, first, True):
            first -= 1
        if first < n and _size(spans, first, n) <= MAX_UNIT_CHARS:
            return first, n
        return n, n
    if n > 0 and _answers(text, spans, n):  # "Where is the start angle of the first slice? The default is '90'."
        return n - 1, n
    if n > 0 and _follows_from(text, spans, n):  # "... executed without a shell. So variables work, but ~ won't."
        return n - 1, n
    if n > 0 and _continues_item(text, spans, n):  # "3. Under ..., there is a field "DNS Server". Set it to ..."
        first, _ = unit_of(text, spans, n - 1, prompts)
        return (first, n) if _size(spans, first, n) <= MAX_UNIT_CHARS else (n - 1, n)
    if block(sentence):
        first = _block_start(text, spans, n, prompts)
        last = n
        while (
            _item_lead_in(sentence)
            and last + 1 < len(spans)
            and last - n < MAX_BLOCK_LINES
            and not LIST_ITEM.match(_at(text, spans, last + 1))
            and (block(_at(text, spans, last + 1)) or is_display_line(_at(text, spans, last + 1)))
            and _joined(text, spans, last, last + 1, blank=True)
            and _size(spans, first, last + 1) <= MAX_UNIT_CHARS
        ):
            last += 1  # "• In the package's src directory run" and its command
        return first, last
    if is_lead_in(sentence) or is_unfinished(sentence):
        last = n
        while is_lead_in(sentence) and (
            last + 1 < len(spans)
            and last - n < MAX_BLOCK_LINES
            and (block(_at(text, spans, last + 1)) or _continues_item(text, spans, last + 1))
            and _joined(text, spans, last, last + 1, blank=True)
            and _size(spans, n, last + 1) <= MAX_UNIT_CHARS
        ):
            last += 1
        return n, last if last > n else _display_end(text, spans, n)
    if n + 1 < len(spans) and announces(sentence) and _joined(text, spans, n, n + 1):
        following = _at(text, spans, n + 1)
        if _prose(following) and _size(spans, n, n + 1) <= MAX_UNIT_CHARS:
            return n, n + 1
    term = _described_term(text, spans, n)
    if term is not None:
        return term, n
    lead = _display_lead(text, spans, n)
    if lead is not None:
        end = _display_end(text, spans, lead)
        return lead, end if end == n + 1 and _continuation(_at(text, spans, end)) else n
    return n, n


def is_term_line(text: str) -> bool:
    """The term of a definition list, alone on its line: a subcommand or an option with its arguments
    ("apply [--index] [-q|--quiet] [<stash>]", "--fastq_minovlen", "repair [<path>…]")."""
    words = text.split()
    return (
        "\n" not in text
        and 1 <= len(words) <= MAX_TERM_WORDS
        and TERM_START.match(text) is not None
        and (not text.rstrip().endswith((".", ":", "!", "?", ",")) or SYMBOL_TERM.fullmatch(text.strip()) is not None)
        and (len(words) == 1 or TERM_ARGUMENTS.search(text) is not None)
    )


def _described_term(text: str, spans: Sequence[tuple[int, int]], n: int) -> int | None:
    """The term line that the paragraph holding sentence n describes, where it stands alone right above it and
    a sibling term stands above the paragraph before it or below this one: a list of terms, not a command shown
    between two paragraphs."""
    first = _paragraph_start(text, spans, n)
    term = first - 1
    if not _term_above(text, spans, first):
        return None
    opening = _at(text, spans, first)
    if len(opening.split()) < 2 or not opening.endswith((".", "!", "?")) or _size(spans, term, n) > MAX_UNIT_CHARS:
        return None
    if THIS_TERM.match(opening):
        return term  # "conflict-marker-size" / "This attribute controls the length of conflict markers ..."
    last = n
    while last + 1 < len(spans) and _joined(text, spans, last, last + 1):
        last += 1
    above = term > 0 and _sibling_above(text, spans, term)
    return term if above or _sibling_below(text, spans, last) else None


def _sibling_below(text: str, spans: Sequence[tuple[int, int]], last: int) -> bool:
    """A term line follows the paragraph that ends at sentence `last`, right after it or after an example block
    or two."""
    for _ in range(MAX_EXAMPLES_BETWEEN + 1):
        if last + 1 >= len(spans) or not _joined(text, spans, last, last + 1, True):
            return False
        following = _at(text, spans, last + 1)
        if is_term_line(following):
            return True
        if not is_block_line(following, prompts=True):
            return False
        last += 1
        while last + 1 < len(spans) and _joined(text, spans, last, last + 1):
            last += 1  # the rest of the block
    return False


def _sibling_above(text: str, spans: Sequence[tuple[int, int]], term: int) -> bool:
    """A term line stands over the paragraph before term line `term`, or over the one before an example block or
    two between them ("${parameter:-word}", its paragraph, "$ v=123 ...", then "${parameter:=word}")."""
    start = _paragraph_start(text, spans, term - 1)
    for _ in range(MAX_EXAMPLES_BETWEEN + 1):
        if _term_above(text, spans, start):
            return True
        if start == 0 or not is_block_line(_at(text, spans, start), prompts=True):
            return False
        start = _paragraph_start(text, spans, start - 1)
    return False


def _paragraph_start(text: str, spans: Sequence[tuple[int, int]], n: int) -> int:
    while n > 0 and _joined(text, spans, n - 1, n) and not is_term_line(_at(text, spans, n - 1)):
        n -= 1
    return n


def _term_above(text: str, spans: Sequence[tuple[int, int]], first: int) -> bool:
    """A term line stands alone, a blank line above the paragraph that starts at `first`."""
    term = first - 1
    return (
        term >= 0
        and is_term_line(_at(text, spans, term))
        and _joined(text, spans, term, first, blank=True)
        and (not _joined(text, spans, term, first) or _indented_under(text, spans, term, first))
        and (term == 0 or not _joined(text, spans, term - 1, term))
    )


def _indented_under(text: str, spans: Sequence[tuple[int, int]], term: int, first: int) -> bool:
    """The paragraph starts on the line right under the term, indented deeper: "warn_if_reject\n    When placed ..."."""
    gap = text[spans[term][1] : spans[first][0]]
    under, over = _indent(text, spans[first][0]), _indent(text, spans[term][0])
    return gap.count("\n") == 1 and under is not None and over is not None and under > over


def _display_end(text: str, spans: Sequence[tuple[int, int]], lead: int) -> int:
    """The last index of the display that the lead-in at `lead` introduces, with the lower-case words that end
    its sentence after it ("in config.site."); `lead` itself where no display follows."""
    last = lead
    while last + 1 < len(spans) and last - lead < MAX_BLOCK_LINES and _joined(text, spans, last, last + 1, True):
        line = _at(text, spans, last + 1)
        if _size(spans, lead, last + 1) > MAX_UNIT_CHARS:
            break
        if last > lead and _continuation(line):
            return last + 1
        if not is_display_line(line):
            break
        last += 1
    return last


def _display_lead(text: str, spans: Sequence[tuple[int, int]], n: int) -> int | None:
    """The lead-in over the display that line n is part of, if any."""
    if not is_display_line(_at(text, spans, n)):
        return None
    for back in range(n - 1, max(-1, n - 1 - MAX_BLOCK_LINES), -1):
        if not _joined(text, spans, back, back + 1, True):
            return None
        line = _at(text, spans, back)
        if not is_display_line(line):
            return back if opens_display(line) and _display_end(text, spans, back) >= n else None
    return None


def _continuation(line: str) -> bool:
    """The lower-case end of a sentence that a display broke off: "in config.site."."""
    return line[:1].islower() and line.endswith((".", "!", "?")) and len(line.split()) <= 12


def _answers(text: str, spans: Sequence[tuple[int, int]], n: int) -> bool:
    """Sentence n answers the question the text asks right before it, in its paragraph (a section's title that
    asks, "7.12 How do I put a package on hold?", is a heading, not a question of the text)."""
    before, sentence = _at(text, spans, n - 1), _at(text, spans, n)
    return (
        before.endswith(("?", "？"))
        and not sentence.endswith(("?", "？"))
        and not SECTION_NUMBER.match(before)
        and _joined(text, spans, n - 1, n)
        and _size(spans, n - 1, n) <= MAX_UNIT_CHARS
    )


FILE_LABEL = re.compile(r"[\w.~/-]*[/.][\w.~/-]*:")  # "/etc/postfix/main.cf:", "debian/rules:"


def _block_start(text: str, spans: Sequence[tuple[int, int]], n: int, prompts: bool) -> int:
    """Where the unit of block line n starts: at the lead-in over its block, else at the list item it sits under,
    else at itself; a command right under a list item that introduces it ("• In the src directory run") starts
    at that item."""
    block = partial(is_block_line, prompts=prompts)
    sentence = _at(text, spans, n)
    parent = None
    for back in range(n - 1, max(-1, n - 1 - MAX_BLOCK_LINES), -1):
        line = _at(text, spans, back)
        if FILE_LABEL.fullmatch(line) and _joined(text, spans, back, back + 1, blank=True):
            parent = back if _size(spans, back, n) <= MAX_UNIT_CHARS else parent
            continue  # "/etc/postfix/main.cf:" names the file the lines below go in; the lead-in is above it
        if is_lead_in(line) and (not block(line) or (_item_lead_in(line) and not LIST_ITEM.match(sentence))):
            return back if _size(spans, back, n) <= MAX_UNIT_CHARS else (parent or n)
        if not block(line) or not _joined(text, spans, back, back + 1, blank=True):
            break
        if parent is None and _parent_item(line, sentence):
            parent = back
    return parent or n


def _item_lead_in(line: str) -> bool:
    """A list item that introduces a command: "• In the package's src directory run"."""
    return bool(LIST_ITEM.match(line)) and is_lead_in(line) and not is_code_line(line)


def _continues_item(text: str, spans: Sequence[tuple[int, int]], n: int) -> bool:
    """Sentence n goes on with a list item that an earlier sentence began: on the same line, or on a line of its
    own indented under the item's text (Markdown and plain text: "* `expires_in` - ...\\n  Maximum of ...")."""
    if LIST_ITEM.match(_at(text, spans, n)):
        return False
    gap = text[spans[n - 1][1] : spans[n][0]]
    if "\n" in gap:
        indent = _indent(text, spans[n][0]) if gap.count("\n") == 1 else None
        item = None if indent is None else _item_of(text, spans, n - 1)
        margin = None if item is None else _indent(text, spans[item][0])
        return indent is not None and margin is not None and indent > margin
    return bool(LIST_ITEM.match(_at(text, spans, n - 1))) or (n > 1 and _continues_item(text, spans, n - 1))


def _item_of(text: str, spans: Sequence[tuple[int, int]], n: int) -> int | None:
    """The list item that sentence n begins or goes on with, if any."""
    while not LIST_ITEM.match(_at(text, spans, n)):
        if n == 0 or not _continues_item(text, spans, n):
            return None
        n -= 1
    return n


def _indent(text: str, start: int) -> int | None:
    """Columns of white space before `start` on its line; None when text stands before it on the line."""
    line = text.rfind("\n", 0, start) + 1
    return start - line if not text[line:start].strip() else None


def _parent_item(line: str, item: str) -> bool:
    """`line` is a list item that `item` sits under: a "•" item over "–" or "◦" items."""
    above, below = LIST_ITEM.match(line), LIST_ITEM.match(item)
    return bool(above and below and above.group(1) and below.group(1) and above.group(1) != below.group(1))


def _at(text: str, spans: Sequence[tuple[int, int]], n: int) -> str:
    return text[spans[n][0] : spans[n][1]]


def _joined(text: str, spans: Sequence[tuple[int, int]], a: int, b: int, blank: bool = False) -> bool:
    """Sentences a and b are next to each other: one line break apart, or a blank line where `blank`."""
    gap = text[spans[a][1] : spans[b][0]]
    return gap.count("\n") <= (2 if blank else 1)


def _size(spans: Sequence[tuple[int, int]], a: int, b: int) -> int:
    return spans[b][1] - spans[a][0]
