"""The book's Performance page, drawn from the committed benchmark results (never re-run).

Each *view* turns one JSON file of ``benchmarks/results/`` into what the page shows: a table (a
header and rows of strings) and optionally a figure (an SVG string, drawn with matplotlib in the
book's style). The Sphinx directive ``{performance} VIEW`` (:mod:`booktools.sphinx_ext`) puts
them on the page and records the JSON file as a dependency, so the page is rebuilt when the
results change. A view whose results lack a key fails with the key's path (a Sphinx warning,
which fails the build), never with an empty table.

Views: ``scaling-steps`` and ``scaling-memory`` (training cost against catalogue size),
``scaling-quality`` (validation NDCG@10 against training time at one catalogue size),
``scaling-eval`` (scoring throughput), ``step-efficiency`` (the SASRec step against the measured
matmul rate), ``peers`` (RecLab's SASRec next to independent implementations at equal wall time).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reclab.benchmark_results import Results, load_results

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class View:
    """What one ``{performance}`` directive shows."""

    results: Results
    header: list[str]
    rows: list[list[str]]
    figure: str | None = None  # an <svg> element
    caption: str = ""
    sources: list[Path] = field(default_factory=list)
    part: str = ""
    machine: dict[str, Any] | None = None  # where the results are a list of measured entries
    script: str = ""  # the script that wrote them, if not benchmarks/<name>.py

    @property
    def measured(self) -> str:
        """Where and when: the part's own ``measured`` entry, else the file's ``machine``."""
        own = self.results.data.get(self.part, {}) if self.part else {}
        machine = self.machine or own.get("measured") or self.results.value("machine")
        return (
            f"Measured {machine.get('date', '(date not recorded)')} on {machine.get('cpus')} CPU "
            f"cores ({machine.get('platform', 'platform not recorded')}), by "
            f"{self.script or f'benchmarks/{self.results.name}.py'}; committed in "
            f"{self.results.path.name}."
        )


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f} s" if value < 1 else f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def _objectives(steps: dict[str, Any]) -> list[str]:
    first = next(iter(steps.values()))
    return [k for k, v in first.items() if isinstance(v, dict)]


def _svg(draw: Callable[[Any], None], prefix: str, width: float = 6.4, height: float = 3.4) -> str:
    """Draw on a new figure with ``draw(ax)`` and return it as an inline SVG element.

    Every id of the SVG (and every reference to one) starts with ``prefix``: matplotlib numbers
    its elements ``patch_1``, ``line2d_1``... in each figure, and two figures inline on one page
    would otherwise share ids.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from reclab import plotting

    plotting.use_book_style()
    fig, ax = plt.subplots(figsize=(width, height))
    try:
        draw(ax)
        fig.tight_layout()
        buffer = io.StringIO()
        with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "reclab"}):
            fig.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    return re.sub(r'(id="|url\(#|href="#)', lambda m: f"{m.group(1)}{prefix}-", svg)


def scaling_steps(results: Results) -> View:
    steps = results.value("steps")
    names = _objectives(steps)
    sizes = sorted(steps, key=int)
    rows = []
    for n in sizes:
        cells = [f"{int(n):,}"]
        for name in names:
            run = results.value("steps", n, name)
            if "refused" in run:
                needed = run["refused"].split("need about ")[1].split(" of memory")[0]
                cells.append(f"refused (needs about {needed})")
            elif "failed" in run:
                cells.append("failed")
            else:
                cells.append(_seconds(run["seconds_per_step"]))
        cells.append(_ratio(results.value("steps", n, "speedup_shared_vs_per_position")))
        cells.append(_ratio(results.value("steps", n, "speedup_shared_vs_softmax")))
        rows.append(cells)

    def draw(ax: Any) -> None:
        for name in names:
            points = [
                (int(n), steps[n][name]["seconds_per_step"])
                for n in sizes
                if "seconds_per_step" in steps[n][name]
            ]
            if points:
                ax.plot(*zip(*points, strict=True), marker="o", label=name)
        ax.set(xscale="log", yscale="log", xlabel="catalogue size N (items)")
        ax.set_ylabel("seconds per training step")
        ax.legend(fontsize="small")

    header = ["N", *names, "shared vs per-position", "shared vs softmax"]
    caption = (
        "Seconds per SASRec training step (B = 128, L = 50, d = 64, 2 blocks) against the "
        "catalogue size; lower is better. Sampled objectives use 256 negatives."
    )
    return View(results, header, rows, _svg(draw, "scaling-steps"), caption)


