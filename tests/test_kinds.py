"""What a question asks for, where a text holds it, and the unit of text that holds a fact."""

from __future__ import annotations

import pytest

from qa.chunking import split_sentences
from qa.kinds import (
    asked,
    bounds_asked,
    class_noun,
    focus,
    gives_name,
    holds,
    in_other_sense,
    is_code_line,
    is_name,
    new_spans,
    spans,
    states_asked,
    states_said,
    unset_said,
)
from qa.releases import named_releases, releases_asked, writes_named, writes_version
from qa.units import unit_of


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What command shows the default target?", "command"),
        ("How do I keep a package at its current version?", "command"),
        ("Which option prints the overridden warnings too?", "option"),
        ("Which file holds the release number?", "path"),
        ("Where is the machine-wide paper size kept?", "path"),
        ("Where is the business district?", "place"),
        ("Which Makefile variable must the build honour?", "field"),
        ("What virtual package do both browsers provide?", "package"),
        ("Which server do security fixes come from?", "address"),
        ("Who should I e-mail about a security hole?", "address"),
        ("Who maintained the FAQ?", "person"),
        ("Which version is in stable?", "version"),
        ("How long may the description be?", "number"),
        ("When was the project started?", "time"),
        ("What is the Smart City Blueprint?", None),
        ("Qui maintient la FAQ ?", "person"),
        ("À quoi ressemble le sujet du bogue qui annonce le paquet ?", None),
        ("Quelle taille doit avoir ma clé ?", "number"),
        ("ネイティブのパッケージを作るには？", "command"),
        ("怎样安装软件包？", "command"),
        ("Quelle est la commande qui liste les paquets ?", "command"),
        ("La construction échoue. Comment la relancer ?", "command"),
        ("FAQ は何の略ですか？", "term"),
        ("changelog の欄には何と書けばよいですか？", "term"),
        ("control 文件的 Section 字段应该写什么？", "term"),
        ("Que dois-je mettre dans le champ Section ?", "term"),
        ("这个项目用什么文档格式？", "term"),
        ("Quel surnom donne-t-on à Perl ?", "term"),
        ("testing にあるバージョンは？", "version"),
        ("ビルドを直すツールは？", "package"),
        ("アップロードは何日待ちますか？", "number"),
        ("上传失败后在哪里可以找到日志？", "path"),
        ("构建需要哪个 Makefile 变量？", "field"),
        ("Avec apt, c'est quoi la commande pour le bloquer ?", "command"),
        ("Quelle ligne mettre dans /etc/dpkg/dpkg.cfg ?", "option"),
        ("Quel est le nom du paquet virtuel que fournissent firefox-esr et konqueror ?", "package"),
        ("Je veux juste de quoi compiler ; quel méta-paquet installer ?", "package"),
        ("Existe-t-il un outil qui lance la mise à jour via cron ?", "package"),
        ("Quel était le nom de code de Debian 3.0 ?", "term"),
        ("Bullseye est sortie à quelle date exactement ?", "time"),
        ("Il y a une liste de diffusion pensée pour les débutants où poser mes questions ?", "address"),
        ("Comment on appelle la personne qui vérifie mon paquet puis l'envoie pour moi ?", "term"),
        ("What k-mer word length does the --orient command use by default?", "number"),
        ("aprx can reopen the port after inactivity; what is that timeout's default since version 2.09?", None),
        ("J'ai installé apt-cacher ; sur quel port dois-je pointer mes clients ?", "number"),
        ("Quelle est la taille de l'image netinst à graver sur un CD ?", "number"),
        ("Quel niveau de compatibilité debhelper dois-je mettre ?", "number"),
        ("What speed does the simulator use for waypoints?", "number"),
        ("At what rate is the county developing its business centers?", None),
        ("What is the largest ratelimit I can configure for a transmitter?", "number"),
        ("What is the largest city in the region?", None),
        ("Which main.cf parameter hides the internal host names?", "option"),
        ("Which setting makes the client use wrapper mode?", "option"),
        ("What environment variable setting restores it?", "field"),
        ("We run Dovecot for IMAP. What do I set in main.cf?", "option"),
    ],
)
def test_what_a_question_asks_for(question, kind):
    assert asked(question) == kind


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("Which TCP port does apt-cacher listen on by default?", ("TCP",)),
        ("Who is the current Debian Project Leader?", ("current", "Debian", "Project")),
        ("What is the default Python 3 version in Debian 11?", ("default", "Python")),
        ("How many extra years of LTS support does a release get?", ("LTS",)),
        ("In which city was the conference held?", ()),
        ("Which is the largest city in Victoria?", ("largest",)),
        ("Which is the most honest answer?", ()),
        ("What are the two simple responses to a decision problem?", ()),
        ("What command prints the date?", ()),
        ("How do I stop apt from upgrading a package?", ()),
    ],
)
def test_the_focus_is_the_name_or_state_that_picks_out_the_asked_for_thing(question, words):
    assert focus(question) == words


def test_a_name_is_capitalised_inside_the_question_or_spelt_like_an_identifier():
    question = "Outside of Sydney, which TCP port does s390x use for anti-spam checks?"
    words = ("Outside", "Sydney", "TCP", "s390x", "port", "anti-spam", "checks")
    assert [w for w in words if is_name(w, question)] == ["Sydney", "TCP", "s390x"]


