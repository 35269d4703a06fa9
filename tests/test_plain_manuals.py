"""Plain-text manuals as Unix tools ship them: titles in a terminal's bold, settings in indented blocks under the
file they go in, commands after a root prompt, and a changelog of releases."""

from __future__ import annotations

import pytest
from helpers import indexed_files


def bold(text: str) -> str:
    return "".join(f"{c}\b{c}" for c in text)


README = f"""{bold("Mailer Basic Configuration")}

The mailer reports trouble to the postmaster alias. You may not want every kind of trouble report, so this is
configurable. The default is to report only serious problems (resource,
software) to the postmaster:

Default setting:

    /etc/mailer/main.cf:
        notify_classes = resource, software

Whenever you make a change to the main.cf or master.cf file, execute the
following command as root in order to refresh a running mail system:

    # mailer reload

{bold("Filters")}

  * By default, the mailer will terminate a command that runs longer than
    command_time_limit seconds (default: 1000s). This protects against filters that never end.

  * "error" reports an error condition. For safety reasons, a mailer process
    will terminate when more than 13 of these happen.

When a client makes too many connections at the same time, the screen daemon rejects the connection with a 421
status code and logs:

    NOQUEUE: reject: CONNECT from [address]:port: too many connections

The screen_client_connection_count_limit parameter controls this limit.
"""

READLINE = """Readline variables

completion-query-items

The number of possible completions that determines when the user is asked whether the list should be displayed.
If the number of completions is greater than or equal to this value, the user is asked. This variable must be set
to an integer value. A zero value means never ask. The default limit is 100.

convert-meta

If set to on, Readline converts characters with the eighth bit set to an escape sequence.
"""

CHANGES = """Changes

v2.22.1 released June 12th, 2023
Fixes a crash when reading compressed input from a pipe.

v2.22.0 released March 3rd, 2023
Adds the --fastq_join command and a new --orient command.
"""

FILLER = (
    "The mailer keeps its queue in a directory of its own. Messages wait there until a delivery agent takes them, "
    "and the queue manager decides which message goes next."
)


@pytest.fixture(scope="module")
def manuals(tmp_path_factory, embedder):
    fillers = {f"queue-{n}.txt": f"Queue notes {n}\n\n{FILLER}\n" for n in range(4)}
    files = {"BASIC_README.txt": README, "changes.txt": CHANGES, "readline.txt": READLINE, **fillers}
    return indexed_files(tmp_path_factory.mktemp("plain"), files)


def test_a_bold_title_is_read_as_its_words(manuals):
    hits = manuals.search("Mailer Basic Configuration", k=1)
    assert hits[0].chunk.source == "BASIC_README.txt"
    assert "Mailer Basic Configuration" in hits[0].chunk.text
    assert "\b" not in hits[0].chunk.text


def test_a_default_setting_is_cited_with_its_lead_in_over_the_files_name(manuals):
    answer = manuals.ask("Out of the box, what kinds of problems get reported? What's the default notify_classes?")
    assert answer.answered, answer.reason
    cited = answer.citations[0].text
    assert cited.startswith("Default setting:")
    assert cited.endswith("notify_classes = resource, software")


def test_a_command_after_a_root_prompt_is_the_short_answer(manuals):
    answer = manuals.ask(
        "I changed a setting in main.cf on a live server. What command do I run as root so the running mail "
        "system picks up the change?"
    )
    assert answer.answered, answer.reason
    assert answer.short is not None and answer.short.text == "mailer reload"
    assert answer.citations[answer.short.citation - 1].text[answer.short.start : answer.short.end] == "mailer reload"


def test_a_time_with_its_units_letter_and_a_count_of_the_things_named_before_are_answers(manuals):
    timed = manuals.ask("I run a content filter from the mailer. How long can it run before it is killed by default?")
    assert timed.answered, timed.reason
    assert timed.short is not None and timed.short.text == "1000s"
    counted = manuals.ask("How many 'error' messages can a mailer process log before it terminates itself?")
    assert counted.answered, counted.reason
    assert counted.short is not None and counted.short.text == "13"


def test_the_log_line_a_question_quotes_is_cited_with_the_parameter_named_after_it(manuals):
    answer = manuals.ask(
        "My log shows 'NOQUEUE: reject: CONNECT from [203.0.113.5]:4711: too many connections' from the screen "
        "daemon. Which parameter sets that limit?"
    )
    assert answer.answered, answer.reason
    cited = answer.citations[0].text
    assert "too many connections" in cited
    assert cited.endswith("The screen_client_connection_count_limit parameter controls this limit.")
    assert answer.short is not None and answer.short.text == "screen_client_connection_count_limit"


def test_a_release_no_document_writes_is_refused_by_its_number_and_one_they_write_is_not(manuals):
    missing = manuals.ask("What new commands came with release 2.23.0?")
    assert not missing.answered
    assert '"2.23.0"' in missing.reason
    written = manuals.ask("What new commands came with release 2.22.0?")
    assert "2.22.0" not in written.reason
    assert written.answered, written.reason
    assert "--fastq_join" in written.answer


def test_a_setting_described_under_its_name_is_cited_on_to_the_sentence_that_gives_its_default(manuals):
    answer = manuals.ask(
        "When I hit TAB, the shell asks 'Display all possibilities?'. What is the default threshold for that "
        "question (completion-query-items)?"
    )
    assert answer.answered, answer.reason
    cited = answer.citations[0].text
    assert cited.startswith("completion-query-items\n\nThe number of possible completions")
    assert cited.endswith("The default limit is 100.")