def scaling_memory(results: Results) -> View:
    steps = results.value("steps")
    names = _objectives(steps)
    sizes = sorted(steps, key=int)
    rows = []
    for n in sizes:
        cells = [f"{int(n):,}"]
        for name in names:
            run = results.value("steps", n, name)
            ok = "training_rss_mb" in run
            cells.append(f"{run['training_rss_mb']:,.0f} MB" if ok else "-")
        runs = [results.value("steps", n, name) for name in names]
        tables = [run["table_state_mb"] for run in runs if "table_state_mb" in run]
        cells.append(f"{tables[0]:,.0f} MB" if tables else "-")
        rows.append(cells)
    header = ["N", *names, "item table with gradients and Adam"]
    caption = (
        "Memory a training process added once the model was built (peak resident set minus what "
        "it held before). The full softmax's scores grow with N; per-position negatives gather "
        "B x L x M item vectors whatever N is; shared negatives add little beyond the item table."
    )
    return View(results, header, rows, None, caption)


def scaling_quality(results: Results) -> View:
    quality = results.value("quality")
    runs = results.value("quality", "runs")
    rows = [
        [
            name,
            str(run["epochs"]),
            _seconds(run["seconds_per_epoch"]),
            f"{run['best_val_NDCG@10']:.4f}",
            _seconds(run["seconds_to_softmax_best"]),
            _share(run["fraction_of_softmax_time"]),
        ]
        for name, run in runs.items()
    ]

    def draw(ax: Any) -> None:
        for name, run in runs.items():
            if run["curve"]:
                ax.plot(*zip(*run["curve"], strict=True), marker=".", label=name)
        ax.axhline(quality["softmax_best"]["val_NDCG@10"], color="grey", lw=0.8, ls="--")
        ax.set(xlabel="training seconds (validation included)", ylabel="validation NDCG@10")
        ax.legend(fontsize="small")

    header = [
        "objective",
        "epochs",
        "seconds per epoch",
        "best validation NDCG@10",
        "time to the softmax's best",
        "share of the softmax's time",
    ]
    caption = (
        f"Validation NDCG@10 against training time on the synthetic shop with "
        f"{quality['num_items']:,} items ({quality['train_events']:,} training events), each "
        f"objective given {quality['budget_seconds']:.0f} s; the dashed line is the full "
        "softmax's best value."
    )
    return View(results, header, rows, _svg(draw, "scaling-quality"), caption)


def scaling_eval(results: Results) -> View:
    evaluation = results.value("eval")
    rows = [
        [
            f"{int(n):,}",
            f"{run['ranking_users_per_s']:,.0f}",
            f"{run['top10_users_per_s']:,.0f}",
        ]
        for n, run in sorted(evaluation.items(), key=lambda kv: int(kv[0]))
    ]
    header = ["N", "full-ranking evaluation (users/s)", "top-10 lists (users/s)"]
    caption = (
        "Scoring throughput of a SASRec (L = 50, d = 64) over the whole catalogue, 256 users "
        "per chunk for evaluation and 1,024 for top-10 lists, so memory stays bounded."
    )
    return View(results, header, rows, None, caption)


def step_efficiency(results: Results) -> View:
    speed = results.value("speed")
    peak = results.value("speed", "matmul_flops_per_s")
    rows = [
        [
            key.replace("_", " ").replace("no xla", "without XLA").replace("xla", "with XLA"),
            _seconds(run["seconds_per_step"]),
            f"{run['sequences_per_s']:.0f}",
            f"{run['flops_per_s'] / 1e9:.0f}",
            f"{run['fraction_of_matmul_peak']:.0%}",
        ]
        for key, run in speed.items()
        if isinstance(run, dict) and "fraction_of_matmul_peak" in run
    ]
    header = ["objective", "seconds per step", "sequences/s", "GFLOP/s", "share of matmul rate"]
    caption = (
        f"One SASRec training step on the ML-1M-sized shop ({speed['num_items']:,} items, L = "
        f"200, d = 64, B = 128) against this machine's measured float32 matmul rate "
        f"({peak / 1e9:.0f} GFLOP/s); the FLOPs are counted analytically."
    )
    return View(results, header, rows, None, caption, part="speed")