def test_a_when_clause_or_a_duration_is_not_a_question_about_time():
    assert asked("When I run lintian, which option still shows the silenced warnings?") == "option"
    assert asked("I'll be away for a few weeks. What do I put at the start of the subject?") != "time"


def test_spans_of_each_technical_kind():
    text = (
        "Install the libpaper1 package; the setting is kept in /etc/papersize and users override it with "
        "PAPERSIZE. Run apt-mark hold foo, or mail team@security.debian.org. Use --show-overrides for 4096 bits."
    )

    def found(kind: str) -> list[str]:
        return [text[a:b] for a, b in spans(kind, text)]

    assert "/etc/papersize" in found("path")
    assert "PAPERSIZE" in found("field")
    assert "apt-mark" in found("package")
    assert "team@security.debian.org" in found("address")
    assert "--show-overrides" in found("option")
    assert "4096 bits" in found("number")


def test_only_what_the_question_does_not_already_say_is_new():
    text = "Replace apt-cache policy with apt list -a."
    new = [text[a:b] for a, b in new_spans("What replaces apt-cache policy?", "command", text)]
    assert "apt-cache" not in new and new


def test_hyphenated_common_words_are_not_tools():
    assert not [t for t in ("boot-up", "system-wide", "e-mail") if spans("package", t)]
    assert spans("package", "dpkg-divert")


def test_code_lines_are_commands_and_prose_is_not():
    assert is_code_line("systemctl get-default")
    assert is_code_line("apt-mark hold package_name")
    assert not is_code_line("Install the libpaper1 package, and it will ask you.")
    assert not is_code_line("Chapter 11")


def units(text: str) -> list[str]:
    spans_ = split_sentences(text)
    out = []
    for n in range(len(spans_)):
        first, last = unit_of(text, spans_, n)
        out.append(text[spans_[first][0] : spans_[last][1]])
    return out


def test_a_command_block_is_one_unit_with_the_sentence_that_introduces_it():
    text = (
        "Packages can be held back. To keep a package at its version, run:\n\n"
        "apt-mark hold package_name\n\n"
        "The hold is undone later."
    )
    by_sentence = units(text)
    lead_in = "To keep a package at its version, run:\n\napt-mark hold package_name"
    assert lead_in in by_sentence
    assert by_sentence[[i for i, u in enumerate(by_sentence) if "apt-mark" in u][-1]] == lead_in
    assert "The hold is undone later." in by_sentence


def test_a_quantity_in_technical_units_is_a_measure_and_a_file_format_is_no_path():
    question = "How much monthly traffic must a relay allow at a minimum?"
    text = "A relay needs 16 Mbit/s of bandwidth and must be allowed a minimum of 100 GByte of traffic per month."
    assert [text[a:b] for a, b in new_spans(question, asked(question), text)] == ["16 Mbit/s", "100 GByte"]
    assert asked("In which file format should I export my subscriptions?") == "term"
    assert asked("Which file holds the release number?") == "path"


def test_a_line_after_a_user_at_host_prompt_is_a_command():
    text = "To test it, run the following command:\nuser@myserver:~$ nc example.org 25\n220 mx.example.org ESMTP"
    assert is_code_line("user@myserver:~$ nc example.org 25")
    assert next(text[a:b] for a, b in spans("command", text)) == "nc example.org 25"


def test_which_with_two_words_before_the_kind_still_asks_for_it_and_a_quoted_token_is_a_field():
    assert asked("Which Freedom Maker target builds the image?") == "field"
    assert asked("What was the codename of the release?") is None, "a verb between is no modifier"
    text = "Use the target ’raspberry64’ to build it; the plan is called “Smart City Blueprint”."
    assert [text[a:b] for a, b in spans("field", text)] == ["raspberry64"]


def test_a_capitalised_english_word_is_no_name_but_a_word_in_capitals_is():
    question = "In which release was a menu item added?"
    assert new_spans(question, "term", "• app: Add a menu item to remove apps") == []
    text = "Set the distribution to UNRELEASED until the package is ready."
    assert [text[a:b] for a, b in new_spans(question, "term", text)] == ["UNRELEASED"]


def test_a_range_of_numbers_is_one_number_and_a_date_is_not_a_range():
    assert asked("What range of ports do I forward?") == "number"
    text = "Forward UDP 49152-50175; the release of 2022-08-29 changed it."
    assert [text[a:b] for a, b in spans("number", text)] == ["49152-50175", "2022"]
    assert new_spans("On which port is the web page served?", "number", "There are two web nodes.") == []


def test_an_ip_address_and_any_url_scheme_are_addresses_and_a_version_is_not():
    text = "Use 10.91.0.1 as the host name, as in smb://10.91.0.1; version 1.2.3.4.5 is no address."
    assert [text[a:b] for a, b in spans("address", text)] == ["10.91.0.1", "smb://10.91.0.1"]
    text = "Use smb://10.91.0.1 instead of smb://box.local to reach the shares."
    question = "What address do I use instead of box.local?"
    assert [text[a:b] for a, b in new_spans(question, "address", text)] == ["smb://10.91.0.1"]


def test_tex_commands_are_commands_and_settings_are_options():
    text = "BoxColor: Color of the boxes. Use approx=2 with lang=DE, and \\correctchoice for a right answer."
    assert [text[a:b] for a, b in spans("option", text)] == ["BoxColor", "approx", "lang"]
    assert [text[a:b] for a, b in spans("command", text)] == ["\\correctchoice"]
    assert spans("option", "It is true that a == b, and x= y.") == []


