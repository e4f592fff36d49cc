"""An in-memory column index of the catalog, for counting the searched views of a big catalog.

A broad word ("pay") matches a fifth of a 1,000,000-service catalog. PostgreSQL must read every
one of those rows before it can group them (the trigram index only narrows, and each row is
rechecked): 42,000 pages, 230–300 ms on this machine before any counting. This index answers
the same counts from arrays in memory:

- each component's facet columns (owner, system, type, lifecycle, tier, language, tags) as
  numpy arrays of small integer codes: a filter is one vectorised comparison, a facet's counts
  one `bincount`;
- its search text as tokens, the text split at whitespace. A search word holds no whitespace
  (catalog/filtersets.py search_words), so it occurs in a text exactly when it occurs within
  one of the text's tokens: the rows a word matches are the postings of every distinct token
  that contains it, found by one scan of the distinct tokens. That is exactly the rows of
  `search_text LIKE '%word%'`, the condition PostgreSQL evaluates (search_q).

Filters mean what they mean for PostgreSQL: the teams, systems and tags a filter names are read
by the same code (catalog/backstage/component_conditions.py), and the columns are the search
table's (catalog/models/search.py), type, lifecycle and language lower-cased alike.

One truth: an index is built from the search table and the catalog version read in the same
snapshot, and used only while the catalog version is still that one. After a catalog write the
next search finds it stale: PostgreSQL counts that search (catalog/facets.py), and a background
thread of the process builds the next index. Each process holds its own; a catalog below
settings.CATALOG_SEARCH_INDEX_MIN_ROWS never builds one, PostgreSQL counting it fast enough.
"""

import logging
import re
import threading
import time
from array import array
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connections, transaction

from catalog.backstage import component_conditions as conditions
from catalog.filtersets import FACET_KEYS, FACETS
from catalog.models import System, Team

log = logging.getLogger(__name__)

# Builds run on a thread of their own (tests build in the foreground with build_now).
BACKGROUND = True
# The search table's rows as the index reads them, in id order.
SOURCE = (
    "SELECT component_id, search_text, owner_id, lower(owner_ref), system_id, lower(system_ref), "
    "type, lifecycle, tier, language, tag_ids FROM catalog_componentsearch ORDER BY component_id"
)
CHUNK = 20_000


class _Coder:
    """Values of one column as codes 0, 1, 2…, in the order they first appear."""

    def __init__(self, *first):
        self.codes: dict = {}
        for value in first:
            self.code(value)

    def code(self, value) -> int:
        return self.codes.setdefault(value, len(self.codes))

    def values(self) -> list:
        return list(self.codes)