def _with_interval(metrics: dict[str, Any], key: str) -> str:
    low, high = metrics[f"{key}_ci"]
    return f"{metrics[key]:.4f} [{low:.4f}, {high:.4f}]"


def peers(results: Results) -> View:
    """Test metrics at equal training time, the paired difference, and validation curves."""
    entries = results.data
    if not isinstance(entries, list) or not entries:
        raise KeyError(f"{results.path.name}: expected a non-empty list of entries")
    required = ("implementation", "version", "budget_seconds", "train_seconds", "test", "curve")
    for number, entry in enumerate(entries):
        missing = [key for key in required if key not in entry]
        if missing:
            raise KeyError(f"{results.path.name}: entry {number} has no {missing}")
    ordered = sorted(entries, key=lambda e: (e["budget_seconds"], e["key"] != "reclab"))
    rows = []
    for e in ordered:
        diff = e.get("reclab_minus_this")
        own = e.get("own_metric")
        rows.append([
            e["implementation"],
            e["version"],
            _seconds(e["budget_seconds"]),
            _seconds(e["train_seconds"]),
            _with_interval(e["test"], "NDCG@10"),
            _with_interval(e["test"], "HR@10"),
            "-" if diff is None else f"{diff['NDCG@10']:+.4f} [{diff['ci'][0]:+.4f}, "
            f"{diff['ci'][1]:+.4f}]",
            "-" if not own else f"{own['NDCG@10']:.4f} ({own['protocol']})",
        ])  # fmt: skip
    longest = max(e["budget_seconds"] for e in entries)
    curves = {e["implementation"]: e for e in entries if e["budget_seconds"] == longest}
    target = next(iter(curves.values())).get("time_to_target", {}).get("validation_NDCG@10")

    def draw(ax: Any) -> None:
        for name, e in curves.items():
            if e["curve"]:
                ax.plot(*zip(*e["curve"], strict=True), marker=".", label=name)
        if target is not None:
            ax.axhline(target, color="grey", lw=0.8, ls="--")
        ax.set(xlabel="training seconds", ylabel="validation NDCG@10")
        ax.legend(fontsize="small")

    header = [
        "implementation",
        "version",
        "budget",
        "trained",
        "test NDCG@10 [95% CI]",
        "test HR@10 [95% CI]",
        "RecLab minus this, NDCG@10 [paired CI]",
        "its own metric (its protocol)",
    ]
    times = "; ".join(
        f"{name}: {_seconds(e.get('time_to_target', {}).get('seconds'))}"
        for name, e in curves.items()
    )
    first = entries[0]
    data = first.get("dataset", {})
    caption = (
        f"{data.get('name', 'the data')} ({data.get('users', '?')} users, "
        f"{data.get('items', '?')} items; {data.get('split', '')}), every model scored by "
        f"RecLab's evaluator ({data.get('protocol', '')}) on its full-catalogue scores, each "
        "implementation on one core for the same training time; a peer's row at budget T is "
        "its checkpoint with the best validation NDCG@10 reached by T. The figure shows each "
        "run's validation NDCG@10; the dashed line is the best peer's best value"
        + (f" ({target:.4f}); time to reach it: {times}." if target is not None else ".")
    )
    return View(
        results,
        header,
        rows,
        _svg(draw, "peers"),
        caption,
        machine=first["measured"],
        script="benchmarks/peers/run.py",
    )


VIEWS: dict[str, tuple[str, Callable[[Results], View]]] = {
    "scaling-steps": ("scaling", scaling_steps),
    "scaling-memory": ("scaling", scaling_memory),
    "scaling-quality": ("scaling", scaling_quality),
    "scaling-eval": ("scaling", scaling_eval),
    "step-efficiency": ("sequential", step_efficiency),
    "peers": ("peers", peers),
}


def view(name: str, folder: str | Path | None = None) -> View:
    """The view ``name`` of :data:`VIEWS`, from the results in ``folder`` (default: committed)."""
    if name not in VIEWS:
        raise ValueError(f"performance: no view {name!r}; expected one of {sorted(VIEWS)}")
    results_name, make = VIEWS[name]
    results = load_results(results_name, folder=folder or RESULTS)
    made = make(results)
    made.sources = [results.path]
    return made