def test_a_table_row_keeps_its_header_across_blank_lines():
    text = (
        "Names\n\ntype | English | French\n\ncommand | \\namefield | \\champnom\n\ncommand | \\correctchoice | \\bonne"
    )
    row = next(u for u in units(text) if u.endswith("\\bonne"))
    assert row.startswith("type | English | French")


def test_a_list_item_keeps_its_lead_in_its_own_further_sentences_and_the_item_it_sits_under():
    steps = (
        "The box can use its own DNS service through Networks:\n\n"
        "1. Go to the System page.\n\n"
        '2. Under "IPv4", there is a field "DNS Server". Set it to 127.0.0.1.\n\n'
        "Then restart it."
    )
    step = next(u for u in units(steps) if u.endswith("Set it to 127.0.0.1."))
    assert step.startswith("The box can use its own DNS service") and "1. Go to the System page." in step
    assert "Then restart it." in units(steps), "a paragraph after the list is no part of it"
    details = "They become access points with following details.\n\n• Name: the box.\n\n• Password will be secret123."
    assert next(u for u in units(details) if "secret123" in u).startswith("They become access points")
    nested = (
        "Highlights\n\n• vpn: Support Elliptic Curve Cryptography (ECC)\n\n– You can migrate to ECC to improve speed."
    )
    sub = next(u for u in units(nested) if u.endswith("improve speed."))
    assert sub.startswith("• vpn: Support Elliptic Curve Cryptography")
    flat = "Highlights\n\n• vpn: Support ECC\n\n• mail: Fix the spam filter."
    assert "• mail: Fix the spam filter." in units(flat), "an item of the same level is no parent"


def test_a_table_row_keeps_its_header_row():
    text = "The sections are listed below.\n\nSection | Content\n1 | User commands\n7 | Macro packages\n\nThat is all."
    row = next(u for u in units(text) if "Macro packages" in u)
    assert row.startswith("Section | Content") and row.endswith("7 | Macro packages")


def test_how_many_is_answered_by_a_count_of_the_thing_asked_about():
    text = "Four decisions of the committee were involved. A colony has one queen and a few hundred drones."
    assert not new_spans("How many members sit on the committee?", "number", text)
    queens = [text[a:b] for a, b in new_spans("How many queens does a honey bee colony have?", "number", text)]
    assert "one" in queens and "Four" not in queens, "the number 'one' is no word of 'honey'"
    days = "Upload the fix and wait 10 days for the maintainer."
    assert "10 days" in [days[a:b] for a, b in new_spans("How many days should I wait?", "number", days)]


def test_a_measure_is_met_only_by_a_quantity_with_its_unit():
    text = "Debian 11 keeps descriptions under 60 characters."
    assert [text[a:b] for a, b in new_spans("How long may the description be?", "number", text)] == ["60 characters"]
    assert not new_spans("How long may the description be?", "number", "Section 5 describes the field.")


def test_one_of_a_group_is_no_amount():
    question = "How much does the certification cost?"
    assert not new_spans(question, "number", "It is one of the major standards, and quite expensive.")
    text = "It costs 400 dollars, one of the highest fees."
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["400 dollars"]


def test_a_year_in_a_quoted_title_is_no_date():
    question = "In what year was the plan launched?"
    assert not new_spans(question, "time", 'The council backs the "Porto Digital 2030" plan.')
    text = 'The council launched the "Porto Digital" plan in 2019.'
    assert [text[a:b] for a, b in new_spans(question, "time", text)] == ["in 2019"]


def test_the_name_a_text_gives_a_thing_is_a_term():
    text = "The scripts that update the testing distribution run twice a day; these scripts are called britney."
    assert [text[a:b] for a, b in new_spans("What are the scripts that update testing called?", "term", text)] == [
        "britney"
    ]
    text = "Perl is often referred to as Unix's Swiss Army Chainsaw."
    assert "Unix's Swiss Army Chainsaw" in [text[a:b] for a, b in spans("term", text)]


def test_a_text_that_says_what_a_thing_is_called_gives_a_name():
    question = "What nickname does the guide give Perl?"
    assert gives_name(question, asked(question), "Perl is often referred to as Unix's Swiss Army Chainsaw.")
    assert not gives_name(question, asked(question), "Perl is one of the most used scripting languages on Unix.")
    assert not gives_name("How long is it?", "number", "It is called the long one.")


def test_prose_that_says_to_use_a_word_no_dictionary_knows_names_a_tool():
    question = "Every translation shows up as fuzzy. What tool restores them?"
    text = "To unfuzzy translations, you can use msguntypot (part of the po4a package)."
    assert [text[a:b] for a, b in spans("package", text)] == ["msguntypot", "po4a"]
    assert gives_name(question, asked(question), text)
    for prose in ("Use the following command.", "You can use either of them.", "Run it with care: try harder."):
        assert spans("package", prose) == []
        assert not gives_name(question, asked(question), prose)
    assert not gives_name("Does msguntypot restore them? What tool is it?", "package", text.replace("po4a", "it"))


def test_a_code_line_that_runs_a_tool_answers_which_tool():
    question = "Which tool makes upgrades put their copy of /bin/login somewhere else?"
    assert gives_name(
        question, asked(question), "To do so, run:\n\n    dpkg-divert --divert /bin/login.debian /bin/login"
    )
    assert not gives_name(question, asked(question), "Do not:\n• Overwrite /bin/login with login-local.")
    assert not gives_name("Which tool, other than dpkg-divert, moves a file?", "package", "    dpkg-divert --list")


