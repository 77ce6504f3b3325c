"""The README's rules table, generated from the catalogue.

``python -m caliper_contract._docs`` rewrites the table in README.md between its
markers; a test fails while the two disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from caliper_contract.rules import RULES

BEGIN = "<!-- rules-table:begin -->"
END = "<!-- rules-table:end -->"


def rules_table() -> str:
    """A Markdown table of every rule: id, severity, source, title."""
    lines = ["| rule | severity | source | what it means |", "|---|---|---|---|"]
    lines.extend(f"| `{rule.id}` | {rule.severity} | {rule.source} | {rule.title} |" for rule in RULES.values())
    return "\n".join(lines)


def update_readme(path: Path) -> bool:
    """Rewrite the table in ``path``; True if it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    updated = f"{text[:start]}\n{rules_table()}\n{text[end:]}"
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    print(f"{readme}: {'updated' if update_readme(readme) else 'already up to date'}")
