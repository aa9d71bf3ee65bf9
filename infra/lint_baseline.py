#!/usr/bin/env python3
"""Compare a linter's JSON findings with the ones infra/lint-baseline.json keeps on purpose.

    cfn-lint --append-rules cfn_lint_serverless.rules --format json -- out/sam.json > out/lint.json
    python infra/lint_baseline.py out/lint.json [infra/lint-baseline.json]          # section "findings"
    checkov -f out/sam-transformed.json --framework cloudformation -o json --compact --quiet > out/checkov.json
    python infra/lint_baseline.py --checkov out/checkov.json [infra/lint-baseline.json]  # section "checkov"

Fails (exit 1) on a finding the baseline does not list (fix it, or add it there with the reason) and on a
baseline entry that no longer occurs (remove it); for checkov also on a report that parsed nothing. Findings
are (rule or check id, resource logical id). Standard library only.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT_BASELINE = Path(__file__).resolve().parent / "lint-baseline.json"
CFN_LINT = "findings"  # the baseline's section for cfn-lint-serverless's rules
CHECKOV = "checkov"  # and for checkov's checks


def load_baseline(path: Path = DEFAULT_BASELINE, section: str = CFN_LINT) -> set[tuple[str, str]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    kept = set()
    for entry in data.get(section, []):
        if not entry.get("reason", "").strip():
            raise ValueError(f"{entry['rule']}: a kept finding needs its reason")
        kept |= {(entry["rule"], resource) for resource in entry["resources"]}
    return kept


def findings_of(report: list[dict]) -> set[tuple[str, str]]:
    """(rule id, resource logical id) of each cfn-lint finding."""
    found = set()
    for finding in report:
        path = finding["Location"].get("Path") or []
        resource = path[1] if len(path) > 1 and path[0] == "Resources" else "<template>"
        found.add((finding["Rule"]["Id"], resource))
    return found


def checkov_reports(report: dict | list[dict]) -> list[dict]:
    """checkov's JSON output: one report per framework (a list when it ran more than one)."""
    return report if isinstance(report, list) else [report]


def checkov_findings_of(report: dict | list[dict]) -> set[tuple[str, str]]:
    """(check id, resource logical id) of each failed checkov check ("AWS::S3::Bucket.SpaBucket" -> SpaBucket)."""
    return {(failed["check_id"], failed["resource"].rsplit(".", 1)[-1])
            for one in checkov_reports(report) for failed in one.get("results", {}).get("failed_checks", [])}


def checkov_errors(report: dict | list[dict]) -> list[str]:
    """A report that parsed nothing passes every check: that must fail the lint too."""
    if not checkov_reports(report):
        return ["checkov reported nothing"]
    problems = []
    for one in checkov_reports(report):
        summary = one.get("summary", {})
        if summary.get("parsing_errors"):
            problems.append(f"checkov could not parse {summary['parsing_errors']} file(s): "
                            f"{one.get('results', {}).get('parsing_errors')}")
        if not summary.get("resource_count"):
            problems.append("checkov checked no resource: is the template there?")
    return problems


def compare(found: set[tuple[str, str]], kept: set[tuple[str, str]], section: str = CFN_LINT) -> list[str]:
    where = "infra/lint-baseline.json" + ("" if section == CFN_LINT else f' ("{section}")')
    problems = [f"new finding {rule} on {resource}: fix it or add it to {where} with the reason"
                for rule, resource in sorted(found - kept)]
    problems += [f"stale baseline entry {rule} on {resource}: it no longer occurs, remove it"
                 for rule, resource in sorted(kept - found)]
    return problems


def main(argv: list[str]) -> int:
    args = argv[1:]
    section = CHECKOV if args[:1] == ["--checkov"] else CFN_LINT
    if section == CHECKOV:
        args = args[1:]
    text = Path(args[0]).read_text(encoding="utf-8")
    baseline = Path(args[1]) if len(args) > 1 else DEFAULT_BASELINE
    kept = load_baseline(baseline, section)
    if section == CHECKOV:
        report = json.loads(text or "[]")
        problems = checkov_errors(report) + compare(checkov_findings_of(report), kept, section)
        summaries = [one.get("summary", {}) for one in checkov_reports(report)]
        counts = (f"checkov {summaries[0].get('checkov_version', '?') if summaries else '?'}: "
                  f"{sum(s.get('passed', 0) for s in summaries)} passed, "
                  f"{sum(s.get('failed', 0) for s in summaries)} failed")
    else:
        report = json.loads(text or "[]")
        problems = compare(findings_of(report), kept)
        counts = f"{len(report)} finding(s)"
    for problem in problems:
        print(f"lint: {problem}", file=sys.stderr)
    if not problems:
        print(f"lint: {counts}, all kept on purpose in {baseline.name}"
              + ("" if section == CFN_LINT else f' ("{section}")'))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