def test_a_when_clause_before_the_question_word_does_not_ask_for_a_time():
    assert asked("When the list is sorted in reverse, which case is this?") is None


def test_a_height_with_its_unit_answers_how_high():
    text = "The highest peak is Mount Ruth at 1,986 m (6,516 ft)."
    assert [text[a:b] for a, b in new_spans("How high is Mount Ruth?", "number", text)] == ["1,986 m", "6,516 ft"]


def test_a_count_of_the_asked_thing_in_other_words_answers_how_many():
    question = "How many dairy cows are there in the region?"
    assert new_spans(question, "number", "The region keeps 3 million dairy cattle.")
    assert not new_spans(question, "number", "The region took 3 decisions on its roads.")


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("What variable is the running time measured against?", "variable"),
        ("With respect to what other variable is it measured?", "variable"),
        ("What is one variable the running time depends on?", "variable"),
        ("Which newspaper defined the region?", "newspaper"),
        ("What is the population of the city?", None),
        ("Who is the mayor?", None),
    ],
)
def test_the_class_noun_of_what_is_asked(question, noun):
    assert class_noun(question) == noun


def test_a_number_in_a_quoted_title_is_no_number_across_languages():
    question = "香港的人口是多少？"
    titled = "Initiatives 香港AI such as the “Hong Kong 2030+: Towards a Planning Vision” emphasize technology."
    assert asked(question) == "number"
    assert not holds(question, "number", titled)
    assert holds(question, "number", titled + " The city has 7.4 million people.")
    assert holds(question, "number", "香港人口约七百万。")
    assert not holds(
        "SPI は何年に設立されましたか？", "time", "Copyright (C) 1996-2003 Software in the Public Interest"
    )


def test_a_verb_spelt_like_a_month_and_a_copyright_year_date_nothing():
    question = "In what year was the society founded?"
    text = "Copyright (C) 1996-2003 the society. It may change; it was founded in May 1997 and meets on Mondays."
    assert [text[a:b] for a, b in new_spans(question, "time", text)] == ["May", "1997", "Mondays"]
    assert new_spans("When does it change?", "time", "It may change, and march on.") == []


def test_a_price_is_an_amount_of_money_in_the_currency_asked_for():
    text = "The build uses 64 cores and the licence costs $500 a year, or 450 euros."
    question = "How much does the licence cost?"
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["$500", "450 euros"]
    assert [text[a:b] for a, b in new_spans("How much does it cost in euros?", "number", text)] == ["450 euros"]
    assert new_spans(question, "number", "The build uses 64 cores.") == []


def test_a_count_of_something_else_in_the_next_clause_and_a_placeholder_are_no_answer():
    question = "How many students can one test handle?"
    text = "The number of students per test is limited to 4,095, and the number of pages per test is limited to 63."
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["4,095"]
    text = "\\shufflegroupslice{⟨group-name⟩}{⟨a⟩}{⟨b⟩} shuffles elements ⟨a⟩ to ⟨b⟩ of group ⟨group-name⟩."
    assert [text[a:b] for a, b in new_spans("Is there a command for that?", "command", text)] == ["\\shufflegroupslice"]
    text = "Flags go in the personal file HOME/.R/Makevars, or the file named by R_MAKEVARS_USER."
    assert [text[a:b] for a, b in new_spans("Which variable names it?", "field", text)] == ["R_MAKEVARS_USER"]


def test_fields_of_work_are_no_fields_of_a_record():
    from qa.kinds import in_other_sense

    question = "What fields are new AI startups trying out?"
    prose = ["These startups explore applications of AI, from healthcare and logistics to education."]
    assert asked(question) == "field" and in_other_sense(question, "field", prose)
    assert not in_other_sense(question, "field", ["Package: hello\nMaintainer: Santiago Vila"])
    assert not in_other_sense("Which field holds the maintainer?", "field", prose)


def test_the_sentence_after_a_question_in_the_text_is_one_unit_with_it():
    text = "Where is the start angle of the first slice?\nThe default is 90, which is twelve o'clock.\n\nNext topic."
    by_sentence = units(text)
    assert by_sentence[1] == "Where is the start angle of the first slice?\nThe default is 90, which is twelve o'clock."
    assert by_sentence[2] == "Next topic."


def test_once_is_a_number_only_to_how_often():
    text = "Once you turn it off, code gets faster; the check runs once a day and costs about 25%."
    assert [text[a:b] for a, b in new_spans("How much slower is it?", "number", text)] == ["25%"]
    assert [text[a:b] for a, b in new_spans("How often does the check run?", "number", text)] == ["Once", "once", "25%"]


def test_a_variable_name_with_a_digit_is_a_field():
    text = "To do so, set the environment variable WHY3IDE to web, or run `id -u` with CVC4."
    assert [text[a:b] for a, b in new_spans("Which environment variable do I set to web?", "field", text)] == [
        "WHY3IDE"
    ]  # `id -u` is no environment variable


def test_what_i_need_to_run_asks_for_a_command():
    assert asked("What do I need to run first so that it finds the provers?") == "command"
    assert asked("What should I type to build it?") == "command"
    assert asked("What do I need for it?") is None


