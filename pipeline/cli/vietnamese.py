"""click in Vietnamese: usage, sections, the help option, errors — through click's public API.

click writes its own words in English ("Usage:", "Options:", "Error: Invalid value for …").
Here the group and its commands format their help with Vietnamese headings, every option's
help and default are written by us, our parameter types fail in Vietnamese, and the group's
``main`` turns click's usage errors into Vietnamese messages before it exits.
"""

from __future__ import annotations

import re
import sys

import click

from pipeline.outputs.words import CLI

HELP_OPTION = click.help_option("-h", "--help", help=CLI["help_option"])


class Year(click.ParamType):
    """A year of evaluation, 1900-2199."""

    name = "năm"

    def convert(self, value, param, ctx):
        try:
            year = int(str(value).strip())
        except ValueError:
            year = None
        if year is None or not 1900 <= year <= 2199:
            self.fail(CLI["bad_year"].format(value=value), param, ctx)
        return year


class Count(click.ParamType):
    """A whole number between two bounds."""

    name = "số"

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        if number is None or not self.low <= number <= self.high:
            self.fail(CLI["bad_count"].format(value=value, low=self.low, high=self.high), param, ctx)
        return number


class Command(click.Command):
    """A command whose help is written with Vietnamese headings."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", CLI["options_metavar"])
        super().__init__(*args, **kwargs)

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix=CLI["usage"])

    def format_options(self, ctx, formatter):
        rows = [r for p in self.get_params(ctx) if not isinstance(p, click.Argument)
                for r in [p.get_help_record(ctx)] if r is not None]
        if rows:
            with formatter.section(CLI["options"]):
                formatter.write_dl(rows)


def _hint(error: click.UsageError) -> str:
    param = getattr(error, "param", None)
    if param is not None:
        return " / ".join(param.opts) if isinstance(param, click.Option) else (param.human_readable_name or "")
    return getattr(error, "param_hint", None) or ""


def message(error: click.UsageError) -> str:
    """A click usage error in Vietnamese."""
    if isinstance(error, click.NoSuchOption):
        found = CLI["no_such_option"].format(name=error.option_name)
        return found + (CLI["did_you_mean"].format(names=", ".join(error.possibilities)) if error.possibilities else "")
    if isinstance(error, click.MissingParameter):
        return CLI["missing_argument" if isinstance(error.param, click.Argument) else "missing_option"].format(
            name=_hint(error))
    if isinstance(error, click.BadParameter):
        return CLI["bad_value"].format(name=_hint(error), reason=error.message)
    if isinstance(error, click.BadOptionUsage):
        return CLI["option_needs_value"].format(name=error.option_name)
    extra = re.search(r"\((.*)\)", error.message)
    if isinstance(error, click.BadArgumentUsage) and extra:
        return CLI["extra_arguments"].format(args=extra[1])
    return error.message


class Group(click.Group):
    """The command group: Vietnamese help, Vietnamese errors."""

    command_class = Command

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", CLI["options_metavar"])
        kwargs.setdefault("subcommand_metavar", CLI["command_metavar"])
        super().__init__(*args, **kwargs)

    format_usage = Command.format_usage

    def format_options(self, ctx, formatter):
        Command.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx, formatter):
        rows = [(name, self.get_command(ctx, name).get_short_help_str(formatter.width - 20))
                for name in self.list_commands(ctx) if not self.get_command(ctx, name).hidden]
        if rows:
            with formatter.section(CLI["commands"]):
                formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        if args and self.get_command(ctx, args[0]) is None and not args[0].startswith("-"):
            raise click.UsageError(CLI["no_such_command"].format(name=args[0],
                                                                 names=", ".join(self.list_commands(ctx))), ctx)
        return super().resolve_command(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            if error.ctx is not None:
                click.echo(error.ctx.get_usage(), err=True)
                click.echo(CLI["see_help"].format(command=error.ctx.command_path), err=True)
            click.echo(CLI["error"].format(message=message(error)), err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            click.echo(CLI["error"].format(message=error.format_message()), err=True)
            sys.exit(error.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo(CLI["aborted"], err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
