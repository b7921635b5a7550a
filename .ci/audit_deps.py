"""Report known vulnerabilities in the installed Python packages (pip-audit).

It reports; it does not fail the build by itself, so a new advisory published overnight
is seen in CI without turning main red. Accepted advisories live in
.ci/pip-audit-ignore.txt with an expiry date; an expired entry is reported again.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

IGNORE_FILE = Path(__file__).with_name("pip-audit-ignore.txt")


def accepted(today: datetime.date) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in IGNORE_FILE.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        advisory, _, until, *reason = line.split()
        if datetime.date.fromisoformat(until) >= today:
            entries[advisory] = " ".join(reason)
        else:
            print(
                f"pip-audit: the acceptance of {advisory} expired on {until}; it is reported again"
            )
    return entries


def main() -> int:
    today = datetime.date.today()
    ok = accepted(today)
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--skip-editable",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print("pip-audit could not run (no network to the advisory database?):")
        print(result.stderr[-2000:])
        return 0
    findings = 0
    for dep in report.get("dependencies", []):
        for vuln in dep.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            if any(i in ok for i in ids):
                continue
            findings += 1
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"ADVISORY {vuln['id']}: {dep['name']} {dep['version']} (fixed in {fixed})")
    print(f"pip-audit: {findings} unaccepted advisory(ies) in the installed packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
