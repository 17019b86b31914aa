"""Shared fixtures: workbooks are built in tmp_path by the project's own form writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.rules import load_rules
from pipeline.outputs.templates import FormSpec, write_workbook
from pipeline.run import analyse, run


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.fixture
def inputs(tmp_path) -> Path:
    d = tmp_path / "inputs"
    d.mkdir()
    return d


@pytest.fixture
def add(inputs, rules):
    """add("a.xlsx", FormSpec(...), FormSpec(...)): write a workbook into the inputs folder."""

    def _add(rel: str, *specs: FormSpec) -> Path:
        return write_workbook(inputs / rel, list(specs), rules)

    return _add


@pytest.fixture
def analysed(inputs, rules):
    """Run every stage but writing; returns the report."""
    return lambda year=None: analyse(inputs, rules, year)


@pytest.fixture
def run_all(inputs, tmp_path, rules):
    """Run the whole pipeline into tmp_path/outputs; returns (report, outputs folder)."""

    def _run(year=None, rules_=None):
        out = tmp_path / "outputs"
        return run(inputs, out, rules_ or rules, year), out

    return _run


