"""docs/benchmarks.md holds one section per benchmark; each rewrites its own and no other."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
PREAMBLE = """# Benchmarks

Figures measured by the benchmarks under `tests/bench/`. Each section says how to reproduce it;
the benchmark rewrites its own section and leaves the others alone.
"""


def write_section(heading: str, text: str, path: Path = DOCS) -> Path:
    """Replace the section under `heading` (up to the next `## ` heading), or append it. The
    file is read right before writing, as other benchmarks write their sections to it too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    current = path.read_text() if path.exists() else PREAMBLE
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current, count=1).rstrip() + "\n"
    else:
        updated = current.rstrip() + "\n\n" + text
    path.write_text(updated)
    return path
