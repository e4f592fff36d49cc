"""Parse one large multi-document file on several CPUs, with the result `parse_file` gives.

An all-in-one export of 100,000 entities is 80 MiB of YAML, and reading it takes as long as
writing it. Its documents are independent (an alias cannot reach into another document), so
the file is cut into runs of whole documents, each parsed in a forked process, and the results
joined in file order with their document numbers moved on.

1. Cut before a `---` line near each equal share of the bytes. libyaml always starts a
   document there: such a line ends a plain scalar, a block scalar's lines are indented, and
   inside a quoted scalar it is a syntax error.
2. Parse the runs at once, each as `parse_file` parses a file, and compute the entities'
   digests there too (they travel back with the entity).
3. Join them. If a run stopped at a syntax error (or a directive or quoted text cut in two),
   the whole file is parsed again in one piece, so the report reads exactly as it would have.
"""

import itertools
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context

from catalog.backstage import descriptors

PARALLEL_MIN_BYTES = 8 * 2**20  # below this, starting the processes costs more than it saves
MAX_PROCESSES = 4
_DOCUMENT_START = re.compile(rb"^---(?=[ \t\r\n]|$)", re.MULTILINE)


def processes() -> int:
    """The CPUs this process may run on, at most MAX_PROCESSES."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(cpus, MAX_PROCESSES)


def split_documents(data: bytes, parts: int) -> list[bytes]:
    """`data` cut into at most `parts` runs of whole documents, each but the first starting
    at a `---` line (step 1)."""
    cuts = [0]
    for share in range(1, parts):
        found = _DOCUMENT_START.search(data, max(len(data) * share // parts, cuts[-1] + 1))
        while found is not None and _after_directive(data, found.start()):
            found = _DOCUMENT_START.search(data, found.end())
        if found is None:
            break
        cuts.append(found.start())
    cuts.append(len(data))
    return [data[start:end] for start, end in itertools.pairwise(cuts) if end > start]


def _after_directive(data: bytes, start: int) -> bool:
    """Whether the line before `start` is a directive (%YAML, %TAG) of the document there."""
    line_start = data.rfind(b"\n", 0, max(start - 1, 0)) + 1
    return data[line_start : line_start + 1] == b"%"


def _parse_run(name: str, data: bytes, discovery: bool) -> descriptors.FileResult:
    result = descriptors.parse_documents(name, data, discovery=discovery)
    for entity in result.entities:
        entity.digest  # noqa: B018 - computed here, on this process's CPU
    return result


def parse_large_file(
    name: str, data: bytes, *, discovery: bool = False, max_bytes: int = descriptors.MAX_FILE_BYTES
) -> descriptors.FileResult:
    """`parse_file(name, data, …)`, on several processes when the file is large (steps 1-3)."""
    whole = descriptors.checked_bytes(name, data, discovery, max_bytes)
    if isinstance(whole, descriptors.FileResult):  # refused or skipped as a whole
        return whole
    runs = split_documents(data, processes()) if len(data) >= PARALLEL_MIN_BYTES else [data]
    if len(runs) < 2:
        return descriptors.parse_file(name, data, discovery=discovery, max_bytes=max_bytes)
    # Forked, the workers start at once with every module loaded; they never touch the parent's
    # database connection and leave through os._exit, which does not close it.
    with ProcessPoolExecutor(len(runs), mp_context=get_context("fork")) as pool:
        count = len(runs)
        results = list(pool.map(_parse_run, [name] * count, runs, [discovery] * count))
    if any(result.stopped for result in results):
        return descriptors.parse_file(name, data, discovery=discovery, max_bytes=max_bytes)
    joined = _joined(results)
    joined.skipped = discovery and not (joined.entities or joined.locations or joined.rejections)
    return joined


def _joined(results: list[descriptors.FileResult]) -> descriptors.FileResult:
    """The runs' results in file order, their document numbers counted on from run to run."""
    joined = descriptors.FileResult()
    offset = 0
    for result in results:
        for entity in result.entities:
            entity.index += offset
        joined.entities += result.entities
        joined.locations += [replace(item, index=item.index + offset) for item in result.locations]
        joined.rejections += [
            replace(item, index=item.index + offset) for item in result.rejections
        ]
        offset += result.documents
    joined.documents = offset
    return joined
