"""axe-core in the browser tests: `assert_accessible(page)` fails on serious or critical
WCAG 2.x A/AA violations of the page as it is now, and lists the lesser ones in its message.

axe is injected with `page.evaluate`, which runs through the DevTools protocol: the portal's
Content-Security-Policy (`script-src 'self'`) does not apply to it, so neither the policy nor
the `page` fixture's check for policy errors in the console has to be weakened.
"""

import os
from functools import cache
from pathlib import Path

AXE_DIR = Path(__file__).parent / "vendor" / "axe-core-4.14.1"

# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe's own tag names).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = ("critical", "serious")
IMPACT_ORDER = ("critical", "serious", "moderate", "minor")

RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {
        runOnly: {type: "tag", values: tags},
        resultTypes: ["violations"],
    });
    return results.violations.map((rule) => ({
        id: rule.id,
        impact: rule.impact,
        help: rule.help,
        helpUrl: rule.helpUrl,
        nodes: rule.nodes.map((node) => ({
            target: node.target.map(String).join(" "),
            html: node.html,
            summary: node.failureSummary,
        })),
    }));
}"""


# axe reports an aria-describedby that names no element only as "needs review", yet it is why a
# screen reader never reads a field's help (issue 12): the portal fails it as serious.
MISSING_REFERENCES = """() => {
    const nodes = [];
    for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
        for (const attribute of ["aria-describedby", "aria-labelledby"]) {
            const ids = (el.getAttribute(attribute) || "").split(/\\s+/).filter(Boolean);
            const missing = ids.filter((id) => !document.getElementById(id));
            if (missing.length) nodes.push({
                target: (el.id ? "#" + el.id : el.tagName.toLowerCase())
                    + " (" + attribute + " names no element: " + missing.join(", ") + ")",
                html: el.outerHTML,
                summary: attribute + " names no element: " + missing.join(", "),
            });
        }
    }
    return nodes.length ? [{
        id: "portal-aria-reference-missing",
        impact: "serious",
        help: "aria-describedby and aria-labelledby must name elements on the page",
        helpUrl: "https://www.w3.org/TR/wai-aria-1.2/#aria-describedby",
        nodes: nodes,
    }] : [];
}"""


@cache
def axe_source() -> str:
    return (AXE_DIR / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """Every WCAG A/AA violation axe finds on the page, and the portal's own check of ARIA
    references, worst first."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    violations = page.evaluate(RUN_AXE, WCAG_TAGS) + page.evaluate(MISSING_REFERENCES)
    return sorted(violations, key=lambda rule: _rank(rule["impact"]))


def assert_accessible(page, context: str = "") -> list[dict]:
    """Fail listing every serious or critical violation (rule, help, elements, page URL);
    moderate and minor ones are in the message and returned, but do not fail. With AXE_REPORT
    set to a file name, every page's violations are appended to it, failing or not."""
    violations = axe_violations(page)
    if violations and (report := os.environ.get("AXE_REPORT")):  # e.g. a CI artefact
        with open(report, "a", encoding="utf-8") as out:
            out.write(describe(violations, page.url, context) + "\n\n")
    failing = [rule for rule in violations if rule["impact"] in FAILING_IMPACTS]
    if failing:
        raise AssertionError(describe(violations, page.url, context))
    return violations


def describe(violations: list[dict], url: str, context: str = "") -> str:
    failing = sum(rule["impact"] in FAILING_IMPACTS for rule in violations)
    where = f"{url} ({context})" if context else url
    lines = [f"axe-core: {failing} serious or critical violation(s) on {where}"]
    for rule in violations:
        note = "" if rule["impact"] in FAILING_IMPACTS else " (reported, not failed)"
        lines.append(f"- [{rule['impact']}] {rule['id']}: {rule['help']}{note}")
        lines.append(f"    {rule['helpUrl']}")
        for node in rule["nodes"]:
            lines.append(f"    at {node['target']}: {' '.join(node['html'].split())[:160]}")
    return "\n".join(lines)


def _rank(impact: str | None) -> int:
    return IMPACT_ORDER.index(impact) if impact in IMPACT_ORDER else len(IMPACT_ORDER)
