"""The catalog list's repeated markup, written in Python: its facet options and result rows.

A template spent about a third of the list's time here, looking up some ten values for each
of ~80 options and 25–100 rows; these functions write the same HTML, every value escaped.
The page's structure stays in templates/catalog/service_list.html, which calls them through
the `facet_options` and `result_rows` filters (catalog/templatetags/catalog_list.py).
"""

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

# A row shows this much of its description.
DESCRIPTION_CHARS = 90


def facet_options(facet: dict) -> SafeString:
    """One facet's options: a labelled checkbox and its exact count each."""
    if not facet["options"]:
        return mark_safe('\n        <p class="muted">None in these results.</p>\n        ')
    name = escape(facet["name"])
    parts = []
    for option in facet["options"]:
        count = option["count"]
        checked = "checked" if option["selected"] else ""
        parts.append(
            '\n        <label class="facet-option">\n'
            f'          <input type="checkbox" name="{name}" value="{escape(option["value"])}" '
            f"{checked}>\n"
            f"          <span>{escape(option['label'])}</span> "
            f'<span class="count">{intcomma(count)}'
            f'<span class="visually-hidden"> service{"" if count == 1 else "s"}</span></span>\n'
            "        </label>\n        "
        )
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped or a number


def _link(entity) -> str:
    return f'<a href="{escape(entity.get_absolute_url())}">{escape(entity.display_name)}</a>'


def _row(c) -> str:
    description = ""
    if c.description:
        short = Truncator(c.description).chars(DESCRIPTION_CHARS)
        description = f'<br><small class="muted">{escape(short)}</small>'
    if c.owner:
        owner = _link(c.owner)
    elif c.owner_ref:
        owner = (
            '<span class="unresolved" title="No team matches this reference">'
            f"{escape(c.owner_ref)}</span>"
        )
    else:
        owner = '<span class="muted">none</span>'
    system = (
        _link(c.system) if c.system else f'<span class="muted">{escape(c.system_ref or "—")}</span>'
    )
    tags = "".join(f'<span class="badge">{escape(tag)}</span> ' for tag in c.tag_names)
    return (
        "\n          <tr>\n"
        f'            <td><a href="{escape(c.get_absolute_url())}">'
        f"<strong>{escape(c.name)}</strong></a>{description}</td>\n"
        f"            <td>{owner}</td>\n"
        f'            <td class="col-optional">{system}</td>\n'
        f'            <td class="col-optional">{escape(c.type)}</td>\n'
        f'            <td><span class="badge lifecycle-{escape(c.lifecycle)}">{escape(c.lifecycle)}'
        "</span></td>\n"
        f'            <td class="col-optional">{c.tier}</td>\n'
        f'            <td class="col-optional">{tags}</td>\n'
        "          </tr>\n        "
    )


def result_rows(rows) -> SafeString:
    """The results table's rows (a list row: catalog/querysets.py `for_list`, `with_tag_names`)."""
    return mark_safe("".join(_row(c) for c in rows))  # noqa: S308 -- every value is escaped
