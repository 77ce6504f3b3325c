"""The ``caliper-contract`` command: check payload files, list and explain rules, export the schema, serve.

A thin layer over the library: it reads files with :mod:`caliper_contract._files`,
checks them with a :class:`~caliper_contract.Contract` and prints findings with
a reporter chosen by name (:mod:`caliper_contract.cli._render`).
"""

from __future__ import annotations

from caliper_contract.cli._main import main

__all__ = ["main"]
