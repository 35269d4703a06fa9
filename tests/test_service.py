"""The app's handlers called as plain methods, without a server or a browser."""

from __future__ import annotations

import shutil

import gradio as gr
from helpers import DEBIAN_FAQ, DEFAULT_CORPUS, FAQ_CHAT, HOLD, RELEASE, UNHOLD, write

from qa import Settings, build_index
from qa.followup import NOTHING_MORE
from qa.history import load
from qa.service import Service
from qa.views import EMPTY_SOURCES


def service_for(tmp_path, embedder) -> Service:
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    build_index(settings)
    return Service(settings)


def test_respond_streams_the_answer_then_shows_its_sources(tmp_path, embedder):
    service = service_for(tmp_path, embedder)
    steps = list(service.respond("Which cities are in the Greater Bay Area?", None, 5, "extractive"))
    assert len(steps) > 2, "the answer arrives in steps"
    chat, sources, box, history = steps[-1]
    assert chat[0] == {"role": "user", "content": "Which cities are in the Greater Bay Area?"}
    assert "Shenzhen" in chat[-1]["content"] and "[[1]](#source-1-1)" in chat[-1]["content"]
    assert "hong-kong-ai.txt" in sources and "<mark>" in sources and 'id="source-1-1"' in sources and box == ""
    [turn] = load(history)
    assert (
        turn.question == "Which cities are in the Greater Bay Area?" and turn.citations[0].source == "hong-kong-ai.txt"
    )


def test_a_follow_up_takes_its_context_from_the_history_the_browser_sends(tmp_path, embedder):
    """Two services on one index stand for two app processes: the second answers a follow-up to the first."""
    first, second = (
        service_for(tmp_path, embedder),
        Service(Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")),
    )
    *_, (_, _, _, history) = first.respond("Which cities are in the Greater Bay Area?", None, 5, "extractive")
    *_, (followed, _, _, _) = second.respond("Which of them is the largest?", history, 5, "extractive")
    *_, (alone, _, _, _) = second.respond("Which of them is the largest?", None, 5, "extractive")
    assert followed[-1]["content"] != alone[-1]["content"], "the follow-up must use the turn the other process gave"
    assert NOTHING_MORE in followed[-1]["content"], "the article names the cities and says no more about them"


def test_a_chat_answers_a_follow_up_anew_and_says_when_there_is_nothing_more(tmp_path, embedder):
    write(tmp_path / "corpus", "debian-faq.md", DEBIAN_FAQ)
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    service, history, shown = Service(settings), None, []
    for question in FAQ_CHAT:
        *_, (chat, sources, _, history) = service.respond(question, history, 5, "extractive")
        shown.append((chat[-1]["content"], sources))
    (hold, _), (undo, _), (nothing_more, closest), (fresh, _) = shown
    assert HOLD in hold
    assert UNHOLD in undo and undo != hold
    assert NOTHING_MORE in nothing_more and "Closest passages (no answer found)" in closest
    assert RELEASE in fresh and "hold" not in fresh


def test_respond_to_an_empty_question_changes_nothing(tmp_path, embedder):
    service = service_for(tmp_path, embedder)
    [(chat, sources, box, history)] = list(service.respond("   ", None, 5, "extractive"))
    assert box == "" and all(isinstance(v, type(gr.skip())) for v in (chat, sources, history))


def test_the_api_handlers_give_the_json_of_the_cli(tmp_path, embedder):
    service = service_for(tmp_path, embedder)
    answer = service.api_ask("What is the population of Hong Kong?")
    assert answer["answered"] is False and "population" in answer["reason"]
    hits = service.api_search("fraud detection")["hits"]
    assert hits and hits[0]["source"] == "hong-kong-ai.txt"


def test_upload_and_rebuild_handlers(tmp_path, embedder):
    service = service_for(tmp_path, embedder)
    note = tmp_path / "kelp.txt"
    note.write_text("Kelp forests shelter sea otters along the coast.\n")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    status, cleared, info = service.upload([str(note), str(exe)], False)
    assert "Added **kelp.txt**" in status and "Refused **tool.exe**" in status and cleared is None
    status, info, rows, _, _ = service.rebuild(progress=lambda *args, **kwargs: None)
    assert status.startswith("Index updated") and "added 1" in status
    assert "**Documents:** 2" in info and [row[0] for row in rows.value["data"]] == ["hong-kong-ai.txt", "kelp.txt"]
    assert service.rebuild(progress=lambda *args, **kwargs: None)[0] == "The index is up to date."
    assert service.api_search("kelp forests otters")["hits"][0]["source"] == "kelp.txt"


def test_an_unanswerable_question_clears_nothing_but_shows_closest_passages(tmp_path, embedder):
    service = service_for(tmp_path, embedder)
    *_, (chat, sources, _, _) = service.respond("How do I bake sourdough bread?", None, 5, "extractive")
    assert "does not cover" in chat[-1]["content"]
    assert sources != EMPTY_SOURCES and "Closest passages" in sources
