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
matmul rate).
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

    @property
    def measured(self) -> str:
        """Where and when: the part's own ``measured`` entry, else the file's ``machine``."""
        own = self.results.data.get(self.part, {}) if self.part else {}
        machine = own.get("measured") or self.results.value("machine")
        return (
            f"Measured {machine.get('date', '(date not recorded)')} on {machine.get('cpus')} CPU "
            f"cores ({machine.get('platform', 'platform not recorded')}), by "
            f"benchmarks/{self.results.name}.py; committed in {self.results.path.name}."
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


VIEWS: dict[str, tuple[str, Callable[[Results], View]]] = {
    "scaling-steps": ("scaling", scaling_steps),
    "scaling-memory": ("scaling", scaling_memory),
    "scaling-quality": ("scaling", scaling_quality),
    "scaling-eval": ("scaling", scaling_eval),
    "step-efficiency": ("sequential", step_efficiency),
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