def test_leaving_a_setting_unset_asks_for_its_default_and_a_period_is_a_number():
    from qa.kinds import states_asked

    assert states_asked("What is the maxreq if I leave it out?") == {"default"}
    assert states_asked("What is the minimum Qt version?") == {"minimum"}
    assert states_asked("How do I set the period?") == set()
    assert asked("Over what period are the beacons spread?") == "number"


def test_a_short_sentence_ending_in_a_footnote_mark_is_no_heading():
    from qa.units import is_heading

    assert not is_heading("Default value is 20 minutes.2")
    assert is_heading("Beacon settings")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which companies lead AI in Hong Kong?", "organisation"),
        ("Which university in the city leads the research?", "organisation"),
        ("What kind of company is Sky UK Limited?", None),
        ("Which cities are in the Greater Bay Area?", "place"),
        ("What salary do AI engineers earn?", "number"),
    ],
)
def test_which_company_asks_for_an_organisations_name(question, kind):
    assert asked(question) == kind


def test_a_company_is_a_name_in_capitals_that_the_question_does_not_already_say():
    question = "Which companies lead AI in Hong Kong?"
    text = "In Hong Kong’s field of Artificial Intelligence, AI-focused ventures grow, and Tencent opened a lab."
    assert [text[a:b] for a, b in new_spans(question, "organisation", text)] == ["Tencent"]


def test_a_variant_number_of_a_name_the_question_says_is_a_number():
    question = "If I don't pick a variant, which SHA3 size does .sha3sum use?"
    text = "The default is SHA3-256, and --sha3-384 is another."
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["SHA3-256"]


def test_what_holds_when_a_variable_is_not_set_is_its_default_and_i_never_set_it_asks_for_it():
    assert states_asked("I never set XDG_CONFIG_HOME. Which file does Git read?") == {"default"}
    assert states_said("If $XDG_CONFIG_HOME is either not set or empty, $HOME/.config/git/ignore is used.") == {
        "default"
    }
    assert states_said("A path to which the diff attribute is unset will generate Binary files differ.") == set()


def test_the_maximum_number_of_things_is_a_count_with_no_unit():
    question = "What's the absolute maximum number of attached databases?"
    text = "The maximum number of attached databases cannot be increased above 125."
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["125"]
    assert new_spans("What is the maximum line length?", "number", "Lines are cut above 125.") == []


def test_twice_answers_how_many_times():
    text = "move refuses to move a locked worktree unless --force is specified twice."
    assert [text[a:b] for a, b in new_spans("How many times do I pass --force?", "number", text)] == ["twice"]
    assert new_spans("How many worktrees can I lock?", "number", text) == []


def test_a_version_is_no_quantity():
    text = "Automatic indexing is on as of version 3.7.17, since release 2.5, and waits 300 ms at 10.0.0.1."
    assert [text[a:b] for a, b in new_spans("How long does it wait, in milliseconds?", "number", text)] == ["300 ms"]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the biggest number the spec allows there?", "number"),
        ("What's the highest priority number I can give an extension?", "number"),
        ("What is the largest value allowed?", "number"),
        ("What HTTP status should I return when the path is locked?", "number"),
        ("What exit code should the script return to skip a commit?", "number"),
        ("How does the return code table explain codes above 128?", None),
        ("The bounds of the minimum time are required by what?", None),
        ("What status does the documentation give this feature?", None),
    ],
)
def test_a_superlative_value_or_a_status_code_asks_for_a_number(question, kind):
    assert asked(question) == kind


def test_a_number_written_with_its_time_units_letter_counts_that_unit():
    question = "If I keep archives within 1m, how many days does that month count as?"
    text = "“1m” is taken to mean “31d”. The 2 archives are kept."
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["31"]
    assert new_spans("How many days are kept?", "number", "Keep the last 31w.") == []


def test_one_as_a_pronoun_is_no_quantity():
    text = "If the largest ROWID is taken (9223372036854775807), the engine picks at random until it finds one that is free."
    found = [text[a:b] for a, b in new_spans("What is the biggest rowid value?", "number", text)]
    assert found == ["9223372036854775807"]
    assert new_spans("How many tries?", "number", "It tries until it finds one that is free.") == []
    assert new_spans("How big may it be?", "number", "If one tries a bigger object, it fails.") == []
    assert new_spans("How many tries?", "number", "It tries one time.") != []


def test_a_default_sentence_counts_what_the_sentence_before_it_says():
    question = "How many non-matching targets does it consider by default before stopping?"
    text = "Maximum number of non-matching target sequences to consider before stopping the search. The default value is 32."
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["32"]
    assert new_spans(question, "number", "Sequences are read in order. The default value is 32.") == []


def test_a_value_built_from_the_setting_the_question_left_unset_is_no_answer():
    question = "I never set XDG_CONFIG_HOME. Which file does Git read as my global ignore list by default?"
    text = "Its default value is $XDG_CONFIG_HOME/git/ignore. If $XDG_CONFIG_HOME is not set, $HOME/.config/git/ignore is used."
    found = [text[a:b] for a, b in new_spans(question, "path", text)]
    assert found and not any("XDG" in piece for piece in found)
    assert unset_said(question, text)
    assert not unset_said(question, "Its default value is $XDG_CONFIG_HOME/git/ignore.")
    assert not unset_said("Which file does Git read by default?", text)


