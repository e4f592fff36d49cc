"""Three-way merge of a template's new version onto a repository's files (Copier-style update).

`base` is the repository rendered at the version it is on, `theirs` at the new version, `ours`
what the repository holds now. Per file:
- the template did not change it (base == theirs): ours stays, whatever it is;
- the service did not change it (ours == base): theirs, i.e. the new template's version, or
  removed when the template removed it;
- both changed it: `git merge-file` (git_host/plumbing.py; git is always installed here) puts
  the template's change on top of the service's; overlapping edits are conflicts, left in the
  text with the usual <<<<<<< ======= >>>>>>> markers for a person to resolve;
- the template removed a file the service changed: kept, with a note;
- the service removed a file the template changed: stays removed, with a note.
No database, no repository: values in, values out.
"""

from dataclasses import dataclass, field

from provisioning.git_host.plumbing import merge_file


@dataclass
class MergeResult:
    files: dict[str, str]  # the repository's files after the merge
    conflicts: list[str] = field(default_factory=list)  # paths left with conflict markers
    notes: list[str] = field(default_factory=list)

    def changed(self, ours: dict[str, str]) -> bool:
        return self.files != ours


def merge_repository(
    base: dict[str, str],
    theirs: dict[str, str],
    ours: dict[str, str],
    labels: tuple[str, str, str] = ("yours", "template before", "template now"),
    only: set[str] | None = None,
) -> MergeResult:
    """Merge every file of `base`/`theirs` onto `ours` (only the paths in `only`, if given)."""
    result = MergeResult(dict(ours))
    for path in sorted(set(base) | set(theirs)):
        if only is not None and path not in only:
            continue
        _merge_path(result, path, base.get(path), theirs.get(path), ours.get(path), labels)
    return result


def _merge_path(result: MergeResult, path, b, t, o, labels) -> None:
    if b == t or o == t:
        return  # the template did not change it, or the service already has the new version
    if o == b:
        if t is None:
            del result.files[path]
        else:
            result.files[path] = t
    elif t is None:
        result.notes.append(f"kept {path}: the new template removes it, but it was changed here")
    elif o is None:
        result.notes.append(f"{path} stays removed: the new template changes it")
    else:
        text, conflicted = merge_file(o, b or "", t, labels)
        result.files[path] = text
        if conflicted:
            result.conflicts.append(path)
