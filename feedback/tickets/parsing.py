"""Reading a ticket export (CSV) and classifying its rows: pure functions, values in and out.

1. `decode()` turns the bytes into text: UTF-8 (with or without a BOM), else cp1252, else
   latin-1, saying which fallback it used.
2. `read_rows()` checks the size, the header (naming missing columns and the ones found) and
   parses each row; a row with a bad date is skipped with its line number and why.
3. `classify()` picks the type of the highest-priority matching rule.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

MAX_BYTES = 10 * 2**20
MAX_ROWS = 100_000
JIRA_DATE_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%d/%b/%y")


class ImportRefused(Exception):
    """The whole file is refused (too big, undecodable, columns missing): nothing imported."""


@dataclass(frozen=True)
class Columns:
    """Which CSV column holds each field (Jira's names by default)."""

    key: str = "Issue key"
    created: str = "Created"
    summary: str = "Summary"
    labels: str = "Labels"
    resolved: str = "Resolved"
    issue_type: str = "Issue Type"  # optional, used for classification
    description: str = "Description"  # optional, used for classification

    def required(self) -> list[str]:
        return [self.key, self.created, self.summary, self.labels, self.resolved]


@dataclass(frozen=True)
class Row:
    """One ticket as read from the file."""

    line: int
    key: str
    created: datetime
    resolved: datetime | None
    summary: str
    labels: tuple[str, ...]
    text: str  # summary, issue type and description: what keyword rules look in


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "line 7: …"
    notes: list[str] = field(default_factory=list)  # e.g. the encoding fallback used


@dataclass(frozen=True)
class Rule:
    match: str  # "keyword" or "label"
    pattern: str
    type: str
    priority: int


def decode(data: bytes) -> tuple[str, str]:
    """(text, note): UTF-8 first; cp1252 (Excel on Windows) or latin-1 reported in the note."""
    if b"\x00" in data[:4096]:
        raise ImportRefused(
            "This file is not a CSV text file (it has NUL bytes, e.g. an .xlsx or a UTF-16 "
            "export): export the tickets as CSV (UTF-8) and upload that."
        )
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        return text, "The file is not UTF-8: read it as Windows-1252 (cp1252). Check accents."
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        return text, "The file is not UTF-8: read it as Latin-1 (ISO-8859-1). Check accents."


def parse_date(raw: str) -> datetime:
    """Jira's `03/Nov/26 9:15 AM` or an ISO date/time; naive times are taken as UTC."""
    text = raw.strip()
    if not text:
        raise ValueError("the date is empty")
    for fmt in JIRA_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"'{text[:40]}' is not a date: use Jira's 03/Nov/26 9:15 AM or ISO 2026-11-03T09:15"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_labels(raw: str) -> tuple[str, ...]:
    """Jira exports labels space-separated (or one column per label, joined by the reader)."""
    return tuple(label for label in re.split(r"[\s,;]+", raw.strip()) if label)


def read_rows(data: bytes, columns: Columns = Columns()) -> Parsed:
    """Every row of the export, or ImportRefused saying why the whole file cannot be read."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            f"The file is {len(data) / 2**20:.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB. "
            "Export a shorter period (e.g. the last 90 days) and upload that."
        )
    text, note = decode(data)
    parsed = Parsed(notes=[note] if note else [])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise ImportRefused(f"The header line is not valid CSV ({exc}).") from None
    _check_header(header, columns)
    index = _indexes(header)
    try:
        for count, cells in enumerate(reader, start=1):
            if count > MAX_ROWS:
                raise ImportRefused(
                    f"The file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}. "
                    "Export a shorter period and upload that."
                )
            if not any(cell.strip() for cell in cells):
                continue
            try:
                parsed.rows.append(_row(reader.line_num, cells, index, columns))
            except ValueError as exc:
                parsed.skipped.append(f"line {reader.line_num}: {exc}")
    except csv.Error as exc:
        raise ImportRefused(
            f"Line {reader.line_num} is not valid CSV ({exc}): nothing imported."
        ) from None
    return parsed


def _check_header(header: list[str], columns: Columns) -> None:
    missing = [name for name in columns.required() if name not in header]
    if missing:
        found = ", ".join(f"'{name}'" for name in header if name) or "none"
        raise ImportRefused(
            f"Missing column(s) {', '.join(repr(m) for m in missing)}. The file has: {found}. "
            "Choose the export format that names these columns, or map them in the form."
        )


def _indexes(header: list[str]) -> dict[str, list[int]]:
    """Column name → positions (Jira repeats `Labels` once per label)."""
    index: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        index.setdefault(name, []).append(i)
    return index


def _cell(cells: list[str], index: dict[str, list[int]], name: str) -> str:
    return " ".join(cells[i].strip() for i in index.get(name, []) if i < len(cells)).strip()


def _row(number: int, cells: list[str], index: dict[str, list[int]], columns: Columns) -> Row:
    key = _cell(cells, index, columns.key)
    if not key:
        raise ValueError(f"no {columns.key}: every ticket needs its key")
    try:
        created = parse_date(_cell(cells, index, columns.created))
    except ValueError as exc:
        raise ValueError(f"{columns.created}: {exc}") from None
    resolved_raw = _cell(cells, index, columns.resolved)
    try:
        resolved = parse_date(resolved_raw) if resolved_raw else None
    except ValueError as exc:
        raise ValueError(f"{columns.resolved}: {exc}") from None
    if resolved is not None and resolved < created:
        raise ValueError(f"{columns.resolved} is before {columns.created}")
    summary = _cell(cells, index, columns.summary)
    extra = [_cell(cells, index, columns.issue_type), _cell(cells, index, columns.description)]
    return Row(
        number,
        key[:100],
        created,
        resolved,
        summary[:500],
        split_labels(_cell(cells, index, columns.labels)),
        " ".join([summary, *extra]),
    )


def classify(text: str, labels: tuple[str, ...], rules: list[Rule]) -> str:
    """The type of the highest-priority rule that matches ("" when none does); keywords match
    whole words, case-insensitively; labels match exactly, case-insensitively."""
    lowered = {label.lower() for label in labels}
    for rule in sorted(rules, key=lambda r: (-r.priority, r.pattern)):
        pattern = rule.pattern.lower().strip()
        if rule.match == "label":
            if pattern in lowered:
                return rule.type
        elif re.search(rf"(?<!\w){re.escape(pattern)}(?!\w)", text.lower()):
            return rule.type
    return ""


def team_of(labels: tuple[str, ...], teams: set[str]) -> str:
    """The catalog team a ticket's labels name (`payments`, `team-payments`, `team:payments`),
    spelt as the catalog spells it, whatever the label's case."""
    by_lower = {team.lower(): team for team in teams}
    for label in labels:
        name = re.sub(r"^team[-:_]", "", label.lower())
        if name in by_lower:
            return by_lower[name]
    return ""


# Keyword/label → type rules the import starts with when there are none (editable in the admin).
DEFAULT_RULES: list[Rule] = [
    Rule("keyword", word, slug, priority)
    for slug, priority, words in [
        ("tls-certificate", 120, ["certificate", "cert", "tls", "ssl"]),
        ("dns-record", 110, ["dns", "domain", "cname", "dns record"]),
        ("s3-bucket", 100, ["bucket", "s3"]),
        ("postgres-database", 100, ["database", "rds", "postgres", "postgresql", "db"]),
        ("queue", 100, ["queue", "sqs", "dead-letter"]),
        ("kubernetes-namespace", 100, ["namespace", "k8s namespace"]),
        ("secrets-path", 100, ["secret", "secrets", "vault"]),
        ("service", 90, ["new service", "new repo", "repository", "scaffold"]),
        ("access", 80, ["access", "permission", "permissions", "role", "grant"]),
    ]
    for word in words
] + [
    Rule("label", label, slug, 150)
    for label, slug in [
        ("s3", "s3-bucket"),
        ("rds", "postgres-database"),
        ("sqs", "queue"),
        ("dns", "dns-record"),
        ("certificate", "tls-certificate"),
        ("access-request", "access"),
    ]
]