def test_a_page_to_see_is_no_command_to_run():
    text = "Each helper is a string in credential.helper (and others, see git-config(1)). Run git credential-foo."
    found = [text[a:b] for a, b in new_spans("What command does Git run?", "command", text)]
    assert "git-config" not in " ".join(found)
    assert any("credential-foo" in piece for piece in found)


def test_an_environment_variable_is_written_in_capitals():
    question = "In CI I want git push to skip the pre-push hook. Which environment variable does that?"
    assert new_spans(question, "field", "* `update` and `init` commands can install the pre-push hook") == []
    text = "* Add GIT_LFS_SKIP_PUSH to allow skipping the pre-push hook"
    assert [text[a:b] for a, b in new_spans(question, "field", text)] == ["GIT_LFS_SKIP_PUSH"]
    assert new_spans("Which field holds the command?", "field", "The `init` field holds it.") != []
    assert new_spans("What should I set the UserNM environment variable to?", "field", "Set UserNM to `gcc-nm`.") != []


def test_a_decimal_number_is_no_release_and_a_size_counts_no_things():
    text = "Values between 0.0 and 5373484.499999 are julian day numbers; the modifier came in 3.38.0."
    assert [text[a:b] for a, b in new_spans("In which version was the modifier added?", "version", text)] == ["3.38.0"]
    sized = "The archive is limited in size to MAX_OBJECT_SIZE (20MiB) and a repository holds 5 archives."
    found = [sized[a:b] for a, b in new_spans("How many archives can a repository hold?", "number", sized)]
    assert found == ["5"]
    assert new_spans("How many days does a month count as?", "number", "A month counts as 31 days.") != []
    assert new_spans("By how many kilometers is it longer?", "number", "It is 2000 km longer.") != []
    assert new_spans("How many Victorians are Catholic?", "number", "Catholics are 26.7% of Victorians.") != []


def test_a_link_target_or_the_path_inside_a_url_is_no_path_to_answer_with():
    text = "Use `ssh://git.example.com//path/to/repo`. See the [Discovery doc](./server-discovery.md), or edit /etc/foo.conf."
    assert [text[a:b] for a, b in new_spans("What file do I edit?", "path", text)] == ["/etc/foo.conf"]


def test_a_config_option_is_a_key_of_the_configuration_not_a_flag():
    text = "* `lfs.storage` - Overrides the storage directory; see it with git config --get lfs.storage or README.md."
    found = [text[a:b] for a, b in new_spans("Which git config option moves the storage directory?", "option", text)]
    assert found and set(found) == {"lfs.storage"}
    assert [text[a:b] for a, b in new_spans("Which option of git config reads one key?", "option", text)] == ["--get"]


def test_a_number_in_a_link_or_a_numbered_lists_mark_is_no_quantity():
    linked = "The POI loader [http://www.garmin.com/support/agree.jsp?id=927] loads 5 points."
    assert [linked[a:b] for a, b in new_spans("How many points can a file hold?", "number", linked)] == ["5 points"]
    listed = "There are three device types:\n1. Linux AX.25 devices\n2. Serial ports\n3. Network serial ports"
    assert new_spans("Which TCP port does the web page listen on?", "number", listed) == []
    wrapped = "The default is\n10. Must be at least 5."
    assert [wrapped[a:b] for a, b in new_spans("What is the default overlap?", "number", wrapped)] == ["10", "5"]


def test_a_parameter_is_a_snake_case_name_or_a_configuration_line_where_the_question_asks_for_one():
    text = (
        "The postscreen_client_connection_count_limit parameter controls this limit.\n\n"
        "    /etc/postfix/main.cf:\n        smtpd_sasl_type = dovecot\n        username = foo\n"
    )
    found = [text[a:b] for a, b in new_spans("Which parameter sets that limit?", "option", text)]
    assert found == ["postscreen_client_connection_count_limit", "smtpd_sasl_type = dovecot"]
    assert [text[a:b] for a, b in new_spans("Which compile-time option sets it?", "option", text)] == [
        "smtpd_sasl_type = dovecot"
    ]


def test_a_time_written_with_its_units_letter_and_a_count_of_things_named_before_are_numbers():
    timed = "Postfix terminates a command that runs longer than command_time_limit seconds (default: 1000s)."
    question = "How long can a filter run before Postfix kills it by default?"
    assert [timed[a:b] for a, b in new_spans(question, "number", timed)] == ["1000s"]
    counted = '"error" reports an error condition. A process will terminate when more than 13 of these happen.'
    question = "How many 'error' messages can a process log before it terminates?"
    assert [counted[a:b] for a, b in new_spans(question, "number", counted)] == ["13"]


def test_a_command_after_a_root_prompt_is_a_code_line_and_a_comment_is_not():
    assert is_code_line("# postfix reload")
    assert is_code_line("$ postconf -e")
    assert not is_code_line("# Send messages addressed to root")
    assert not is_code_line("# see the manual")


def test_a_release_the_question_asks_about_is_one_it_names_with_a_release_word():
    assert releases_asked("What new features came with vsearch 2.23.0?") == ["2.23.0"]
    assert releases_asked("When was Git LFS 3.3.1 released?") == ["3.3.1"]
    assert releases_asked("I'm on borg 1.2.4. How do I prune archives?") == []
    assert writes_version("v2.22.1 released June 2023", "2.22.1")
    assert writes_version("Since 2.23 the flag is gone.", "2.23.0")
    assert not writes_version("In 2.23.5 the flag is gone.", "2.23.0")
    assert not writes_version("Listen on 192.168.2.23.0/24", "2.23.0")


