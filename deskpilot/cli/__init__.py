"""The `deskpilot` command line (Typer). Exit codes: 0 done, 1 failed, 2 usage error,
3 denied by policy, 4 stopped or out of budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deskpilot import __version__
from deskpilot.cli.common import (
    EXIT_USAGE,
    build_registry,
    fail_usage,
    load_policy_spec,
    out,
    plural,
    usage_errors,
)
from deskpilot.cli.demo import demo
from deskpilot.cli.doctor import doctor
from deskpilot.cli.helptext import CleanGroup
from deskpilot.cli.mcp_cmd import mcp
from deskpilot.cli.model_cmd import model_app
from deskpilot.cli.recipe_cmd import recipe_app
from deskpilot.cli.record_cmd import record
from deskpilot.cli.run import run
from deskpilot.cli.suite_cmd import suite_app

app = typer.Typer(
    name="deskpilot",
    cls=CleanGroup,
    help="Local-first agentic screen control: a model drives your desktop through typed, "
    "policy-checked tools.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
tools_app = typer.Typer(help="The tools a model can call.", no_args_is_help=True)
policy_app = typer.Typer(help="Check and explain policy files.", no_args_is_help=True)
audit_app = typer.Typer(help="The keyed, hash-chained audit log.", no_args_is_help=True)
app.add_typer(tools_app, name="tools")
app.add_typer(policy_app, name="policy")
app.add_typer(model_app, name="model")
app.add_typer(recipe_app, name="recipe")
app.add_typer(audit_app, name="audit")
app.add_typer(suite_app, name="suite")
app.command()(run)
app.command()(demo)
app.command()(mcp)
app.command()(record)
app.command()(doctor)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deskpilot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """deskpilot: an agent that operates a real desktop."""


@tools_app.command("list")
def tools_list() -> None:
    """List the tools with their arguments and descriptions."""
    table = Table("tool", "category", "arguments", "description")
    for tool in build_registry()[0]:
        schema = tool.model_json_schema()
        required = set(schema.get("required", []))
        args = ", ".join(n if n in required else f"[{n}]" for n in schema.get("properties", {}))
        doc = " ".join((tool.__doc__ or "").split())
        table.add_row(tool.name, tool.category, escape(args), escape(doc))
    out.print(table)


@tools_app.command("schema")
def tools_schema(
    name: Annotated[
        str | None, typer.Argument(help="One tool; omit for the whole tool call.")
    ] = None,
) -> None:
    """Print a JSON Schema on stdout: one tool's arguments, or the whole tool call."""
    registry = build_registry()[0]
    with usage_errors():
        schema = registry.tool_schema(name) if name else registry.call_schema()
    typer.echo(json.dumps(schema, indent=2, ensure_ascii=False))


plugins_app = typer.Typer(help="Installed plugins.", no_args_is_help=True)
app.add_typer(plugins_app, name="plugins")


@plugins_app.command("list")
def plugins_list() -> None:
    """List plugins (entry-point group `deskpilot`), their tools, and any that failed to load."""
    _, _, found = build_registry()
    table = Table("plugin", "tools", "status")
    for name in found.plugins:
        table.add_row(
            name, ", ".join(found.tools.get(name, [])), escape(found.errors.get(name, "ok"))
        )
    for name, problem in found.errors.items():
        if name not in found.plugins:
            table.add_row(name, "", escape(problem))
    out.print(table if found.plugins or found.errors else "no plugins installed")


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run directory.")]) -> None:
    """Write a self-contained report.html for a run directory."""
    from deskpilot.agent.report import write_report

    with usage_errors():
        path = write_report(run_dir)
    typer.echo(str(path))


@policy_app.command("check")
def policy_check(
    file: Annotated[str, typer.Argument(help="A policy file or preset name.")],
) -> None:
    """Validate a policy file (or a preset: default, strict, trusted)."""
    from deskpilot.policies import PolicyGate
    from deskpilot.tools import ToolRegistry

    with usage_errors():
        policy = load_policy_spec(file)
        PolicyGate(policy, ToolRegistry())
    typer.echo(
        f"{file}: ok ({plural(len(policy.rule), 'rule')}, default {policy.default.value}, "
        f"max {plural(policy.budget.max_steps, 'step')})"
    )


@policy_app.command("explain")
def policy_explain(
    file: Annotated[str, typer.Argument(help="A policy file or preset name.")],
    action: Annotated[str, typer.Argument(help='A tool call, e.g. \'{"name": "shell", ...}\'.')],
) -> None:
    """Say what a policy decides for one tool call, and why."""
    from deskpilot.errors import ToolCallError
    from deskpilot.policies import PolicyGate
    from deskpilot.tools import ToolRegistry

    registry = ToolRegistry()
    with usage_errors():
        gate = PolicyGate(load_policy_spec(file), registry)
    try:
        call = registry.parse(action)
    except ToolCallError as exc:
        fail_usage(f"invalid tool call: {exc}")
    typer.echo(gate.explain(call))


@audit_app.command("verify")
def audit_verify(
    file: Annotated[Path, typer.Argument(help="An audit log (audit.jsonl).")],
    key: Annotated[
        Path | None,
        typer.Option(
            help="The audit key (default: $DESKPILOT_AUDIT_KEY_FILE, else "
            "$XDG_STATE_HOME/deskpilot/audit.key)."
        ),
    ] = None,
) -> None:
    """Check an audit log end to end with its key; exit 1 on any problem: an edited, removed,
    reordered or appended line, a cut or torn tail, an emptied file, another key, or no key."""
    from deskpilot.policies.audit import check_audit

    report = check_audit(file, key_file=key)
    for problem in report.problems:
        typer.echo(problem, err=True)
    if report.problems:
        raise typer.Exit(1)
    records, segments = plural(report.records, "record"), plural(report.segments, "segment")
    typer.echo(f"{file}: intact ({records} in {segments}, key {report.key_id})")


def main() -> None:
    """Entry point of the console script."""
    app()


__all__ = ["EXIT_USAGE", "app", "main"]
