"""Answers on technical documents: the unit that holds the fact, the short answer, refusals by meaning."""

from __future__ import annotations

import pytest
from helpers import indexed, indexed_files, write
from scans import placed_pdf

from qa import Settings, build_index, open_index
from qa.kinds import rankings_said
from qa.meaning import closeness, examples, framing_terms, names_a_thing, nouns_said_as_verbs
from qa.sparse import terms

HOLDING = """Holding packages

Sometimes you want apt to leave a package alone when the rest of the system is upgraded. To keep a package
at the version that is installed now, run:

    apt-mark hold package_name

The package is then left out of every upgrade until the hold is removed again.

Paper size

Install the libpaper1 package, and it will ask you for a system-wide default paper size. This setting
will be kept in the file /etc/papersize. Users can override the paper size setting using the PAPERSIZE
environment variable.
"""
SECTIONS = """<html><body><h1>Manual pages</h1>
<p>Manual pages are grouped in numbered sections, as the table shows.</p>
<table><tr><th>Section</th><th>Description</th></tr>
<tr><td>1</td><td>Executable programs or shell commands</td></tr>
<tr><td>5</td><td>File formats and conventions</td></tr>
<tr><td>7</td><td>Macro packages and conventions</td></tr>
<tr><td>8</td><td>System administration commands</td></tr></table>
<p>Each page names its section after its title.</p></body></html>
"""
PORTS = (
    [  # a page that is only a table: three columns, one row a line
        (72, 100 + 20 * n, cells[0]) for n, cells in enumerate([("Service", "Port", "Protocol")])
    ]
    + [
        (x, 120 + 20 * n, cell)
        for n, row in enumerate([("ssh", "22", "tcp"), ("http", "80", "tcp"), ("ntp", "123", "udp")])
        for x, cell in zip((72, 200, 300), row)
    ]
    + [(200, 100, "Port"), (300, 100, "Protocol")]
)
MULTIARCH = (
    "<html><body><h1>Multiarch</h1><p>Libraries move from the old paths to a directory named for the "
    "architecture, as the table shows.</p>"
    "<table><tr><th>Old path</th><th>i386 multiarch path</th><th>amd64 multiarch path</th></tr>"
    "<tr><td>/lib/</td><td>/lib/i386-linux-gnu/</td><td>/lib/x86_64-linux-gnu/</td></tr>"
    "<tr><td>/usr/lib/</td><td>/usr/lib/i386-linux-gnu/</td><td>/usr/lib/x86_64-linux-gnu/</td></tr></table>"
    "<p>Packages that install a library must use the new paths.</p></body></html>"
)
CODE_ONLY = "<html><body><pre>#!/bin/sh\nset -e\nexec dpkg-buildpackage -us -uc\n</pre></body></html>"