def test_a_configuration_block_under_a_file_label_keeps_the_lead_in_above_the_label():
    text = (
        "The default is to report only serious problems to postmaster:\n\nDefault setting:\n\n"
        "    /etc/postfix/main.cf:\n        notify_classes = resource, software\n\nThe meaning of the classes follows."
    )
    n = next(i for i, (a, b) in enumerate(split_sentences(text)) if "notify" in text[a:b])
    assert (
        units(text)[n] == "Default setting:\n\n    /etc/postfix/main.cf:\n        notify_classes = resource, software"
    )


def test_a_term_with_its_description_indented_on_the_lines_under_it_is_one_unit():
    text = (
        "Several features aid testing:\n\nsoft_bounce\n    This is a safety net that defers rejects. It keeps mail "
        "queued.\n\nwarn_if_reject\n    When placed before a reject-type restriction, this logs a warning instead.\n"
    )
    n = next(i for i, (a, b) in enumerate(split_sentences(text)) if text[a:b].startswith("When placed"))
    assert units(text)[n] == (
        "warn_if_reject\n    When placed before a reject-type restriction, this logs a warning instead."
    )


def test_a_key_binding_a_symbol_or_an_expansion_is_a_term_its_description_holds_across_examples():
    readline = (
        "transpose-chars (C-t)\n\nDrag the character before the cursor forward.\n\n"
        "edit-and-execute-command (C-x C-e)\n\nInvoke an editor on the current command line.\n"
    )
    n = next(i for i, (a, b) in enumerate(split_sentences(readline)) if readline[a:b].startswith("Invoke"))
    assert units(readline)[n] == "edit-and-execute-command (C-x C-e)\n\nInvoke an editor on the current command line."
    history = (
        "!!\n\nRefer to the previous command.\n\n^string1^string2^\n\nQuick Substitution. Repeat the last command.\n"
    )
    n = next(i for i, (a, b) in enumerate(split_sentences(history)) if history[a:b].startswith("Repeat"))
    assert units(history)[n] == "^string1^string2^\n\nQuick Substitution. Repeat the last command."
    expansions = (
        "${parameter:-word}\n\nIf parameter is unset, word is substituted.\n\n$ v=123\n$ echo ${v-unset}\n123\n\n"
        "${parameter:=word}\n\nIf parameter is unset, word is assigned to it.\n"
    )
    spans_ = split_sentences(expansions)
    first = next(i for i, (a, b) in enumerate(spans_) if expansions[a:b].startswith("If parameter is unset, word is s"))
    second = next(
        i for i, (a, b) in enumerate(spans_) if expansions[a:b].startswith("If parameter is unset, word is a")
    )
    assert units(expansions)[first].startswith("${parameter:-word}\n\n")
    assert units(expansions)[second].startswith("${parameter:=word}\n\n")


def test_a_path_that_starts_with_a_variable_is_one_path_with_its_variable():
    text = "Keys are kept in $HOME/.config/borg/keys or ${XDG_CONFIG_HOME}/git/ignore, not in debian/control."
    assert [text[a:b] for a, b in spans("path", text)] == [
        "$HOME/.config/borg/keys",
        "${XDG_CONFIG_HOME}/git/ignore",
        "debian/control",
    ]


def test_a_question_for_a_number_asks_for_a_limit_by_its_superlative_and_a_text_says_one_in_other_words():
    assert bounds_asked("What's the highest priority I can give an extension?") == {"highest": "maximum"}
    assert bounds_asked("How many jobs can the table hold at most?") == {"at most": "maximum"}
    assert bounds_asked("What is the shortest interval I can set, in seconds?") == {"shortest": "minimum"}
    assert bounds_asked("What is the largest city in the region?") == {}
    assert "maximum" in states_asked("What's the longest table name SQLite will accept?")
    assert "maximum" in states_said("The archive is limited in size to MAX_OBJECT_SIZE (20MiB).")
    assert "maximum" in states_said("You can use zstd for a wide range: N=1 to N=22.")
    assert "maximum" not in states_said("The default is 20; each entry shows the job's number.")


def test_the_kind_asked_for_is_read_from_the_sentence_that_asks_not_from_the_scene():
    scene = "I'm doing a regex replacement and also need to know how many substitutions were made. "
    assert asked(scene + "Which pattern method returns both?") == "identifier"
    assert asked("How many substitutions were made?") == "number"
    assert asked("How many bytes are mapped out of the box, i.e. what is the default mmap size?") == "number"


def test_a_name_in_code_is_what_a_question_for_a_method_a_class_or_an_exception_asks_for():
    text = (
        "Use the subn() method, or attach a NullHandler; the flag re.DOTALL and num_addresses help, while "
        "www.example.com, config.txt, version 3.2.1 and plain words do not.\n>>> addr6.exploded\n"
    )
    found = [text[a:b] for a, b in new_spans("Which method should I call?", "identifier", text)]
    assert found == ["subn()", "NullHandler", "re.DOTALL", "num_addresses", "addr6.exploded"]
    assert asked("Which more specific exception do I get?") == "identifier"
    assert asked("What HTTP method does the client use to upload?") != "identifier"
    assert asked("Which hash method may I use for the oid?") != "identifier"
    prose = ["NP is the class of problems a nondeterministic machine solves in polynomial time."]
    assert in_other_sense("What complexity class holds the problem?", "identifier", prose)
    assert not in_other_sense("Which class do I subclass?", "identifier", [*prose, "Subclass NullHandler."])


