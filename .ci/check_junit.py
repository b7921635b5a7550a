"""Fail CI when a junit report shows skips, failures, or a required suite missing.

--require browser   some test under tests/browser ran
--require worker    the real-worker test ran
--require postgres  the engine check ran and passed on PostgreSQL
--require sqlite    the engine check ran and passed on SQLite
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET  # noqa: S405 - our own CI output

CHECKS = {
    "browser": lambda name: name.startswith("tests.browser."),
    "worker": lambda name: "test_worker" in name,
    "postgres": lambda name: "test_database_engine" in name,
    "sqlite": lambda name: "test_database_engine" in name,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--require", action="append", default=[], choices=sorted(CHECKS))
    args = parser.parse_args()
    root = ET.parse(args.report).getroot()  # noqa: S314
    cases = root.iter("testcase")
    passed: list[str] = []
    problems: list[str] = []
    for case in cases:
        name = f"{case.get('classname')}.{case.get('name')}"
        outcome = [child.tag for child in case if child.tag in ("skipped", "failure", "error")]
        if outcome:
            problems.append(f"{outcome[0]}: {name}")
        else:
            passed.append(name)
    for requirement in args.require:
        if not any(CHECKS[requirement](n) for n in passed):
            problems.append(f"required suite did not run: {requirement}")
    if not passed:
        problems.append("no test passed at all")
    for problem in problems:
        print(f"{args.report}: {problem}", file=sys.stderr)
    print(f"{args.report}: {len(passed)} passed, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
