"""The ``steg`` command: a thin Typer layer over the stegcli API.

Each command lives in a module by topic (``bits_commands``, ``image_commands``,
``attack_commands``, ``info_commands``, ``train_commands``) and only parses, delegates and reports.
Library errors (:class:`StegError`) become one line on stderr and their exit
code here, in :func:`main`.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from stegcli import __version__
from stegcli.cli import (
    attack_commands,
    bits_commands,
    image_commands,
    info_commands,
    train_commands,
)
from stegcli.errors import EXIT_CODES, StegError

app = typer.Typer(
    name="steg",
    help="Hide data in images with invertible neural networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog="Exit codes: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()),
)
bits_app = typer.Typer(help="Bit payloads: embed, extract, capacity.", no_args_is_help=True)
train_app = typer.Typer(help="Train models (needs training images).", no_args_is_help=True)
app.add_typer(bits_app, name="bits")
app.add_typer(train_app, name="train")

for _name, _fn in (("embed", bits_commands.embed_bits_command), ("extract", bits_commands.extract_bits_command),
                   ("capacity", bits_commands.capacity_command)):
    app.command(_name if _name == "capacity" else f"{_name}-bits")(_fn)
    bits_app.command(_name)(_fn)
app.command("hide")(image_commands.hide_command)
app.command("reveal")(image_commands.reveal_command)
app.command("attack")(attack_commands.attack_command)
app.command("models")(info_commands.models_command)
app.command("demo")(info_commands.demo_command)
app.command("eval")(info_commands.eval_command)
train_app.command("bits")(train_commands.train_bits_command)
train_app.command("isn")(train_commands.train_isn_command)
train_app.command("mosaic")(train_commands.train_mosaic_command)
train_app.command("robust")(train_commands.train_robust_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"steg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Hide data in images with invertible neural networks."""


# Typer re-exports one of click's exceptions (from its own copy of click in recent versions); its base
# ClickException is what every parse error (bad option, value out of range, missing argument) raises.
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and turns every error into one line on stderr and its exit code."""
    try:
        code = app(args=argv, prog_name="steg", standalone_mode=False)
    except StegError as exc:
        sys.stderr.write(f"steg: error: {exc}\n")
        sys.exit(exc.exit_code)
    except _ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare `steg` or `steg bits`: the help, as usual
            exc.show()
        else:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            sys.stderr.write(f"steg: error: {exc.format_message()}{hint}\n")
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("steg: interrupted\n")
        sys.exit(130)
    if isinstance(code, int) and code:  # typer.Exit and --help return their code without standalone mode
        sys.exit(code)
