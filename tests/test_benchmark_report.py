"""The benchmark report: targets judged from the measurements, hand-written notes kept."""

from __future__ import annotations

from bench import report as benchmark
from bench.report import render_report
from bench.runs import RunMeasurement


def _runs(full_seconds: float, incremental_seconds: float, peak_gib: float):
    stages = {"extract": 1.0, "dbt daily build": 2.0, "exports": 0.5}
    return (
        RunMeasurement("full refresh", full_seconds, peak_gib, stages, {"m": 1.0}, {"x": 3}),
        RunMeasurement("incremental (+1%)", incremental_seconds, peak_gib, stages),
    )


def test_targets_are_judged_from_the_measured_figures():
    report = render_report({1_000_000: _runs(20.0, 3.0, 2.0), 10_000_000: _runs(300.0, 90.0, 9.5)})
    assert "| full refresh of 10M <= 180 s | 300 s | **not met** |" in report
    assert "| peak memory at 1,000,000 <= 8 GiB | 2.00 GiB | met |" in report
    assert "| peak memory at 10,000,000 <= 8 GiB | 9.50 GiB | **not met** |" in report
    assert "| incremental at 1,000,000 <= 20% of full | 15% | met |" in report
    assert "| incremental at 10,000,000 <= 20% of full | 30% | **not met** |" in report
    assert "| full refresh at 10,000,000 / at 1,000,000 <= 12 | 15.0 | **not met** |" in report


def test_the_baseline_ratio_is_judged_at_one_million():
    report = render_report(
        {1_000_000: _runs(20.0, 3.0, 2.0), 10_000_000: _runs(300.0, 90.0, 9.5)},
        {1_000_000: 10.0, 10_000_000: 150.0},
    )
    assert "| 1,000,000 | 10.0 | 20.0 | 2.0 |" in report
    assert "| 10,000,000 | 150.0 | 300.0 | 2.0 |" in report
    assert "| full refresh / baseline at 1,000,000 <= 1.5 | 2.0 | **not met** |" in report


def test_slow_models_are_listed_with_both_runs_times():
    full, incremental = _runs(20.0, 3.0, 2.0)
    full.model_seconds = {f"model_{n}": float(n) for n in range(12)}
    # Slow only in the incremental run: listed although not among the full run's ten.
    incremental.model_seconds = {"model_0": 5.0, "model_11": 0.5}
    report = render_report({1_000_000: (full, incremental)})
    assert "| model_11 | 11.0 | 0.5 |" in report
    assert "| model_2 | 2.0 | 0.0 |" in report
    assert "| model_0 | 0.0 | 5.0 |" in report
    slowest = report[: report.index("<details>")]
    assert "| model_1 |" not in slowest
    # Slowest in the full refresh first.
    assert report.index("| model_11 |") < report.index("| model_2 |") < report.index("| model_0 |")


def test_hand_written_notes_survive_a_rewrite(tmp_path, monkeypatch):
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\nold tables\n\n## Notes\n\nThe profile says X.\n")
    monkeypatch.setattr(benchmark, "REPORT", report)
    assert benchmark.hand_written_notes() == "\n## Notes\n\nThe profile says X.\n"
    report.unlink()
    assert benchmark.hand_written_notes() == ""


def test_every_model_and_the_slowest_tests_are_profiled():
    full, incremental = _runs(20.0, 3.0, 2.0)
    full.model_seconds = {f"model_{n}": float(n) for n in range(12)}
    incremental.model_seconds = {"model_0": 5.0}
    full.test_seconds = {f"test_{n}": n / 10 for n in range(12)}
    report = render_report({1_000_000: (full, incremental)})
    profile = report[report.index("<details>") : report.index("</details>")]
    # All twelve models, including those outside the slowest ten.
    assert "| `model_1` | 1.00 | 0.00 |" in profile
    assert "| `model_0` | 0.00 | 5.00 |" in profile
    assert "| `test_11` | 1.10 | 0.00 |" in profile
    assert "`test_1`" not in profile
