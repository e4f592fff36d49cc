"""Render golden-path templates (skeleton files, file paths, the pipeline) with Jinja.

Templates are written by platform engineers in the admin, so they run in Jinja's sandbox (no
access to Python internals) with `StrictUndefined` (a misspelt variable is an error, not an
empty string). Every problem is reported with the template's name and line, and all templates
are tried so one preview shows every mistake at once.
"""

import traceback
from dataclasses import dataclass

from jinja2 import BaseLoader, StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment


@dataclass(frozen=True)
class TemplateProblem:
    template: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.template}, line {self.line}" if self.line else self.template
        return f"{where}: {self.message}"


class RenderError(Exception):
    """One or more templates could not be rendered; `problems` says where and why."""

    def __init__(self, problems: list[TemplateProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class _NamedSources(BaseLoader):
    """Serves templates by name and gives each its name as filename, so tracebacks carry it."""

    def __init__(self, sources: dict[str, str]):
        self.sources = sources

    def get_source(self, environment, template: str):
        return self.sources[template], template, lambda: True


def _environment(sources: dict[str, str]) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=_NamedSources(sources),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # source code and YAML, not HTML
    )


def _line_of(exc: BaseException, name: str) -> int | None:
    """The template line a runtime error happened on, from Jinja's rewritten traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == name]
    return frames[-1].lineno if frames else None


def _render_one(env: SandboxedEnvironment, name: str, context: dict) -> str:
    try:
        return env.get_template(name).render(context)
    except TemplateSyntaxError as exc:
        raise RenderError([TemplateProblem(name, exc.lineno, exc.message or str(exc))]) from None
    except TemplateError as exc:
        raise RenderError([TemplateProblem(name, _line_of(exc, name), str(exc))]) from None
    except Exception as exc:  # e.g. a filter given the wrong type: the template's fault too
        problem = TemplateProblem(name, _line_of(exc, name), f"{exc.__class__.__name__}: {exc}")
        raise RenderError([problem]) from None


def render_text(name: str, source: str, context: dict) -> str:
    """One template; raises RenderError naming `name` and the line."""
    return _render_one(_environment({name: source}), name, context)


def render_files(templates: dict[str, str], context: dict) -> dict[str, str]:
    """Render {path template: content template} to {path: text}; every problem is collected.

    Paths are templates too (e.g. `{{ module }}/app.py`); a path that renders empty, absolute
    or with '..' is a problem of that file.
    """
    sources = {f"{path} (path)": path for path in templates} | dict(templates)
    env = _environment(sources)
    rendered, problems = {}, []
    for path, _content in templates.items():
        try:
            target = _render_one(env, f"{path} (path)", context).strip()
            text = _render_one(env, path, context)
        except RenderError as exc:
            problems.extend(exc.problems)
            continue
        if not target or target.startswith("/") or ".." in target.split("/"):
            problems.append(TemplateProblem(path, None, f"renders to an unsafe path {target!r}"))
            continue
        rendered[target] = text
    if problems:
        raise RenderError(problems)
    return rendered
