"""A real Ray cluster on loopback for the tests and the Ray benchmark: a head and worker nodes started with
`ray start --block`, each with its own CPUs, inside a network namespace that has only a loopback interface.

Ray replaces 127.0.0.1 by the address of the machine's first interface when a node joins; in a namespace with
only `lo` that address is 127.0.0.1, so no traffic leaves loopback. The cluster uses token authentication (on
by default for local clusters since Ray 2.59) with a token of its own, and a HOME of its own, so nothing is
written to the user's ~/.ray. `stop` ends exactly the processes of this cluster (never `ray stop`, which stops
every Ray on the machine).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import ROOT, free_port

RAY = Path(sys.executable).with_name("ray")
START_S = 120


def namespaces_work() -> str:
    """ "" when network namespaces can be made here (root and iproute2), else why not."""
    if os.geteuid() != 0:
        return "making a network namespace needs root"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    return ""


class RayCluster:
    """`nodes` Ray nodes of `cpus` CPUs each; `address` is the head's host:port. With no nodes, only the
    namespace, for a command that starts a Ray of its own (`qa index --ray auto`)."""

    def __init__(self, base: Path, nodes: int = 2, cpus: int = 1) -> None:
        self.base = base
        self.namespace = f"qa-ray-{os.getpid()}-{secrets.token_hex(3)}"
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        self.token_file = base / "token"
        self.token_file.write_text(self.token)
        (base / "home").mkdir(exist_ok=True)
        self.nodes: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        subprocess.run(["ip", "netns", "add", self.namespace], check=True)
        try:
            subprocess.run(self.inside(["ip", "link", "set", "lo", "up"]), check=True)
            if nodes:
                self._start_node(["--head", f"--port={self.port}", "--include-dashboard=false"], cpus)
                self._wait_for(lambda: self._head_answers(), "the head node to listen")
            for _ in range(nodes - 1):
                self._start_node([f"--address={self.address}"], cpus)
            if nodes:
                self._wait_for(lambda: self.alive_nodes() == nodes, f"{nodes} nodes to join")
        except BaseException:
            self.stop()
            raise

    def inside(self, command: list[str]) -> list[str]:
        """`command` run inside the cluster's network namespace."""
        return ["ip", "netns", "exec", self.namespace, *command]

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of the cluster's processes: its token, its HOME, no usage reports."""
        return {
            **os.environ,
            "HOME": str(self.base / "home"),
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": self.token,
            "RAY_USAGE_STATS_ENABLED": "0",
            "HF_HUB_OFFLINE": "1",
            **extra,
        }

    def client_env(self, **extra: str) -> dict[str, str]:
        """A driver's environment as a user sets it: the token in a file, nothing else of Ray's."""
        env = {k: v for k, v in self.env().items() if k not in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN")}
        return {**env, "RAY_AUTH_TOKEN_PATH": str(self.token_file), **extra}

    def qa(self, *args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
        """The real `qa` command, run inside the namespace."""
        return subprocess.run(
            self.inside([sys.executable, "-m", "qa.cli", *args]),
            cwd=ROOT,
            env=env or self.client_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen_qa(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            self.inside([sys.executable, "-m", "qa.cli", *args]),
            cwd=ROOT,
            env=env or self.client_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def alive_nodes(self) -> int:
        code = (
            f"import ray; ray.init(address={self.address!r}, log_to_driver=False); "
            "print(sum(n['Alive'] for n in ray.nodes()))"
        )
        result = subprocess.run(
            self.inside([sys.executable, "-c", code]), env=self.env(), capture_output=True, text=True, timeout=60
        )
        return int(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 and result.stdout.strip() else 0

    def pids(self, pattern: str) -> list[int]:
        """Processes of this cluster (in its namespace) whose command line contains `pattern`."""
        listed = subprocess.run(["ip", "netns", "pids", self.namespace], capture_output=True, text=True).stdout
        found = []
        for pid in map(int, listed.split()):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if pattern in command:
                found.append(pid)
        return found

    def stop(self) -> None:
        for node in reversed(self.nodes):
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGTERM)
        for node in self.nodes:
            try:
                node.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait(10)
        for pid in self.pids(""):  # whatever the nodes left behind in the namespace
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "delete", self.namespace], capture_output=True)

    def _start_node(self, args: list[str], cpus: int) -> None:
        log = self.base / f"node-{len(self.nodes)}.log"
        self.logs.append(log)
        command = [
            str(RAY),
            "start",
            "--block",
            f"--num-cpus={cpus}",
            "--object-store-memory=100000000",
            "--disable-usage-stats",
            *args,
        ]
        if args[0] == "--head":
            command.append(f"--temp-dir={self.base / 'ray'}")
        with open(log, "wb") as out:
            self.nodes.append(
                subprocess.Popen(
                    self.inside(command), env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            )

    def _head_answers(self) -> bool:
        probe = f"import socket; socket.create_connection(('127.0.0.1', {self.port}), timeout=1).close()"
        return subprocess.run(self.inside([sys.executable, "-c", probe]), capture_output=True).returncode == 0

    def _wait_for(self, ready, what: str) -> None:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if any(n.poll() is not None for n in self.nodes):
                raise RuntimeError(f"a Ray node exited while waiting for {what}: {self._log_tail()}")
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out waiting for {what}: {self._log_tail()}")

    def _log_tail(self) -> str:
        return " | ".join(log.read_text(errors="replace")[-600:] for log in self.logs if log.exists())
