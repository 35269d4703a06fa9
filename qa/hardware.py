"""What this machine can compute on, read without importing torch: CPU flags, a CUDA GPU, installed runtimes."""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
SHOWN_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")
NVIDIA = (Path("/proc/driver/nvidia/version"), Path("/dev/nvidiactl"))


@dataclass(frozen=True)
class Hardware:
    cpu_flags: frozenset[str] = field(default=frozenset(), repr=False)
    cuda: bool = False  # an NVIDIA GPU, and a torch built with CUDA to drive it
    onnxruntime: bool = False  # the onnxruntime package is installed

    @property
    def cpu_bf16(self) -> bool:
        """True where the CPU computes bfloat16 natively (AVX-512 BF16 or AMX); elsewhere bf16 is emulated, slowly."""
        return any(flag in self.cpu_flags for flag in BF16_FLAGS)

    def describe(self) -> str:
        shown = [f for f in SHOWN_FLAGS if f in self.cpu_flags] or ["none of " + " ".join(SHOWN_FLAGS)]
        return f"CPU flags {' '.join(shown)}; CUDA {'yes' if self.cuda else 'no'}; onnxruntime {'yes' if self.onnxruntime else 'no'}"


def cpu_flags(cpuinfo: Path | None = None) -> frozenset[str]:
    try:
        text = (cpuinfo or CPUINFO).read_text(errors="replace")
    except OSError:
        return frozenset()
    return frozenset(
        flag for line in text.splitlines() if line.startswith("flags") for flag in line.partition(":")[2].split()
    )


def torch_has_cuda() -> bool:
    """Whether the installed torch is a CUDA build, from its version file (importing torch takes seconds)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return False
    version = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    try:
        text = version.read_text()
    except OSError:
        return False
    match = re.search(r"^cuda\s*(?::[^=]*)?=\s*(.+)$", text, re.M)
    return match is not None and match.group(1).strip() not in ("None", "''", '""')


def detect(cpuinfo: Path | None = None) -> Hardware:
    gpu = any(p.exists() for p in NVIDIA)
    return Hardware(
        cpu_flags=cpu_flags(cpuinfo),
        cuda=gpu and torch_has_cuda(),
        onnxruntime=importlib.util.find_spec("onnxruntime") is not None,
    )


def cpu_threads() -> int:
    """Threads an encoder may use: $QA_THREADS (a Ray actor sets its CPUs there), else the cores this process may
    run on."""
    raw = os.environ.get("QA_THREADS", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else max(1, len(os.sched_getaffinity(0)))