@dataclass
class SearchIndex:
    version: int
    ids: np.ndarray  # component ids, one per row
    columns: dict[str, np.ndarray]  # owner, owner_ref, system, system_ref, type, …: codes
    values: dict[str, list]  # the value of each code, per coded column
    codes: dict[str, dict]  # and the code of each value
    tag_rows: np.ndarray  # for each (component, tag) pair: the component's row
    tag_codes: np.ndarray  # and the tag's code in values["tag"]
    vocabulary: str  # every distinct token once, joined by newlines
    token_starts: np.ndarray  # where each token starts in `vocabulary`
    posting_starts: np.ndarray  # token t's rows are posting_rows[starts[t]:starts[t + 1]]
    posting_rows: np.ndarray
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        arrays = [self.ids, self.tag_rows, self.tag_codes, self.token_starts, self.posting_starts]
        arrays += [self.posting_rows, *self.columns.values()]
        return sum(a.nbytes for a in arrays) + len(self.vocabulary.encode())

    # -- matching ----------------------------------------------------------------------------

    def word_rows(self, word: str) -> np.ndarray:
        """A mask of the rows whose search text contains `word` (which holds no whitespace)."""
        found = np.zeros(len(self), dtype=bool)
        if not word:
            found[:] = True
            return found
        at = np.fromiter(
            (m.start() for m in re.finditer(re.escape(word), self.vocabulary)), dtype=np.int64
        )
        if not len(at):
            return found
        tokens = np.searchsorted(self.token_starts, at, side="right") - 1  # ascending
        tokens = tokens[np.concatenate(([True], tokens[1:] != tokens[:-1]))]
        starts = self.posting_starts[tokens]
        lengths = self.posting_starts[tokens + 1] - starts
        postings = int(lengths.sum())
        if postings > len(self.posting_rows) // 8:  # most tokens: one pass over all postings
            hit = np.zeros(len(self.posting_starts) - 1, dtype=bool)
            hit[tokens] = True
            found[self.posting_rows[np.repeat(hit, np.diff(self.posting_starts))]] = True
            return found
        # The positions of every posting of those tokens, without a Python loop per token.
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        found[self.posting_rows[offsets + np.arange(postings)]] = True
        return found

    def _in(self, column: str, values) -> np.ndarray:
        return self._coded_in(self.columns[column], self.codes_of(column, values))

    @staticmethod
    def _coded_in(coded: np.ndarray, codes: list[int]) -> np.ndarray:
        """A mask of the positions of `coded` holding any of `codes`: a lookup per position,
        several times faster than np.isin."""
        if not len(coded):
            return np.zeros(0, dtype=bool)
        highest = int(coded.max())
        wanted = np.zeros(highest + 1, dtype=bool)
        wanted[[code for code in codes if 0 <= code <= highest]] = True  # others match nothing
        return wanted[coded]

    def codes_of(self, column: str, values) -> list[int]:
        codes = self.codes[column]
        return [codes[value] for value in values if value in codes]

    def filter_rows(self, facet: str, values) -> np.ndarray:
        """A mask of the rows `facet` is any of `values` for, as facet_q means it."""
        values = tuple(values)
        if facet in ("owner", "system"):
            kind, model = ("group", Team) if facet == "owner" else ("system", System)
            named, written = conditions.reference_targets(values, kind, model)
            ids = [row["id"] for row in named] if named is not None else []
            unresolved = self.columns[facet] == self.codes[facet][None]
            return self._in(facet, ids) | (unresolved & self._in(f"{facet}_ref", written))
        if facet == "tier":
            return self._coded_in(self.columns["tier"], conditions.tiers_of(values))
        if facet == "tag":
            ids = [row["id"] for row in conditions.tag_ids_of(list(values))]
            rows = np.zeros(len(self), dtype=bool)
            rows[self.tag_rows[self._coded_in(self.tag_codes, self.codes_of("tag", ids))]] = True
            return rows
        assert FACET_KEYS[facet] in conditions.VALUE_COLUMNS  # noqa: S101 - every facet is above
        return self._in(facet, {value.lower() for value in values})

    # -- counting ----------------------------------------------------------------------------

    def count(self, teams, words, filters) -> tuple[int, dict[str, list], np.ndarray]:
        """(matches, {facet: [(value, count)…]}, the matches' ids) of a view: each facet's
        counts over the rows passing every filter but its own, as catalog/facets.py counts."""
        base = np.ones(len(self), dtype=bool)
        if teams is not None:
            base &= self.filter_rows("owner", teams)
        for word in words:
            base &= self.word_rows(word)
        flags = {name: self.filter_rows(name, values) for name, values in filters}
        everything = base.copy()
        for flag in flags.values():
            everything &= flag
        by_facet = {}
        for facet in FACETS:
            rows = everything
            if facet in flags:
                rows = base.copy()
                for name, flag in flags.items():
                    if name != facet:
                        rows &= flag
            by_facet[facet] = self._counts(facet, rows)
        return int(everything.sum()), by_facet, self.ids[everything]

    def _counts(self, facet: str, rows: np.ndarray) -> list[tuple[str, int]]:
        if facet == "tier":
            tiers, counts = np.unique(self.columns["tier"][rows], return_counts=True)
            return [(str(t), int(n)) for t, n in zip(tiers.tolist(), counts.tolist(), strict=True)]
        tagged = facet == "tag"
        coded = self.tag_codes[rows[self.tag_rows]] if tagged else self.columns[facet][rows]
        values = self.values[facet]
        counts = np.bincount(coded, minlength=len(values))
        return [
            (str(values[code]), int(counts[code]))
            for code in np.flatnonzero(counts).tolist()
            if values[code] not in (None, "")
        ]


