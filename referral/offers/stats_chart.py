"""One PNG of a partner's numbers: the funnel (members, leads, paid leads) and
month-to-month retention. Hidden counts are drawn as hatched bars at the floor,
labelled "<N", never at their true height; labels come from the caller (its
language)."""

from __future__ import annotations

import io
from collections.abc import Mapping

from referral.offers.stats import CompanyStats, Count

LABELS = ("members", "leads", "converted", "retention", "title")


def render(stats: CompanyStats, labels: Mapping[str, str]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.4), dpi=100)
    funnel, months = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 3]})
    counts = [stats.members, stats.leads, stats.converted]
    names = [labels["members"], labels["leads"], labels["converted"]]
    _bars(funnel, names, counts, stats.floor)
    funnel.set_ylabel("")
    pairs = stats.months[-12:]
    shown = [(p.next_month, p.retention.value) for p in pairs if p.retention.value is not None]
    if shown:
        x = [m for m, _ in shown]
        y = [100 * v for _, v in shown]
        months.plot(x, y, marker="o", color="#3b7dd8")
        for xi, yi in zip(x, y, strict=True):
            months.annotate(
                f"{yi:.0f}%",
                (xi, yi),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontsize=8,
            )
        months.tick_params(axis="x", labelrotation=45, labelsize=8)
    else:
        months.text(
            0.5,
            0.5,
            f"< {stats.floor}",
            ha="center",
            va="center",
            transform=months.transAxes,
            color="grey",
        )
        months.set_xticks([])
    months.set_ylim(0, 105)
    months.set_title(labels["retention"], fontsize=9)
    figure.suptitle(labels["title"], fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _bars(axes, names: list[str], counts: list[Count], floor: int) -> None:  # type: ignore[no-untyped-def]
    heights = [c.value if c.readable else floor for c in counts]
    bars = axes.bar(names, heights, color="#3b7dd8")
    for bar, count in zip(bars, counts, strict=True):
        if not count.readable:
            bar.set_hatch("//")
            bar.set_facecolor("white")
            bar.set_edgecolor("grey")
        label = str(count.value) if count.readable else f"< {floor}"
        axes.annotate(
            label,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
            fontsize=8,
        )
    axes.tick_params(axis="x", labelsize=8)
    axes.margins(y=0.15)
