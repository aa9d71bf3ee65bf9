#!/usr/bin/env python3
"""Compare cfn-lint's JSON findings (with cfn-lint-serverless's rules) with infra/lint-baseline.json.

    cfn-lint --append-rules cfn_lint_serverless.rules --format json -- out/sam.json > out/lint.json
    python infra/lint_baseline.py out/lint.json [infra/lint-baseline.json]

Fails (exit 1) on a finding the baseline does not list (fix it, or add it there with the reason) and on a
baseline entry that no longer occurs (remove it). Standard library only.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT_BASELINE = Path(__file__).resolve().parent / "lint-baseline.json"


def load_baseline(path: Path = DEFAULT_BASELINE) -> set[tuple[str, str]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    kept = set()
    for entry in data["findings"]:
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


def compare(found: set[tuple[str, str]], kept: set[tuple[str, str]]) -> list[str]:
    problems = [f"new finding {rule} on {resource}: fix it or add it to infra/lint-baseline.json with the reason"
                for rule, resource in sorted(found - kept)]
    problems += [f"stale baseline entry {rule} on {resource}: it no longer occurs, remove it"
                 for rule, resource in sorted(kept - found)]
    return problems


def main(argv: list[str]) -> int:
    report = json.loads(Path(argv[1]).read_text(encoding="utf-8") or "[]")
    baseline = Path(argv[2]) if len(argv) > 2 else DEFAULT_BASELINE
    problems = compare(findings_of(report), load_baseline(baseline))
    for problem in problems:
        print(f"lint: {problem}", file=sys.stderr)
    if not problems:
        print(f"lint: {len(report)} finding(s), all kept on purpose in {baseline.name}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