def build(using: str = "default") -> SearchIndex:
    """Read the search table and the catalog version in one snapshot into a new index."""
    started = time.perf_counter()
    connection = connections[using]
    ids = array("q")
    coders = {
        "owner": _Coder(None), "owner_ref": _Coder(""), "system": _Coder(None),
        "system_ref": _Coder(""), "type": _Coder(""), "lifecycle": _Coder(""),
        "language": _Coder(""), "tag": _Coder(),
    }  # fmt: skip
    coded = {name: array("i") for name in coders if name != "tag"}
    tiers = array("h")
    tag_rows, tag_codes = array("i"), array("i")
    vocabulary: dict[str, int] = {}
    posting_tokens, posting_rows = array("i"), array("i")
    outer = connection.in_atomic_block  # a caller's transaction (a test's) keeps its snapshot
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if not outer:  # the version and the rows from one snapshot
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT version FROM catalog_catalogversion WHERE id = 1")
            found = cursor.fetchone()
        version = found[0] if found else None
        with connection.chunked_cursor() as cursor:
            cursor.execute(SOURCE)
            row_number = 0
            while rows := cursor.fetchmany(CHUNK):
                for cid, text, owner, oref, system, sref, kind, life, tier, lang, tags in rows:
                    ids.append(cid)
                    coded["owner"].append(coders["owner"].code(owner))
                    coded["owner_ref"].append(coders["owner_ref"].code(oref))
                    coded["system"].append(coders["system"].code(system))
                    coded["system_ref"].append(coders["system_ref"].code(sref))
                    coded["type"].append(coders["type"].code(kind))
                    coded["lifecycle"].append(coders["lifecycle"].code(life))
                    coded["language"].append(coders["language"].code(lang))
                    tiers.append(tier)
                    for tag in tags:
                        tag_rows.append(row_number)
                        tag_codes.append(coders["tag"].code(tag))
                    tokens = [vocabulary.setdefault(t, len(vocabulary)) for t in set(text.split())]
                    posting_tokens.extend(tokens)
                    posting_rows.extend([row_number] * len(tokens))
                    row_number += 1
    # The token strings first (the dictionary, a third of the peak, is emptied), then the
    # postings sorted by token.
    text, token_starts = _joined(vocabulary)
    posting_starts, rows_by_token = _by_token(posting_tokens, posting_rows, len(token_starts))
    del posting_tokens[:], posting_rows[:]
    return _assemble(
        version, ids, coders, coded, tiers, tag_rows, tag_codes, text, token_starts,
        posting_starts, rows_by_token, started,
    )  # fmt: skip


def _joined(vocabulary: dict[str, int]) -> tuple[str, np.ndarray]:
    """The tokens in id order joined by newlines, and where each starts; empties `vocabulary`."""
    words = list(vocabulary)
    vocabulary.clear()
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    token_starts = np.zeros(len(words), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=token_starts[1:])
    return "\n".join(words), token_starts


def _by_token(posting_tokens: array, posting_rows: array, count: int) -> tuple:
    """(where each token's rows start, the rows ordered by token, in row order per token): one
    sort of 64-bit keys (token, row) in place, rather than an argsort and a gather."""
    keys = np.frombuffer(posting_tokens, dtype=np.int32).astype(np.int64)
    keys <<= 32
    keys |= np.frombuffer(posting_rows, dtype=np.int32)
    keys.sort()
    per_token = np.bincount(keys >> 32, minlength=count)
    posting_starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(per_token, out=posting_starts[1:])
    return posting_starts, (keys & 0xFFFFFFFF).astype(np.int32)


