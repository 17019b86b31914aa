"""Every command and option explains itself, in Vietnamese, with an example (the --help is the manual)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeline.cli import main

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    command = main.commands[name]
    assert command.help and "Ví dụ:" in command.help, name
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, (name, param.opts)
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0 and "Cách dùng:" in result.output and "Usage" not in result.output


def test_the_readme_shows_every_command_a_staffer_uses():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for target in ("make demo", "make test", "make run", "make check", "make templates", "make email",
                   "make preview", "pipeline lich-su", "pipeline runs", "make bench"):
        assert target in readme, target
