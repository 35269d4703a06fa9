"""`qa index --ray`: the files a build must (re)index are read, chunked and embedded by a pool of Ray actors.

Only the files that the content-hash diff selected are sent, as bytes, one file a call and each read only when
an actor is free for it, so the workers need no shared disk and this process never holds the folder. Each actor
loads the model once and runs the code of a local build (qa.ingest); the results stream back to this process,
whose one writer writes them a slice at a time as after a local build.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from qa.config import Settings
from qa.errors import QAError, first_line
from qa.ingest import Embedded, Loaded, embed, load_file
from qa.loaders import SourceFile
from qa.storage.checkpoint import text_key
from qa.storage.textkeys import KeySet
from qa.types import Skipped

INSTALL = "qa index --ray needs Ray: pip install -e '.[ray]' (make ray)"
IN_FLIGHT = 2  # files queued per actor: enough to hide the round trip, few enough to keep the actors even
RETRIES = 3  # restarts of an actor that died, and retries of the calls it held
CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Cluster:
    """The Ray cluster a job runs on."""

    nodes: int
    cpus: int
    gpus: int


@dataclass(frozen=True)
class Result:
    """One file as a worker returned it: read and chunked (or not, with why), and the vectors it embedded."""

    index: int  # the file's position in the job, so results are taken in the order of a local build
    loaded: Loaded | None
    notes: list[Skipped]
    embedded: dict[str, Embedded]


def connect(settings: Settings) -> Cluster:
    """Join the cluster at settings.ray_address, or start a local Ray for "auto"; one line when it cannot."""
    address = settings.ray_address or "auto"
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # nor a C++ warning a second while a connection retries
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # offline: never report usage
    if address != "auto" and "RAY_AUTH_MODE" not in os.environ and _token_given():
        os.environ["RAY_AUTH_MODE"] = "token"  # Ray turns tokens on by itself only for a cluster it starts
    try:
        import ray
    except ImportError:
        raise QAError(INSTALL) from None
    if ray.is_initialized():
        ray.shutdown()
    try:
        if address == "auto":
            ray.init(
                address="local",  # a Ray of this job's own, even where a `ray start` cluster runs on this machine
                num_cpus=len(os.sched_getaffinity(0)),
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        else:
            _reachable(address)
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except QAError:
        raise
    except Exception as exc:
        raise QAError(_connect_failure(address, exc)) from None
    resources = ray.cluster_resources()
    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    return Cluster(nodes, int(resources.get("CPU", 0)), int(resources.get("GPU", 0)))


def _token_given() -> bool:
    """Whether this user has a Ray token: in $RAY_AUTH_TOKEN, the file $RAY_AUTH_TOKEN_PATH, or ~/.ray/auth_token."""
    from pathlib import Path

    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return True
    return (Path.home() / ".ray" / "auth_token").is_file()


def _reachable(address: str) -> None:
    """Fail in seconds, not after Ray's minute of retries, when nothing listens at host:port."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise QAError(f"--ray {address!r} is not an address; give host:port of a Ray head (ray start --head), or auto")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise QAError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one there with "
            f"`ray start --head --port {port}`, or use --ray auto for a Ray on this machine"
        ) from None


def _connect_failure(address: str, exc: BaseException) -> str:
    text = first_line(exc)
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 8:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any("Authentication" in type(c).__name__ or "InvalidAuthToken" in str(c) for c in causes):
        return (
            f"the Ray cluster at {address} refused this client's token ({text}); set RAY_AUTH_TOKEN, or "
            f"RAY_AUTH_TOKEN_PATH to a file holding it (`ray get-auth-token` on the head prints it)"
        )
    return f"cannot join the Ray cluster at {address}: {text}"


