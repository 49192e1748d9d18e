"""Batch iteration with the next batch prepared in a background thread (overlaps the device)."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")


def prefetched(
    items: Sequence[Any], order: Sequence[int] | np.ndarray, batch_size: int, prepare: Callable[[list[Any]], T],
    *, background: bool = True,
) -> Iterator[tuple[list[int], T]]:
    """Yield ``(positions, prepare(batch))`` in ``order``; with ``background`` batch i+1 is
    prepared in a thread while the caller works on batch i (tokenisers and image decoders
    release the GIL). Use ``background=False`` on the CPU, where both sides need the same
    cores: MiniLM ran at 42-60 sentences/s inline vs 17-40 with the thread when the cores
    were busy.

    Stopping early (an exception or KeyboardInterrupt in the caller) cancels pending work.
    """
    starts = list(range(0, len(order), batch_size))
    if not starts:
        return
    if not background:
        for start in starts:
            pos = list(order[start : start + batch_size])
            yield pos, prepare([items[i] for i in pos])
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedviz-prefetch")

    def submit(start: int) -> tuple[list[int], Future[T]]:
        pos = list(order[start : start + batch_size])
        return pos, pool.submit(prepare, [items[i] for i in pos])

    try:
        pending = submit(starts[0])
        for nxt in starts[1:] + [None]:
            pos, fut = pending
            ready = fut.result()
            if nxt is not None:
                pending = submit(nxt)
            yield pos, ready
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
