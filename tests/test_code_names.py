"""Names of code in a question (--keep-within, BORG_MOUNT_DATA_CACHE_ENTRIES): found where a passage writes them
whole, and a passage that only holds their parts is about something else."""

from __future__ import annotations

import pytest
from helpers import write

from qa import Settings, build_index, open_index
from qa.codenames import asked_code_names, code_names, says
from qa.retrieval import with_literal
from qa.sparse import terms

PRUNE = (
    "The --keep-within option takes an interval such as 2d. A month given as 1m is taken to mean 31d, and archives "
    "in that interval are all kept."
)
PROSE = (
    "Keep your backups within reach: keep one copy within the building and keep another within a safe. To keep "
    "them fresh, keep them within a week of the last change, and keep a list within the repository."
)
ENVIRONMENT = (
    "BORG_FILES_CACHE_TTL\n\nWhen set to a numeric value, this determines the maximum time to live for the files "
    "cache entries (default: 20). The mount command keeps data of archives in a cache of its own."
)


LIMITS = (
    "Chunker parameters\n\nCHUNK_MAX_EXP = 23 (maximum chunk size = 2^23 B = 8 MiB)\n\nHASH_MASK_BITS = 21 (target "
    "chunk size ~= 2^21 B = 2 MiB)\n\nArchive limits\n\nThe archive is stored as a single object in the repository "
    "and thus limited in size to MAX_OBJECT_SIZE (20MiB). If one tries to create an archive object bigger than "
    "MAX_OBJECT_SIZE, a fatal IntegrityError will be raised."
)


@pytest.fixture(scope="module")
def manual(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("codenames")
    settings = Settings(corpus=base / "corpus", index=base / "index")
    write(settings.corpus, "prune.txt", PRUNE)
    write(settings.corpus, "environment.txt", ENVIRONMENT)
    write(settings.corpus, "limits.txt", LIMITS)
    for n in range(6):
        write(settings.corpus, f"advice-{n}.txt", f"Advice {n}\n\n{PROSE}\n")
    build_index(settings)
    return open_index(settings)


def test_a_name_of_code_is_said_whole_or_not_at_all():
    assert code_names("If I give --keep-within 1m to prune, or set BORG_X_Y and gc.pruneExpire?") == [
        "--keep-within",
        "BORG_X_Y",
        "gc.pruneExpire",
    ]
    assert says("Use --keep-within 2d.", "--keep-within")
    assert says("Set GC.PRUNEEXPIRE to now.", "gc.pruneExpire")
    assert not says("Keep them within a week.", "--keep-within")
    assert not says("Use --keep-within-days.", "--keep-within")
    assert says("The SINTAX algorithm classifies reads.", "--sintax")  # one part: that part says it


def test_a_chunk_that_writes_the_name_whole_leads_the_lexical_ranking(manual):
    question = "What does --keep-within keep?"
    snapshot = manual.snapshot
    ranked = snapshot.sparse.top(terms(question), 20)
    prune = next(i for i, chunk in snapshot.chunks([i for i, _ in ranked]).items() if "--keep-within" in chunk.text)
    assert ranked[0][0] != prune  # the advice says "keep" and "within" more often
    assert with_literal(snapshot, question, ranked)[0][0] == prune
    assert with_literal(snapshot, "What does keep within keep?", ranked) == ranked
    answer = manual.ask("If I give --keep-within 1m to prune, how many days does that month count as?")
    assert answer.answered, answer.reason
    assert "31d" in answer.answer


def test_a_passage_holding_only_the_parts_of_a_setting_is_about_another_one(manual):
    answer = manual.ask("What's the largest value I can set BORG_MOUNT_DATA_CACHE_ENTRIES to?")
    assert not answer.answered
    assert "BORG_MOUNT_DATA_CACHE_ENTRIES" in answer.reason
    named = manual.ask("What's the largest value I can set BORG_FILES_CACHE_TTL to?")
    assert not named.answered or "20" in named.answer


def test_a_name_that_only_says_which_family_of_settings_need_not_be_said():
    assert asked_code_names("Which rl_config setting controls empty tables?") == []
    assert asked_code_names("What is the default of rl_config.emptyTableAction?") == ["rl_config.emptyTableAction"]


def test_a_setting_named_in_the_chunk_before_holds_for_the_list_this_one_goes_on_with():
    from qa.answerability import chunks_before
    from qa.retrieval import Sentence
    from qa.types import Chunk, Hit, Span

    head = "BORG_WORKAROUNDS\n\nA list of strings that trigger workarounds. Currently known strings are:"
    body = "basesyncfile\n\nUse the more simple BaseSyncFile code to avoid issues with sync_file_range."
    first = Chunk(Span("general.html", 100, 100 + len(head), 1, 1), head)
    second = Chunk(Span("general.html", 100 + len(head) + 2, 100 + len(head) + 2 + len(body), 2, 2), body)
    elsewhere = Chunk(Span("faq.html", 0, len(head), 1, 1), head)

    def sentence(rank: int, chunk: Chunk) -> Sentence:
        return Sentence(rank, Hit(rank, chunk, 1.0), chunk.start, chunk.end, chunk.text, 0.5, 0.5, 0.5)

    found = [sentence(0, second), sentence(1, first), sentence(2, elsewhere)]
    assert chunks_before(found, second) == [first]
    assert chunks_before(found, first) == []


def test_the_unit_that_gives_the_asked_kind_for_the_named_setting_leads(manual):
    answer = manual.ask(
        "Creating an archive failed with an IntegrityError. What is the maximum size (MAX_OBJECT_SIZE)?"
    )
    assert answer.answered, answer.reason
    assert "20MiB" in answer.citations[0].text
    assert answer.short is not None and answer.short.text == "20MiB"