def workers_for(settings: Settings, cluster: Cluster) -> int:
    """How many encoder actors: settings.ray_workers, or as many as the cluster's CPUs (or GPUs) hold."""
    if settings.ray_workers > 0:
        return settings.ray_workers
    if settings.device == "cuda" and cluster.gpus:
        return cluster.gpus
    return max(1, cluster.cpus // max(1, settings.ray_worker_cpus))


def run(
    settings: Settings,
    files: list[SourceFile],
    skip: KeySet,
    workers: int,
) -> Iterator[Result]:
    """Read, chunk and embed `files` on the cluster; yields each file's result as it arrives. Texts whose key is in
    `skip` (already embedded, in the base version or a checkpoint) are not embedded again.

    A file is read only when an actor is free to take it, so this process holds the bytes of at most IN_FLIGHT
    files per actor, whatever the folder's size; an actor that dies is restarted and its calls retried."""
    import ray

    if not files:
        return
    gpus = 1 if settings.device == "cuda" else 0
    actor: Any = ray.remote(Worker).options(
        num_cpus=max(1, settings.ray_worker_cpus) if not gpus else 1,
        num_gpus=gpus,
        max_restarts=RETRIES,
        max_task_retries=RETRIES,
    )
    shared = ray.put(skip)
    pool: list[Any] = [actor.remote(settings, [shared]) for _ in range(min(workers, len(files)))]
    todo = deque(sorted(range(len(files)), key=lambda i: -files[i].size))  # longest first: none left alone at the end
    free = [a for _ in range(IN_FLIGHT) for a in pool]
    running: dict[Any, Any] = {}
    try:
        while todo or running:
            while free and todo:
                i = todo.popleft()
                file = files[i]
                try:
                    data = file.path.read_bytes()
                except OSError as exc:
                    yield Result(i, None, [Skipped(file.source, exc.strerror or type(exc).__name__)], {})
                    continue
                worker = free.pop()
                running[worker.embed.remote(i, file.source, file.size, file.mtime, data)] = worker
            if not running:
                break
            [ready], _ = ray.wait(list(running), num_returns=1)
            free.append(running.pop(ready))
            yield ray.get(ready)
    except QAError:
        raise
    except Exception as exc:
        raise QAError(f"the Ray job failed: {first_line(exc)}") from None
    finally:
        for worker in pool:
            ray.kill(worker)


class Worker:
    """One Ray actor: the model loaded once, torch or ONNX Runtime held to the CPUs Ray gave the actor."""

    def __init__(self, settings: Settings, skip: Any) -> None:
        import ray

        from qa.chunking import make_splitter
        from qa.embedding import get_embedder, load_tokenizer, model_path, resolve

        cpus = max(1, int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1)))
        os.environ["QA_THREADS"] = str(cpus)  # read by the encoders, or actors on one host fight over cores
        if resolve(settings).backend == "torch":
            import torch

            torch.set_num_threads(cpus)
        self.settings = settings
        self.skip: KeySet = ray.get(skip[0])  # a reference in a list: fetched here, not by actor creation
        self.splitter = make_splitter(load_tokenizer(model_path(settings)), settings)
        self.encoder = get_embedder(settings)

    def embed(self, index: int, source: str, size: int, mtime: float, data: bytes) -> Result:
        """One file's bytes read, chunked, and the chunks not in `skip` embedded."""
        file = SourceFile(source, _no_path(source), size, mtime)
        loaded, notes = load_file(file, data, self.settings, self.splitter)
        chunks = [c.text for c in loaded.chunks] if loaded else []
        held = self.skip.holds([text_key(t) for t in chunks])
        texts = list(dict.fromkeys(t for t, known in zip(chunks, held.tolist()) if not known))
        if not texts:
            return Result(index, loaded, notes, {})
        matrix, sentences = embed(self.encoder, texts, self.settings.batch_size)
        return Result(index, loaded, notes, dict(zip(texts, zip(matrix, sentences))))


def _no_path(source: str) -> Any:
    """Workers get a file's bytes, never its path: the loaders name the file by its source only."""
    from pathlib import PurePosixPath

    return PurePosixPath(source)
