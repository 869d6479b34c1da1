"""``examhall-client``: ``check`` prints the environment report in a terminal, ``run`` starts the
exam window (the Qt GUI, imported only then).

Defaults for ``--server``/``--exam``/``--language`` may come from ``examhall-client.json``
(``{"server": "https://exam.example.org", "exam": "dual-carbon-2026"}``) next to the executable
of a packaged build, or in the current directory: an exam office can ship a configured build
that starts with a double click.

Exit codes of ``check``: 0 passed (warnings allowed), 1 a blocking problem, 2 the policy cannot
be fetched or read, or this client is too old.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from examhall_client import __version__
from examhall_client.checks import CHECKS, Problem
from examhall_client.environment import (
    EnvironmentReport,
    policy_problem,
    policy_report,
    run_checks,
)
from examhall_client.i18n import LANGUAGE, normalize_language, t
from examhall_client.policy import ClientPolicy, PolicyError, fetch_policy, is_outdated

CONFIG_NAME = "examhall-client.json"
EXIT_PASSED, EXIT_FAILED, EXIT_NO_POLICY = 0, 1, 2


class ConfigError(Exception):
    pass


def config_paths() -> list[Path]:
    """Where ``examhall-client.json`` is looked for, first found wins."""
    paths = []
    if getattr(sys, "frozen", False):
        paths.append(Path(sys.executable).resolve().parent / CONFIG_NAME)
    paths.append(Path.cwd() / CONFIG_NAME)
    return paths


def load_config() -> dict[str, str]:
    for path in config_paths():
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: not a JSON object")
        return {k: v for k, v in data.items() if k in ("server", "exam", "language")
                and isinstance(v, str) and v.strip()}
    return {}


def build_parser(config: dict[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="examhall-client",
        description="ExamHall exam client: checks this computer and opens the exam.",
    )
    parser.add_argument("--version", action="version", version=f"examhall-client {__version__}")
    commands = parser.add_subparsers(dest="command")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--server", default=config.get("server"),
                         help="the exam server, e.g. https://exam.example.org")
        sub.add_argument("--exam", default=config.get("exam"), help="the exam code")
        sub.add_argument("--language", default=config.get("language"),
                         help="zh_Hans (default) or en; default: the system's language")

    check = commands.add_parser("check", help="check this computer and print the report")
    common(check)
    check.add_argument("--json", action="store_true", help="print the report as JSON")

    run = commands.add_parser("run", help="open the exam window (environment check, exam)")
    common(run)
    run.add_argument("--no-kiosk", dest="kiosk", action="store_false",
                     help="a normal window instead of full screen (development)")
    run.add_argument("--enter-when-passed", action="store_true",
                     help="enter the exam as soon as every check passes")
    return parser


def main(argv: list[str] | None = None) -> int:
    _tolerant_output(sys.stdout)
    _tolerant_output(sys.stderr)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"examhall-client: {CONFIG_NAME}: {exc}", file=sys.stderr)
        return EXIT_NO_POLICY
    parser = build_parser(config)
    args = parser.parse_args(argv)
    if args.command is None:
        if config.get("server") and config.get("exam"):
            # A configured build started with a double click.
            args = parser.parse_args(["run"])
        else:
            parser.print_help()
            return EXIT_NO_POLICY
    language = normalize_language(args.language or LANGUAGE)
    if not args.server or not args.exam:
        print(t("cli.missing_server_exam", language), file=sys.stderr)
        return EXIT_NO_POLICY
    if args.command == "check":
        return check(args.server, args.exam, language=language, as_json=args.json)
    from examhall_client.gui.app import run  # Qt only when the window is wanted

    return run(server=args.server, exam=args.exam, kiosk=args.kiosk, language=language,
               enter_when_passed=args.enter_when_passed)


def check(server: str, exam: str, *, language: str, as_json: bool = False,
          out: TextIO | None = None) -> int:
    """``examhall-client check``: fetch the policy, run every check, print, give the exit code."""
    out = out or sys.stdout
    policy: ClientPolicy | None = None
    try:
        policy = fetch_policy(server, exam, language=language)
    except PolicyError as exc:
        report = policy_report(policy_problem(exc.code, language))
        detail = exc.message
    else:
        detail = ""
        if is_outdated(policy):
            report = policy_report(policy_problem(
                "client_outdated", language, download_url=policy.download_url,
                min_version=policy.min_client_version))
        else:
            report = run_checks(policy, language=language)
    if as_json:
        print(report.to_json(indent=2), file=out)
    else:
        print(format_report(report, policy, server=server, exam=exam, language=language,
                            detail=detail), file=out)
    if any(p.check == "policy" for p in report.problems):
        return EXIT_NO_POLICY
    return EXIT_PASSED if report.passed else EXIT_FAILED


def format_report(report: EnvironmentReport, policy: ClientPolicy | None, *, server: str,
                  exam: str, language: str, detail: str = "") -> str:
    """The report for people: each check with its problems and what to do, then PASS/FAIL."""
    lines = [t("cli.heading", language, version=__version__)]
    exam_label = f"{policy.exam.name} ({policy.exam.code})" if policy else exam
    lines.append(f"{t('cli.exam', language)}: {exam_label}")
    lines.append(f"{t('cli.server', language)}: {server}")
    lines.append(f"{t('cli.checked_at', language)}: {report.checked_at}")
    lines.append("")
    policy_problems = [p for p in report.problems if p.check == "policy"]
    if policy_problems:
        for problem in policy_problems:
            lines.extend(_problem_lines(problem, language))
        if detail:
            lines.append(f"       ({detail})")
        lines.append("")
        lines.append(t("cli.fail_policy", language))
        return "\n".join(lines)
    for check_name in CHECKS:
        problems = [p for p in report.problems if p.check == check_name]
        if not problems:
            lines.append(f"[ OK ] {t(f'check.{check_name}', language)}: "
                         f"{_ok_text(check_name, report.facts, language)}")
        for problem in problems:
            lines.extend(_problem_lines(problem, language))
            if problem.check == "virtual_machine" and report.facts.get("vm_evidence"):
                lines.append("       " + "; ".join(report.facts["vm_evidence"]))
    lines.append("")
    if report.passed:
        lines.append(t("cli.pass", language))
    else:
        lines.append(t("cli.fail", language, count=len(report.blocking)))
    return "\n".join(lines)


def _problem_lines(problem: Problem, language: str) -> list[str]:
    tag = "[FAIL]" if problem.blocking else "[WARN]"
    label = t("cli.what_to_do", language) if problem.blocking else t("cli.warning", language)
    lines = [f"{tag} {t(f'check.{problem.check}', language)}: {problem.title}"]
    if problem.advice:
        lines.append(f"       {label}: {problem.advice}")
    return lines


def _ok_text(check_name: str, facts: dict[str, Any], language: str) -> str:
    if check_name == "displays":
        count = facts.get("display_count")
        if count is None:
            return t("ok.displays_unknown", language)
        return t("ok.displays", language, count=count)
    if check_name == "battery":
        percent = facts.get("battery_percent")
        if percent is None:
            return t("ok.battery_none", language)
        key = "ok.battery_charging" if facts.get("charging") else "ok.battery"
        return t(key, language, percent=percent)
    # Found but allowed by the policy (no problem was reported).
    if check_name == "virtual_machine" and facts.get("virtual_machine"):
        evidence = "; ".join(facts.get("vm_evidence", []))
        return t("ok.virtual_machine_allowed", language, evidence=evidence)
    if check_name == "remote_session" and facts.get("remote_session"):
        return t("ok.remote_session_allowed", language)
    return t(f"ok.{check_name}", language)


def _tolerant_output(stream: TextIO) -> None:
    """A console that cannot show Chinese gets '?' rather than a crash."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="replace")


if __name__ == "__main__":
    sys.exit(main())