def _assemble(version, ids, coders, coded, tiers, tag_rows, tag_codes, text, token_starts,
              posting_starts, posting_rows, started) -> SearchIndex:  # fmt: skip
    columns = {name: np.frombuffer(codes, dtype=np.int32).copy() for name, codes in coded.items()}
    columns["tier"] = np.frombuffer(tiers, dtype=np.int16).copy()
    return SearchIndex(
        version=version,
        ids=np.frombuffer(ids, dtype=np.int64).copy(),
        columns=columns,
        values={name: coder.values() for name, coder in coders.items()},
        codes={name: coder.codes for name, coder in coders.items()},
        tag_rows=np.frombuffer(tag_rows, dtype=np.int32).copy(),
        tag_codes=np.frombuffer(tag_codes, dtype=np.int32).copy(),
        vocabulary=text,
        token_starts=token_starts,
        posting_starts=posting_starts,
        posting_rows=posting_rows,
        seconds=time.perf_counter() - started,
    )


# -- the process's indexes ------------------------------------------------------------------

_lock = threading.Lock()
_indexes: dict[str, SearchIndex] = {}
_building: set[str] = set()
# using -> (catalog version, whether the catalog is big enough for an index)
_sizes: dict[str, tuple[int, bool]] = {}
# using -> when the next background build may start: a build after a build waits as long as
# the last one took, so a catalog written to without pause costs at most half a core.
_not_before: dict[str, float] = {}


def current(using: str, version: int | None) -> SearchIndex | None:
    """The index of catalog `version`, or None; when there is none and the catalog is big
    enough, a build starts in the background (the caller counts with PostgreSQL meanwhile)."""
    if version is None or connections[using].vendor != "postgresql":
        return None
    index = _indexes.get(using)
    if index is not None and index.version == version:
        return index
    if BACKGROUND and _big_enough(using, version):
        _start(using)
    return None


def _big_enough(using: str, version: int) -> bool:
    known = _sizes.get(using)
    if known is not None and known[0] == version:
        return known[1]
    with connections[using].cursor() as cursor:  # the planner's estimate: enough to decide
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'catalog_componentsearch'::regclass"
        )
        found = cursor.fetchone()
    # Below the setting's default (50,000) PostgreSQL counts a search in well under 100 ms.
    smallest = settings.CATALOG_SEARCH_INDEX_MIN_ROWS
    big = bool(found) and smallest > 0 and found[0] >= smallest
    _sizes[using] = (version, big)
    return big


def _start(using: str) -> None:
    with _lock:
        if using in _building or time.monotonic() < _not_before.get(using, 0.0):
            return
        _building.add(using)
    threading.Thread(target=_build_in_background, args=(using,), daemon=True).start()


def _build_in_background(using: str) -> None:
    started = time.monotonic()
    try:
        index = build(using)
        _keep(using, index)
        log.info(
            "catalog search index: %d components, version %s, %.1f s, %.0f MB",
            len(index), index.version, index.seconds, index.nbytes / 1e6,
        )  # fmt: skip
    except Exception:
        log.exception("catalog search index: the build failed; PostgreSQL counts searches")
    finally:
        connections[using].close()
        with _lock:
            _building.discard(using)
            _not_before[using] = time.monotonic() + (time.monotonic() - started)


def _keep(using: str, index: SearchIndex) -> None:
    with _lock:
        kept = _indexes.get(using)
        if kept is None or (index.version or 0) >= (kept.version or 0):
            _indexes[using] = index


def build_now(using: str = "default") -> SearchIndex:
    """Build and keep the index now, in this thread, in place of any other (a benchmark's
    set-up, which may have switched the connection to another database; a test)."""
    index = build(using)
    with _lock:
        _indexes[using] = index
    return index


def forget(using: str | None = None) -> None:
    """Drop the kept indexes (tests)."""
    with _lock:
        for name in [using] if using else {*_indexes, *_sizes, *_not_before}:
            _indexes.pop(name, None)
            _sizes.pop(name, None)
            _not_before.pop(name, None)
