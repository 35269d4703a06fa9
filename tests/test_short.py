"""The short answer: which span of the cited text is the thing asked for (pure text rules, no model)."""

from __future__ import annotations

import pytest

from qa.short import short_answer
from qa.types import Citation, Span


def cited(text: str) -> Citation:
    return Citation(1, Span("manual.txt", 0, len(text), 1, text.count("\n") + 1), text, 1.0)


def short(question: str, text: str) -> str | None:
    found = short_answer(question, cited(text))
    if found is None:
        return None
    assert text[found.start : found.end] == found.text
    return found.text


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        (
            "What are the scripts that decide which packages move into testing called?",
            "Only non-buggy packages move; these scripts are called britney.",
            "britney",
        ),
        (
            "What nickname does the guide give Perl?",
            "Perl is used on Unix-like systems, often referred to as Unix's Swiss Army Chainsaw.",
            "Unix's Swiss Army Chainsaw",
        ),
        (
            "What tool restores the translations?",
            "Run debconf-updatepo first; to unfuzzy translations, you can use msguntypot.",
            "msguntypot",
        ),
    ],
)
def test_the_name_the_text_gives_comes_before_other_words_of_its_shape(question, text, expected):
    assert short(question, text) == expected


def test_in_a_list_the_line_that_says_what_the_question_asks_about_gives_the_short_answer():
    text = (
        "gbp-import-dsc(1): import a previous Debian package to a Git repository.\n\n"
        "gbp-import-orig(1): import a new upstream tar to a Git repository.\n\n"
        "gbp-dch(1): generate the Debian changelog from Git commit messages."
    )
    assert short("Which command imports a new upstream tarball?", text) == "gbp-import-orig"
    assert short("Which command imports a previous Debian package?", text) == "gbp-import-dsc"


def test_an_abbreviation_is_no_tool():
    text = "Changes made while it was unpacked (e.g., files in /etc) are kept; i.e. the new package inherits them."
    assert short("Which tool repacks an installed package?", text) is None


def test_a_capitalised_compound_with_a_lower_case_part_is_no_name():
    text = "Universities and international partners have led to AI-focused centers; Ana Lima leads one of them."
    assert short("Who leads the labs?", text) == "Ana Lima"
    assert short("Who teams up to set up labs?", "Universities have founded AI-focused centers.") is None


def test_a_span_that_carries_the_asked_for_class_name_is_the_short_answer():
    text = "The Service is Free Software under GNU Affero General Public License version 3 or a later version."
    assert short("Under which license is the service released?", text) == "GNU Affero General Public License"


def test_the_best_sentence_of_a_joined_citation_gives_the_short_answer():
    text = (
        "Keep these symbols in /usr/lib/debug/path, where path is the path to the program. "
        "For example, symbols for /usr/bin/foo go in /usr/lib/debug/usr/bin/foo."
    )
    question = "Where should the separated debugging symbols for /usr/bin/foo be installed?"
    second = text.index("For example")
    found = short_answer(question, cited(text), (second, len(text)))
    assert found is not None and found.text == "/usr/lib/debug/usr/bin/foo"
    assert short_answer(question, cited(text), (0, second)).text == "/usr/lib/debug/path"


def test_a_range_is_the_short_answer_to_what_range():
    text = "Forward the following ports for the relay:\n\n• UDP 3478\n\n• TCP 5349\n\n• UDP 49152-50175"
    assert short("What range of ports do I forward for the relay?", text) == "49152-50175"
    assert short("Which port does the relay listen on first?", text) == "3478"


def test_the_clause_that_says_the_questions_name_gives_the_short_answer():
    text = "This is supported for CVC4 version at least 1.5, and Z3 version at least 4.4.0."
    assert short("What is the minimum Z3 version needed?", text) == "4.4.0"
    assert short("What is the minimum CVC4 version needed?", text) == "1.5"


def test_the_end_of_a_range_the_question_asks_for_is_the_short_answer():
    text = "Use zstd from high speed with N=1 to high compression with N=22; most people pick N=3."
    assert short("I want maximum compression with zstd. What's the highest level N I can use?", text) == "22"
    assert short("What is the lowest level N that zstd accepts?", text) == "1"


