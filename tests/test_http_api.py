"""The app's HTTP API through gradio_client, and what uploads may and may not write."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from helpers import ANSWER_KEYS, DEFAULT_CORPUS, free_port

from qa import Settings, build_index
from qa.uploads import add_documents, safe_name
from qa.web import serve

pytestmark = pytest.mark.filterwarnings(  # pandas deprecations raised inside gradio's queue
    "ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated"
)
LIMIT = 64 * 1024
CITATION_KEYS = {"id", "source", "start", "end", "line_start", "line_end", "page", "text", "score", "boxes", "also_in"}
HIT_KEYS = {"source", "start", "end", "line_start", "line_end", "page", "text", "score", "also_in"}


def start(base: Path, **overrides) -> SimpleNamespace:
    corpus = base / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    settings = Settings(corpus=corpus, index=base / "index", max_upload_bytes=LIMIT, **overrides)
    build_index(settings)
    port = free_port()
    app = serve(settings, port=port, block=False)
    return SimpleNamespace(app=app, url=f"http://127.0.0.1:{port}/", settings=settings, base=base)


@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder):
    server = start(tmp_path_factory.mktemp("api"))
    yield server
    server.app.close()


@pytest.fixture(scope="module")
def client(site):
    from gradio_client import Client

    return Client(site.url, verbose=False, analytics_enabled=False, download_files=False)


def file_text(settings: Settings, source: str) -> str:
    return (settings.corpus / source).read_bytes().decode("utf-8")


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_ask_endpoint_returns_the_json_contract(client, site):
    result = client.predict("Which cities are in the Greater Bay Area?", api_name="/ask")
    assert set(result) == ANSWER_KEYS
    assert result["answered"] is True and result["mode"] == "extractive" and "Shenzhen" in result["answer"]
    assert result["citations"] and all(set(c) == CITATION_KEYS for c in result["citations"])
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])}
    assert markers == {c["id"] for c in result["citations"]}
    for c in result["citations"]:
        assert file_text(site.settings, c["source"])[c["start"] : c["end"]] == c["text"]
        assert c["line_start"] == file_text(site.settings, c["source"]).count("\n", 0, c["start"]) + 1


def test_ask_endpoint_refuses_off_topic_questions(client, site):
    result = client.predict("How do I bake sourdough bread?", api_name="/ask")
    assert result["answered"] is False and "does not cover" in result["answer"]
    assert {int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])} == {c["id"] for c in result["citations"]}
    for c in result["citations"]:
        assert file_text(site.settings, c["source"])[c["start"] : c["end"]] == c["text"]


def test_search_endpoint_returns_hits_with_exact_offsets(client, site):
    result = client.predict("fraud detection", api_name="/search")
    assert set(result) == {"query", "hits"} and result["query"] == "fraud detection"
    assert result["hits"] and all(set(h) == HIT_KEYS for h in result["hits"])
    for h in result["hits"]:
        assert file_text(site.settings, h["source"])[h["start"] : h["end"]] == h["text"]


def test_only_ask_and_search_are_in_the_api(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/ask", "/search"} and not api["unnamed_endpoints"]


def test_corpus_and_index_files_are_not_served(site):
    for path in (site.settings.corpus / "hong-kong-ai.txt", site.settings.index / "CURRENT"):
        assert path.exists()
        assert httpx.get(f"{site.url}gradio_api/file={path.resolve()}").status_code in (403, 404)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../evil.txt", "evil.txt"),
        ("..\\..\\evil.txt", "evil.txt"),
        ("/etc/cron.d/evil.txt", "evil.txt"),
        (".hidden.md", "hidden.md"),
        ("ev\x00il\n\x1b.txt", "evil.txt"),
        ("notes.txt", "notes.txt"),
        ("..", None),
        ("../", None),
        ("", None),
    ],
)
def test_safe_name_keeps_only_a_plain_base_name(name, expected):
    assert safe_name(name) == expected


def test_disallowed_type_is_refused_and_nothing_written(site, tmp_path):
    before = listing(site.settings.corpus)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    added, refused = add_documents(site.settings, [str(exe)])
    assert added == [] and refused[0][0] == "tool.exe" and "unsupported type .exe" in refused[0][1]
    assert listing(site.settings.corpus) == before


def test_oversized_file_is_refused_and_nothing_written(site, tmp_path):
    before = listing(site.settings.corpus)
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (LIMIT + 1))
    added, refused = add_documents(site.settings, [str(big)])
    assert added == [] and "upload limit" in refused[0][1]
    response = httpx.post(f"{site.url}gradio_api/upload", files={"files": ("big.txt", big.read_bytes(), "text/plain")})
    assert response.status_code == 413
    assert listing(site.settings.corpus) == before


def test_uploaded_name_with_a_path_cannot_write_outside_the_corpus(site):
    response = httpx.post(
        f"{site.url}gradio_api/upload", files={"files": ("../../evil.txt", b"escape attempt\n", "text/plain")}
    )
    response.raise_for_status()
    [uploaded] = response.json()
    added, refused = add_documents(site.settings, [uploaded])
    assert added == ["evil.txt"] and refused == []
    assert (site.settings.corpus / "evil.txt").read_text() == "escape attempt\n"
    for folder in (site.base, site.base.parent, site.base.parent.parent):
        assert not (folder / "evil.txt").exists()


def test_existing_file_is_kept_unless_overwrite_is_ticked(site, tmp_path):
    original = file_text(site.settings, "hong-kong-ai.txt")
    upload = tmp_path / "hong-kong-ai.txt"
    upload.write_text("replacement\n")
    added, refused = add_documents(site.settings, [str(upload)])
    assert added == [] and "Overwrite" in refused[0][1]
    assert file_text(site.settings, "hong-kong-ai.txt") == original
    shutil.copy(upload, tmp_path / "notes.md")
    assert add_documents(site.settings, [str(tmp_path / "notes.md")], overwrite=True) == (["notes.md"], [])
    assert add_documents(site.settings, [str(upload)], overwrite=True) == (["hong-kong-ai.txt"], [])
    assert file_text(site.settings, "hong-kong-ai.txt") == "replacement\n"
    (site.settings.corpus / "hong-kong-ai.txt").write_text(original, encoding="utf-8")


def test_symlink_out_of_the_corpus_is_not_followed(site, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    os.symlink(outside, site.settings.corpus / "link.txt")
    try:
        upload = tmp_path / "link.txt"
        upload.write_text("overwritten\n")
        added, refused = add_documents(site.settings, [str(upload)], overwrite=True)
        assert added == [] and "outside the corpus" in refused[0][1]
        assert outside.read_text() == "keep me\n"
    finally:
        os.unlink(site.settings.corpus / "link.txt")


def test_auth_setting_requires_a_login(tmp_path, embedder):
    from gradio_client import Client

    server = start(tmp_path, auth="reader:s3cret")
    try:
        assert httpx.get(f"{server.url}config").status_code in (401, 403)
        client = Client(server.url, auth=("reader", "s3cret"), verbose=False, analytics_enabled=False)
        assert client.predict("fraud detection", api_name="/search")["hits"]
    finally:
        server.app.close()
