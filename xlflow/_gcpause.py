"""Python's cycle collector paused while xlflow makes many objects it keeps or frees by
reference counting alone.

A full collection walks every live object. Loading a 40,000-task project.yaml, merging
100,000 task rows or writing 400 workbooks made it walk the project (and all read so
far) again and again: 2.5× the load time, ~15% of a large merge, ~20% of a small
build. None of these makes cyclic garbage worth collecting (a build of 400 workbooks
leaves none); collection resumes when the work ends."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