def test_the_value_a_text_gives_as_the_default_answers_a_question_about_the_default():
    text = "This defaults to 250, which is a much more aggressive window size than the default --window of 10."
    assert short("What window size does git gc --aggressive use by default?", text) == "250"
    limits = "The limit defaults to 999 before 3.32.0, or 32766 after it."
    assert short("I'm on 3.40. What's the default highest parameter number?", limits) == "32766"


def test_a_default_asked_for_no_kind_of_thing_is_the_value_the_text_gives_as_the_default():
    described = "completion-query-items\n\nThe number of completions that asks first. The default limit is 100."
    assert short("What is the default threshold for that question (completion-query-items)?", described) == "100"
    phrase = "The default is to report only serious problems (resource, software) to postmaster:"
    assert short("What's the default notify_classes?", phrase) is None


def test_a_name_in_code_that_spells_the_questions_word_is_the_short_answer_of_a_code_block():
    text = (
        "However, you can set the default timeout globally for all sockets using\n\nimport socket\n"
        "import urllib.request\n\ntimeout = 10\nsocket.setdefaulttimeout(timeout)"
    )
    question = "My fetches hang on a dead server. How do I set a timeout globally for all sockets?"
    assert short(question, text) == "socket.setdefaulttimeout"


def test_a_question_for_an_exception_gets_the_errors_name():
    text = "Calling ipaddress.ip_address('x') says only that x is no address; IPv4Address raises ipaddress.AddressValueError."
    assert short("Which more specific exception does the constructor raise?", text) == "ipaddress.AddressValueError"


def test_a_keyword_argument_whose_value_holds_the_questions_values_is_the_short_answer():
    text = (
        "Let's restrict the values the --verbosity option can accept:\n\n"
        'parser.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2],\n'
        '                    help="increase output verbosity")'
    )
    question = "I want --verbosity to accept only 0, 1 or 2. Which add_argument keyword does that?"
    assert short(question, text) == "choices=[0, 1, 2]"
    setup = "logging.basicConfig(filename='example.log', filemode='w', level=logging.DEBUG)"
    assert short("Which basicConfig argument sets the log file's name?", setup) == "filename='example.log'"


def test_a_command_french_prose_names_is_the_short_answer_not_a_file_beside_it():
    text = (
        "Les fichiers gentoo_0.9.12-1.dsc et gentoo_0.9.12-1_i386.changes doivent être signés en utilisant la "
        "commande debsign avec votre clef privée GPG."
    )
    question = "Une fois content du build, quelle commande utiliser pour signer le .dsc et le .changes ?"
    assert short(question, text) == "debsign"
    assert short("Quelle commande produit le paquet ?", "Lancez simplement make deb-pkg.") != "simplement"


def test_the_listed_file_whose_line_says_what_the_question_asks_is_the_short_answer():
    text = (
        "paquet.cron.hourly — installé comme /etc/cron.hourly/paquet et exécuté une fois par heure ;\n\n"
        "paquet.cron.daily — installé comme /etc/cron.daily/paquet et exécuté une fois par jour ;"
    )
    question = "Mon script tourne une fois par jour. Quel fichier je crée dans debian/ pour que cron le lance ?"
    assert short(question, text) == "paquet.cron.daily"


def test_the_command_after_those_the_asker_already_ran_is_the_short_answer():
    text = (
        "$ dquilt new fix-gentoo-target.patch\n$ dquilt add Makefile\n\nThen you edit the Makefile.\n\n"
        "$ dquilt refresh\n$ dquilt header -e"
    )
    question = "I ran dquilt new, then dquilt add Makefile, and fixed the file. Which command writes the .patch file?"
    assert short(question, text) == "dquilt refresh"


def test_the_value_a_text_calls_the_default_name_answers_a_question_about_the_default():
    text = (
        'The default name "lost_and_found" may be overridden with the --lost-and-found switch. For example, to have '
        'the table called "orphaned_rows":\n\nsqlite> .recover --lost-and-found orphaned_rows'
    )
    question = "Under what table name does .recover put orphaned rows by default?"
    assert short(question, text) == "lost_and_found"


def test_a_command_of_several_words_named_before_the_word_command_is_the_short_answer_not_its_option():
    text = (
        "If a linked worktree is stored on a portable device, you can prevent its administrative files from being "
        "pruned by issuing the git worktree lock command, optionally specifying --reason to explain why."
    )
    question = "My worktree lives on a USB drive. How do I stop its admin files from getting pruned?"
    assert short(question, text) == "git worktree lock"
