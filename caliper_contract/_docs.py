"""The README's tables generated from the catalogue: every rule, and the fixes.

``python -m caliper_contract._docs`` rewrites each table in README.md between
its markers; a test fails while a table and the catalogue disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from caliper_contract.rules import RULES

BEGIN = "<!-- rules-table:begin -->"
END = "<!-- rules-table:end -->"
FIXES_BEGIN = "<!-- fixes-table:begin -->"
FIXES_END = "<!-- fixes-table:end -->"


def rules_table() -> str:
    """A Markdown table of every rule: id, severity, source, title, and whether ``check --fix`` fixes it."""
    lines = ["| rule | severity | source | what it means | fix |", "|---|---|---|---|---|"]
    lines.extend(
        f"| `{rule.id}` | {rule.severity} | {rule.source} | {rule.title} | "
        f"{rule.fix.applicability if rule.fix else ''} |"
        for rule in RULES.values()
    )
    return "\n".join(lines)


def fixes_table() -> str:
    """A Markdown table of every rule with a fix: what the fix does, and whether ``--fix`` alone makes it."""
    lines = ["| rule | the fix | made by |", "|---|---|---|"]
    lines.extend(
        f"| `{rule.id}` | {rule.fix.description} | {'`--fix`' if rule.fix.safe else '`--fix --unsafe-fixes`'} |"
        for rule in RULES.values()
        if rule.fix is not None
    )
    return "\n".join(lines)


#: Each generated table, by its markers.
TABLES: dict[tuple[str, str], Callable[[], str]] = {(BEGIN, END): rules_table, (FIXES_BEGIN, FIXES_END): fixes_table}


def update_readme(path: Path) -> bool:
    """Rewrite the tables in ``path``; True if one changed."""
    text = path.read_text(encoding="utf-8")
    updated = text
    for (begin, end), table in TABLES.items():
        start, stop = updated.index(begin) + len(begin), updated.index(end)
        updated = f"{updated[:start]}\n{table()}\n{updated[stop:]}"
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    print(f"{readme}: {'updated' if update_readme(readme) else 'already up to date'}")