def test_a_settings_value_that_looks_like_a_year_is_a_number_and_a_named_unit_takes_a_bare_one():
    question = "During a long backup, how often is a checkpoint written by default, in seconds?"
    text = "| -c SECONDS, --checkpoint-interval SECONDS | write checkpoint every SECONDS seconds (Default: 1800)"
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["1800"]
    assert new_spans("How many seconds does it wait?", "number", "It was released in 1800, then rewritten.") == []
    assert new_spans("How often is it written?", "number", "It is written every 1800.") == []


def test_a_manual_section_after_a_name_and_a_footnote_mark_are_no_numbers():
    text = "See sources.list(5) and dpkg-deb(1) [62]; apt-cacher listens on port 3142 for (2) machines, choices=[0, 1]."
    assert [text[a:b] for a, b in spans("number", text)] == ["3142", "2", "0", "1"]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Quel sera le nom de code de Debian 14, après trixie ?", ["Debian 14"]),
        ("When was Bash 5.2 released?", ["Bash 5.2"]),
        ("How do I install it on Debian 14?", []),  # where the asker stands
        ("What is the default minimal_backoff_time in Postfix 3.7?", []),
        ("Which version does Python 3.11's unicodedata module use?", []),
        ("What does Chapter 5 cover?", []),  # a part of the documents
        ("Debian 14 est sortie quand ?", []),  # a capital that starts the question names nothing by itself
    ],
)
def test_a_release_is_named_by_a_name_and_its_number_that_the_question_asks_about(question, named):
    assert named_releases(question) == named


def test_a_named_release_is_written_with_a_word_or_two_between_and_not_across_a_contents_line():
    assert writes_named("Debian GNU/Linux 14 (forky) is next.", "Debian 14")
    assert writes_named("Debian 14.1 fixed it.", "Debian 14")
    assert not writes_named("Debian 140 is far off.", "Debian 14")
    assert not writes_named("What version of Debian GNU/Linux run? . . . . . . 14", "Debian 14")
    assert writes_named("Interstate 15 runs north.", "Interstates 15")


def test_a_number_with_a_point_right_after_a_capitalised_name_is_its_release_not_a_quantity():
    question = "In a PREGREET log line, the text is cut off at what length?"
    text = "It is not logged with Postfix 2.8. The text is truncated to 100 bytes; the box weighs 2.8 kg."
    assert [text[a:b] for a, b in new_spans(question, "number", text)] == ["100 bytes", "2.8 kg"]
    ports = "It will not boot from the USB 3.0 port."
    assert [ports[a:b] for a, b in new_spans("Which USB port will it fail to boot from?", "number", ports)] == ["3.0"]


def test_a_tool_named_in_french_prose_is_a_package_and_the_words_after_le_paquet_that_name_none_are_not():
    text = (
        "Vous pouvez utiliser le paquet reportbug qui vous guidera, ou le paquet contre lequel vous écrivez. "
        "Installez le paquet source, puis le paquet build-essential ; utilisez dpkg-deb."
    )
    assert [text[a:b] for a, b in spans("package", text)] == ["reportbug", "build-essential", "dpkg-deb"]


def test_a_file_to_create_in_a_folder_the_question_names_is_the_listed_name_not_where_it_is_installed():
    text = (
        "The file names are:\n\n"
        "package.cron.hourly - Installed as /etc/cron.hourly/package; run once an hour.\n"
        "package.cron.daily - Installed as /etc/cron.daily/package; run once a day.\n"
    )
    question = "My program cleans up once a day. Which file do I create in debian/ so cron runs it?"
    assert [text[a:b] for a, b in new_spans(question, "path", text)] == ["package.cron.hourly", "package.cron.daily"]
    elsewhere = "Where is the daily cron script installed?"
    assert "/etc/cron.daily/package" in [text[a:b] for a, b in new_spans(elsewhere, "path", text)]


def test_an_option_prose_names_before_the_word_option_is_an_option():
    text = "If the histappend shell option is enabled, lines are appended; the same option and the following option."
    assert [text[a:b] for a, b in spans("option", text)] == ["histappend"]


def test_the_word_after_how_many_is_what_is_counted_even_where_the_word_list_knows_only_its_verb():
    question = "How many redirects will urllib follow before it gives up with an HTTPError?"
    text = "The response returned by urlopen has two useful methods info() and geturl()."
    assert new_spans(question, "number", text) == []  # two methods are no count of redirects
    said = "urllib follows at most 10 redirects before it gives up."
    assert [said[a:b] for a, b in new_spans(question, "number", said)] == ["10"]


def test_a_measure_asked_is_not_given_by_a_bare_number_word_or_a_version_s_first_part():
    question = "How much disk space do I need free to install R 4.2.2 on Windows?"
    text = "Installation is via R-4.2.2patched-win.exe; at least one web-based service builds binaries."
    assert new_spans(question, "number", text) == []
    sized = "The installer needs two gigabytes of free space."
    assert [sized[a:b] for a, b in new_spans(question, "number", sized)] == ["two gigabytes"]
    assert [t[a:b] for t in ["It uses SHA3-256."] for a, b in new_spans("Which SHA3 size?", "number", t)] == [
        "SHA3-256"
    ]
