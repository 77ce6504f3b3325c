"""The README's code blocks, by section, for the tests that run them as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def code_blocks(section: str, language: str = "python") -> list[str]:
    """The ``language`` code blocks of the README's ``## <section>``, in order."""
    readme = README.read_text(encoding="utf-8")
    start = readme.index(f"\n## {section}\n")
    end = readme.find("\n## ", start + 1)
    return re.findall(rf"```{language}\n(.*?)```", readme[start : end if end != -1 else None], flags=re.DOTALL)
