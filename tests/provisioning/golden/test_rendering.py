"""Jinja rendering of skeleton files: values in, files out, every mistake with name and line."""

import pytest

from provisioning.golden_paths.rendering import RenderError, render_files, render_text


def problems(templates, context=None):
    with pytest.raises(RenderError) as caught:
        render_files(templates, context or {"name": "checkout"})
    return [str(p) for p in caught.value.problems]


def test_paths_and_contents_are_rendered():
    files = render_files({"{{ name }}/app.py": "PORT = {{ port }}\n"}, {"name": "svc", "port": 80})
    assert files == {"svc/app.py": "PORT = 80\n"}


def test_a_misspelt_variable_names_the_file_and_line():
    assert problems({"README.md": "# {{ name }}\n\n{{ nmae }}\n"}) == [
        "README.md, line 3: 'nmae' is undefined"
    ]


def test_a_syntax_error_names_the_file_and_line():
    (problem,) = problems({"a.txt": "ok\n{% if %}\n"})
    assert problem.startswith("a.txt, line 2: ")


def test_every_broken_file_is_reported_at_once():
    assert len(problems({"a": "{{ x }}", "b": "{{ y }}", "c": "fine"})) == 2


def test_templates_cannot_reach_python_internals():
    (problem,) = problems({"a": "{{ name.__class__.__mro__ }}"})
    assert "unsafe" in problem


def test_a_path_that_escapes_the_repository_is_refused():
    (problem,) = problems({"{{ '../' }}x": "text"})
    assert "unsafe path" in problem


def test_github_expressions_survive_inside_raw_blocks():
    text = render_text("ci", "{% raw %}${{ github.sha }}{% endraw %}-{{ name }}", {"name": "a"})
    assert text == "${{ github.sha }}-a"