@pytest.fixture(scope="module")
def manual(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("manual")
    settings = Settings(corpus=base / "corpus", index=base / "index")
    write(settings.corpus, "holding.md", HOLDING)
    write(settings.corpus, "sections.html", SECTIONS)
    write(settings.corpus, "build.html", CODE_ONLY)
    write(settings.corpus, "multiarch.html", MULTIARCH)
    (settings.corpus / "ports.pdf").write_bytes(placed_pdf([PORTS]))
    build_index(settings)
    return open_index(settings)


def assert_short_answer_is_a_span(answer) -> None:
    short = answer.short
    assert short is not None
    assert answer.citations[short.citation - 1].text[short.start : short.end] == short.text


def test_a_command_block_after_run_is_cited_with_its_lead_in(manual):
    answer = manual.ask("How do I stop apt from ever upgrading one particular package?")
    assert answer.answered, answer.reason
    first = answer.citations[0].text
    assert "run:" in first and "apt-mark hold package_name" in first
    assert first.index("run:") < first.index("apt-mark"), "one contiguous span, lead-in first"
    assert_short_answer_is_a_span(answer)
    assert answer.short.text == "apt-mark hold package_name"


def test_a_path_is_the_short_answer_to_where_a_setting_is_kept(manual):
    answer = manual.ask("Everything prints on the wrong paper. Where is the machine-wide paper size kept?")
    assert answer.answered, answer.reason
    assert "/etc/papersize" in answer.citations[0].text
    assert_short_answer_is_a_span(answer)
    assert answer.short.text == "/etc/papersize"


def test_a_table_row_is_cited_with_its_header_row(manual):
    answer = manual.ask("In the table of manual page sections, what is section 7 for?")
    assert answer.answered, answer.reason
    row = next(c.text for c in answer.citations if "Macro packages" in c.text)
    assert row.startswith("Section | Description"), row
    assert row.rstrip().endswith("7 | Macro packages and conventions")


def test_a_short_table_row_is_an_answer_and_its_short_answer_is_the_cell_the_question_names(manual):
    answer = manual.ask("On amd64, where are multiarch libraries installed instead of plain /usr/lib/?")
    assert answer.answered, answer.reason
    assert answer.citations[0].text.startswith("Old path | i386 multiarch path | amd64 multiarch path")
    assert_short_answer_is_a_span(answer)
    assert answer.short.text == "/usr/lib/x86_64-linux-gnu/"


def test_a_question_about_an_absent_thing_is_refused_naming_it(manual):
    answer = manual.ask("Which TCP port does the CUPS printing daemon listen on?")
    assert not answer.answered
    assert "CUPS" in answer.reason or "TCP port" in answer.reason
    assert answer.short is None


def test_a_description_question_has_no_short_answer(manual):
    answer = manual.ask("What happens to a package that is on hold during upgrades?")
    assert answer.answered, answer.reason
    assert "left out of every upgrade" in answer.answer
    assert answer.short is None, "nothing of an asked-for kind: no short answer is made up"


@pytest.mark.parametrize(
    "question",
    [
        "apt-mark",
        "/etc/papersize",
        "what is the",
        "exec dpkg-buildpackage -us -uc",
        HOLDING.split("\n\n")[1],
        "¿Dónde se guarda el tamaño de papel del sistema?",
    ],
)
def test_odd_questions_get_an_answer_or_a_reason(manual, question):
    answer = manual.ask(question)
    assert answer.answered or answer.reason, "a refusal always says why"
    if answer.short is not None:
        assert_short_answer_is_a_span(answer)
    for c in answer.citations:
        assert c.source in {"holding.md", "sections.html", "build.html", "ports.pdf"}


def test_a_table_only_pdf_page_answers_from_its_rows_or_refuses(manual):
    answer = manual.ask("Which port does ntp use?")
    if answer.answered:
        assert any("123" in c.text and c.source == "ports.pdf" for c in answer.citations)
        if answer.short is not None:
            assert_short_answer_is_a_span(answer)
    else:
        assert answer.reason


def test_a_paraphrase_is_answered_and_frame_words_never_decide(hk_index):
    index = open_index(hk_index)
    answer = index.ask("What could affect Hong Kong's international collaborations?")
    assert answer.answered, answer.reason
    assert "geopolitical landscape" in answer.answer
    refused = index.ask("What is the population of Hong Kong, just roughly?")
    assert not refused.answered
    assert "population" in refused.reason and "just" not in refused.reason and "roughly" not in refused.reason


def test_words_that_cannot_name_a_thing_only_frame_a_question():
    assert names_a_thing("population") and names_a_thing("dpkg-divert") and names_a_thing("Wayland")
    assert names_a_thing("largest") and names_a_thing("safer")
    assert not names_a_thing("vanished") and not names_a_thing("besides")
    framing = framing_terms("My upload vanished just before the deadline; which mirror has it?")
    assert set(terms("vanished just")) <= framing
    assert not set(terms("upload mirror deadline")) & framing


def test_a_question_in_another_language_is_answered_and_refused_saying_so_by_the_english_model_alone(manual):
    from qa.answer import FOREIGN

    question = "Comment empêcher apt de mettre à jour un paquet en particulier ?"
    answer = manual.ask(question)
    assert answer.answered and "apt-mark hold" in answer.citations[0].text
    english_only = open_index(manual.settings.with_(model="minilm"))
    refused = english_only.ask(question)
    assert not refused.answered and refused.reason == FOREIGN
    english = english_only.ask("Which TCP port does the CUPS printing daemon listen on?")
    assert english.reason != FOREIGN


def test_the_cli_prints_the_short_answer_first_and_the_chat_shows_it_in_bold(manual, capsys, monkeypatch):
    from qa.cli import main
    from qa.history import follow_up_turns, turn_of
    from qa.views import shown

    question = "Where is the machine-wide paper size kept?"
    where = ["--corpus", str(manual.settings.corpus), "--index", str(manual.settings.index)]
    assert main(["ask", question, *where]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Short answer: /etc/papersize" and "/etc/papersize. [1]" in "\n".join(printed[1:])
    answer = manual.ask(question)
    chat = shown(answer)
    assert chat.startswith("**/etc/papersize**\n\n") and answer.answer in chat
    turns = [turn_of(answer, chat)]
    assert follow_up_turns(turns) == [(question, answer.answer)], (
        "the bold short answer is not part of the turn's answer"
    )


CRON = """\
Scheduled tasks

If your package needs regularly scheduled tasks, you can install these files:

package.cron.hourly - Installed as /etc/cron.hourly/package; run once an hour.

package.cron.daily - Installed as /etc/cron.daily/package; run once a day.

package.cron.weekly - Installed as /etc/cron.weekly/package; run once a week.

package.cron.d - Installed as /etc/cron.d/package: for any other time.
"""


def test_what_the_question_sets_aside_is_not_the_answer(tmp_path, embedder):
    from qa.meaning import excluded

    question = "My package needs a cron job on a custom schedule, not hourly, daily or weekly. Which file do I use?"
    assert excluded(question) == {"hour", "daili", "week"}
    assert excluded("Releases carry dates, not version numbers. What version format do I use?") == {"number"}
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(settings.corpus, "cron.txt", CRON)
    build_index(settings)

    answer = open_index(settings).ask(question)

    assert answer.answered, answer.reason
    assert answer.citations[0].text == "package.cron.d - Installed as /etc/cron.d/package: for any other time."
    assert answer.short is not None and answer.short.text == "/etc/cron.d/package"


RECORD = """\
The greeter package

The greeter package prints a friendly greeting. By default it greets in English.

Package: greeter
Version: 2.10-3
Section: devel
"""


def test_a_state_anywhere_in_the_question_that_the_passage_does_not_say_is_refused(tmp_path, embedder):
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(settings.corpus, "greeter.txt", RECORD)
    build_index(settings)
    index = open_index(settings)

    plain = index.ask("Which section is the greeter package in?")
    stated = index.ask("Which section is the greeter package filed in by default?")

    assert plain.answered, plain.reason
    assert "Section: devel" in plain.answer
    assert not stated.answered
    assert "default" in stated.reason, stated.reason


JOBS = """Job variables

JOBS_KEPT

The number of finished jobs the shell remembers, each shown with its number and its command. The default value is
20, and it can be set again at any time.
"""
HISTORY = """History variables

HISTORY_LINES

The number of lines kept in the history list. The list holds at most 5000 lines; the highest numbers are the newest
lines, and older lines are dropped first.
"""


def test_a_question_for_a_limit_is_refused_over_a_passage_that_gives_only_another_number(tmp_path, embedder):
    index = indexed_files(tmp_path, {"jobs.txt": JOBS, "history.txt": HISTORY})

    unstated = index.ask("What is the highest value JOBS_KEPT can be set to?")
    stated = index.ask("What is the largest number of lines HISTORY_LINES keeps?")
    in_other_words = index.ask("How many lines can the history list hold at most?")

    assert not unstated.answered
    assert "highest" in unstated.reason, unstated.reason
    for answer in (stated, in_other_words):
        assert answer.answered, answer.reason
        assert "at most 5000 lines" in answer.answer


NETWORKS = """Network objects

IP network objects are constructed from strings that define the range of host addresses that are part of that
network. The simplest form for that information is a network address and a network prefix, and the objects are
compared by their addresses.

Looping over a network gives every address in it, the network and broadcast addresses included. To get the usable
host addresses only, use the hosts() method:

>>> for addr in net4.hosts():
...     print(addr)

The number of addresses in a network is given by the num_addresses attribute.
"""


def test_a_question_for_a_method_or_an_attribute_is_answered_with_its_name_in_code(tmp_path, embedder):
    index = indexed(tmp_path, "networks.txt", NETWORKS)

    method = index.ask(
        "I want to loop over the usable host addresses of a network object, not the network and broadcast "
        "addresses. Which method?"
    )
    attribute = index.ask("Which attribute tells me how many addresses a network has?")

    assert method.answered, method.reason
    assert method.short is not None and method.short.text == "hosts()"
    assert attribute.answered, attribute.reason  # "how many" is the scene's: no number is asked for
    assert attribute.short is not None and attribute.short.text == "num_addresses"


RELEASES = """Release notes

2.4 Gadget 22.19 (2022-08-29)

Highlights

• chat: allow turning the app off

• app: add a menu item to trigger the removal of an app

2.5 Gadget 22.18 (2022-08-15)

Highlights

• games: drop mods that are no longer packaged

• mail: fix the spam filter for new accounts
"""


def test_a_change_in_release_notes_is_cited_with_the_version_heading_over_it(tmp_path, embedder):
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(settings.corpus, "releases.txt", RELEASES)
    build_index(settings)

    answer = open_index(settings).ask("In which Gadget release did a menu item for removing apps appear?")

    assert answer.answered, answer.reason
    first = answer.citations[0].text
    assert first.startswith("2.4 Gadget 22.19 (2022-08-29)") and first.endswith("removal of an app"), first
    assert "2.5 Gadget" not in first


WIFI = (
    "Wireless setup\n\n"
    + " ".join(f"The wired port {n} serves clients on the local network and hands out addresses." for n in range(12))
    + "\n\nAll radios become access points with following details.\n\n"
    "• Name of the access point will be the box name plus the interface name.\n\n"
    "• Password for joining the access point will be gadget-pass-77.\n\n"
    "Routing\n\nThe box can also route traffic for the whole house through its wired port.\n"
)


def test_an_item_at_the_start_of_a_chunk_is_cited_with_the_lead_in_of_the_chunk_before(tmp_path, embedder):
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", chunk_tokens=40, chunk_overlap=8)
    write(settings.corpus, "wifi.txt", WIFI)
    build_index(settings)
    index = open_index(settings)
    chunks = index.snapshot.chunks(list(range(40)))
    assert any(c.text.startswith("• Password") for c in chunks.values()), "the test needs a chunk that opens there"

    answer = index.ask("What is the password to join the hotspot the box sets up?")

    assert answer.answered, answer.reason
    cited = next(c.text for c in answer.citations if "gadget-pass-77" in c.text)
    assert cited.startswith("All radios become access points with following details."), cited


PORTS_LIST = """Relay server

The relay server helps calls get through firewalls.

Port forwarding

If the box is behind a router, you will need to set up port forwarding on your router. You should forward the
following ports for the relay server:

• UDP 3478

• TCP 3478

• UDP 5349

• TCP 5349

• UDP 49152-50175

• TCP 49152-50175

VPN server

The WireGuard server lets you reach the box from anywhere. Install the WireGuard app and download a profile for
each device, then import the profile on the phone or the laptop and switch the tunnel on.
""" + "".join(
    f"\n{app} app\n\nThe {app.lower()} app keeps your {thing} on the box. Open it from the apps page, sign in with your "
    f"account and add your first {thing}; every user of the box gets a separate space for the {thing}.\n"
    for app, thing in [("Calendar", "events"), ("Wiki", "pages"), ("Backup", "archives"), ("Feed", "feeds")]
)


def test_a_list_of_short_items_answers_and_another_things_list_is_no_answer(tmp_path, embedder):
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", chunk_tokens=100, chunk_overlap=0)
    write(settings.corpus, "ports.txt", PORTS_LIST)
    build_index(settings)
    index = open_index(settings)

    answer = index.ask("What range of ports do I have to forward on my router for the relay traffic?")
    assert answer.answered, answer.reason
    assert answer.citations[0].text.startswith("You should forward the")
    assert "• UDP 49152-50175" in answer.citations[0].text
    assert answer.short is not None and answer.short.text == "49152-50175"

    assert not any("WireGuard" in c.text and "3478" in c.text for c in index.snapshot.chunks(list(range(20))).values())
    refused = index.ask("Which UDP port do I forward on my router for the WireGuard server?")
    assert not refused.answered
    assert "WireGuard" in refused.reason


BEACONS = """Beacons

Each beacon group runs as a ring of beacon transmissions, which are evenly distributed over the cycle-size
period of the beacon section, so that the channel is never flooded.

The cycle-size entry sets the beacon transmission cycle. Default value is 20 minutes.2

The beaconmode setting decides where the beacons of the section go: to the radio, to the network, or to both.
"""


def test_a_question_about_what_holds_when_a_setting_is_left_unset_is_answered_with_the_default(tmp_path, embedder):
    from helpers import indexed

    from qa.kinds import states_asked

    question = "If I don't set cycle-size in a beacon section, over what period are the beacons spread?"
    assert states_asked(question) == {"default"}
    answer = indexed(tmp_path, "beacons.txt", BEACONS).ask(question)
    assert answer.answered, answer.reason
    assert "Default value is 20 minutes" in answer.citations[0].text, answer.citations[0].text


def test_a_noun_of_the_question_that_a_text_says_only_as_a_verb_is_not_said_there():
    question = "What threatens Hong Kong's position as an AI centre?"
    assert nouns_said_as_verbs(question, "It has taken steps to position the city as a hub.") == set(terms("position"))
    assert nouns_said_as_verbs(question, "Its position is strong, and it tries to position itself.") == set()
    assert nouns_said_as_verbs("What is the power rating?", "Its cells can power the board for hours.") == set()


PRAGMAS = """Pragmas

PRAGMA page_size
The page size of a new database. For many years, the default page size was almost always 1024 bytes, but the
default page size is now 4096. The default page size is recommended for most applications.

PRAGMA threads
The default limit is 0 unless it is changed using the SQLITE_DEFAULT_WORKER_THREADS compile-time option.
"""
MEMORY = """Memory

Reads can go through memory-mapped I/O: see PRAGMA mmap_size in the chapter on the operating system interface.
"""


def test_a_setting_written_as_code_that_the_passage_does_not_name_is_another_ones_value(tmp_path, embedder):
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(settings.corpus, "pragmas.txt", PRAGMAS)
    write(settings.corpus, "memory.txt", MEMORY)
    for n, topic in enumerate(["journal", "locking", "vacuum", "indexes", "triggers", "views", "backups"]):
        write(settings.corpus, f"{topic}.txt", f"{topic.title()}\n\nThe {topic} chapter is number {n + 3}.\n")
    build_index(settings)
    index = open_index(settings)
    other = index.ask("How many bytes does it map by default, i.e. what is the default of PRAGMA mmap_size?")
    named = index.ask("What is the default page_size in bytes?")

    assert not other.answered
    assert "mmap_size" in other.reason and "nothing about" in other.reason, other.reason
    assert named.answered, named.reason
    assert "4096" in named.answer


def test_a_word_written_as_code_is_said_or_not_never_meant(embedder):
    passage = "The default page size is 4096 bytes."
    coded = closeness(embedder, "What is the default of mmap_size?", passage, terms("mmap_size"))
    worded = closeness(embedder, "What is the default of the map size?", passage, terms("size"))
    assert set(coded.values()) == {0.0}
    assert worded[terms("size")[0]] > 0.5


def test_a_word_before_its_object_pronoun_is_a_verb_that_frames_the_question():
    framing = framing_terms("Which subcommand restores my work but leaves it in the list?")
    assert set(terms("leaves")) <= framing
    assert not set(terms("leaves")) <= framing_terms("How many leaves does the tree have?")


def test_an_example_the_question_gives_is_no_topic_the_documents_must_say():
    question = "When text like '3.14159265358979323846' goes into a NUMERIC column, how much precision survives?"
    assert set(terms("14159265358979323846")) <= examples(question) <= framing_terms(question)
    assert examples("Is the default like the old one?") == set()


def test_a_ranking_said_with_another_ranking_word_is_said():
    assert rankings_said("What's the highest parameter number?", "the largest host parameter number") == set(
        terms("highest")
    )
    assert rankings_said("What's the highest parameter number?", "the parameter number is checked") == set()


def test_the_documents_as_the_question_calls_them_need_not_be_said():
    assert set(terms("FAQ")) <= framing_terms("What macOS tool does the FAQ suggest to prevent that?")
    assert not set(terms("manual")) <= framing_terms("Which package holds the manual pages?")
    assert not set(terms("FAQ")) <= framing_terms("Where is the FAQ file kept?")


def test_a_quantity_is_asked_by_the_sentence_that_asks_not_by_the_scene():
    from qa.kinds import new_spans

    text = "Use N=1 for speed and N=22 for the best compression."
    assert new_spans("I want maximum compression with zstd. What's the highest level N?", "number", text)
    assert new_spans("What is the maximum size of a chunk?", "number", "A chunk holds at most 22 entries.") == []


CHANGELOG = (
    "# Gadget changelog\n\n## 3.3.0 (30 November 2022)\n\nThis release is a feature release which adds support for "
    "more boards and some command-line helpers.\n\n## 3.2.0 (12 May 2022)\n\nThis release is a bugfix release which "
    "fixes problems with empty files.\n\n## 2.3.0 (14 September 2017)\n\nGadget v2.3.0 includes performance "
    "optimizations for the gadget-clone command and new features.\n"
)


def test_when_a_release_came_out_is_answered_from_the_heading_over_its_notes(tmp_path, embedder):
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    write(settings.corpus, "changelog.md", CHANGELOG)
    for topic in ("boards", "helpers", "files", "cloning"):
        write(
            settings.corpus,
            f"{topic}.md",
            f"# Gadget and {topic}\n\nGadget handles {topic} well; Gadget users like it.\n",
        )
    build_index(settings)

    answer = open_index(settings).ask("When did Gadget 3.3.0 come out?")

    assert answer.answered, answer.reason
    assert answer.citations[0].text.startswith("## 3.3.0 (30 November 2022)")
    assert answer.short is not None and answer.short.text == "30 November 2022"


CODENAMES = """Release codenames

Debian releases are named after characters of the Toy Story films. Debian 12 is called bookworm and Debian 13 is
called trixie; the unstable distribution is always called sid.
"""


def test_a_release_named_by_its_number_that_no_document_writes_is_refused_naming_it(tmp_path, embedder):
    index = indexed(tmp_path, "codenames.txt", CODENAMES)

    refused = index.ask("What will the codename of Debian 14 be?")
    answer = index.ask("What is the codename of Debian 13?")

    assert not refused.answered and '"Debian 14"' in refused.reason
    assert answer.answered, answer.reason
    assert "trixie" in answer.citations[0].text


KMERS = """Reads

--fastq_chars filename
    Summarize the quality strings of a FASTQ file. For each character, it counts the k-mers of that character at
    the end of the reads. The length of the k-mer can be set using --fastq_tail (4 by default).

--orient filename
    Orient the sequences in the given file in the forward or the reverse direction, from the words they share
    with a reference database. By default, a word length of 12 is used for this command. The word length may be
    adjusted with --wordlength.
"""


def test_a_passage_about_another_option_than_the_one_asked_about_is_not_the_answer(tmp_path, embedder):
    answer = indexed(tmp_path, "manual.txt", KMERS).ask(
        "What k-mer word length does the --orient command use by default?"
    )

    assert answer.answered, answer.reason
    assert answer.citations[0].text.startswith("--orient filename")
    assert "a word length of 12" in answer.citations[0].text
    assert answer.short is not None and answer.short.text == "12"


def test_a_setting_named_by_a_word_before_its_number_noun_asks_for_a_number(tmp_path, embedder):
    filler = " ".join(
        f"The reference database may hold sequence number {i} in the forward strand and its reverse complement."
        for i in range(14)
    )
    text = (
        f"Orienting reads\n\n--orient filename\n    Orient the sequences in the forward or the reverse direction. {filler}"
        " By default, a word length of 12 is used for this command.\n"
    )
    answer = indexed(tmp_path, "manual.txt", text).ask("What word length does the --orient command use by default?")

    assert answer.answered, answer.reason  # "what ... word length" asks for a length, not for a word
    assert answer.citations[0].text == "By default, a word length of 12 is used for this command."
