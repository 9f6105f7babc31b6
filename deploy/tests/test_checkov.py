"""checkov over the Terraform, the rendered chart and the Dockerfile passes, offline.

Accepted findings live in deploy/checkov.yaml (platform-wide, with reasons) and in
`checkov:skip=ID:reason` comments; every skip must carry its reason.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "deploy" / "checkov.yaml"


def test_checkov_finds_nothing_unaccepted(checkov_bin, chart, tmp_path):
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    for profile in ("staging", "production"):  # what is deployed; the others are variants
        text = "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in chart.render(profile))
        (rendered / f"{profile}.yaml").write_text(text)
    out = tmp_path / "out"
    result = subprocess.run(
        [
            checkov_bin,
            "--config-file",
            str(CONFIG),
            "-d",
            "terraform",
            "-d",
            str(rendered),
            "-d",
            "docker",
            "-o",
            "json",
            "--output-file-path",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    reports = json.loads((out / "results_json.json").read_text())
    reports = reports if isinstance(reports, list) else [reports]
    by_type = {r["check_type"]: r for r in reports}
    assert set(by_type) == {"terraform", "kubernetes", "dockerfile"}, result.stderr[-2000:]
    failed = [
        (r["check_type"], f["check_id"], f["resource"])
        for r in reports
        for f in r["results"]["failed_checks"]
    ]
    assert failed == [] and result.returncode == 0, failed[:20]
    for report in reports:
        assert report["summary"]["passed"] > 0
        for skipped in report["results"].get("skipped_checks", []):
            reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
            assert len(reason.strip()) > 10, (skipped["check_id"], skipped["resource"])


def test_every_accepted_platform_wide_finding_has_a_reason():
    lines = CONFIG.read_text().splitlines()
    skips = [i for i, line in enumerate(lines) if re.match(r"\s+- CKV", line)]
    assert skips
    for i in skips:
        check = lines[i].split("- ")[1]
        above = "\n".join(lines[max(0, i - 4) : i])
        assert check in above, f"{check} is skipped without a reason above it"
