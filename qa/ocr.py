"""Text from page images with RapidOCR, whose ONNX models (Chinese and English) ship inside its wheel."""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from importlib.util import find_spec
from typing import Any

from qa.errors import QAError
from qa.layout import Line

INSTALL = "pip install -e '.[ocr]' (or pip install rapidocr-onnxruntime) to read scans"
BATCH = 12  # text lines recognised between two checks of the page's deadline
_LOCK = threading.Lock()


class OcrError(QAError):
    """OCR could not read a page: not installed, or over its time limit."""


def available() -> bool:
    return find_spec("rapidocr_onnxruntime") is not None


@lru_cache(maxsize=1)
def _engine() -> Any:
    import logging

    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return engine


def read_lines(image: Any, timeout: float) -> list[Line]:
    """The text lines of a PIL image, boxes in pixels; OcrError once `timeout` seconds have passed.

    The 180-degree classifier is not run: on upright scans it turned whole lines upside down (measured), and
    pages are scanned upright far more often than not.
    """
    if not available():
        raise OcrError(f"OCR is not installed; {INSTALL}")
    import cv2
    import numpy as np

    deadline = time.monotonic() + timeout
    pixels = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    with _LOCK:  # one page at a time: the engine's sessions already use every core
        engine = _engine()
        found, _ = engine(pixels, use_cls=False, use_rec=False)
        if not found:
            return []
        boxes = [np.asarray(box, dtype=np.float32) for box in found]
        crops = engine.get_crop_img_list(pixels, boxes)
        texts: list[tuple[str, float]] = []
        for begin in range(0, len(crops), BATCH):
            _check(deadline, timeout)
            recognised, _ = engine.text_rec(crops[begin : begin + BATCH])
            texts += [(str(text), float(score)) for text, score, *_ in recognised]
        _check(deadline, timeout)
    lines = []
    for box, (text, score) in zip(boxes, texts):
        if score >= engine.text_score and text.strip():
            xs, ys = box[:, 0], box[:, 1]
            lines.append(Line(text.strip(), float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())))
    return lines


def _check(deadline: float, timeout: float) -> None:
    if time.monotonic() > deadline:
        raise OcrError(f"OCR stopped at the {timeout:g} s limit per page; raise QA_OCR_PAGE_TIMEOUT")
