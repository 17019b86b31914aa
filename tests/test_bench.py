"""`pipeline bench` runs end to end on a small N and reports every stage (timings are not asserted)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipeline.cli import main


def test_bench_reports_stages_ratios_and_writes_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["bench", "-n", "60", "--dir", str(tmp_path / "b")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for stage in ("read", "validate", "rank", "write", "tổng"):
        assert stage in result.output
    data = json.loads((tmp_path / "outputs" / "bench" / "bench_60.json").read_text(encoding="utf-8"))
    assert data["forms"] >= 60
    assert {"read", "validate", "score", "rank", "aggregate", "write+ledger"} <= set(data["stages"])
    assert data["speedup_vs_typical"] > 0 and data["intake_vs_bare_calamine"] > 0
    assert data["rerun_unchanged_seconds"] > 0 and data["rerun_kept_outputs"] is True
    assert data["rerun_one_file_changed_seconds"] > 0
    assert data["memory"]["main_mb"] > 0 and data["memory"]["worker_mb"] > 0
    # Sampled while the run went on: the main process and its workers together.
    assert data["memory"]["all_processes_mb"] > data["memory"]["worker_mb"]
    # Shared pages divided among the processes that share them: less than the resident sum.
    assert 0 < data["memory"]["all_processes_pss_mb"] < data["memory"]["all_processes_mb"]
