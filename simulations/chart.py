"""The staffing plan as an SVG chart, written by hand (no plotting dependency)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from simulations.scenario import WEEK_HOURS
from simulations.staffing import DAY_NAMES

W, H = 960, 340
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 40, 56


def _step(values: list[int], x: float, bar: float, y: Callable[[float], float]) -> str:
    points = []
    for i, v in enumerate(values):
        yy = y(v)
        points += [f"{x + i * bar:.1f},{yy:.1f}", f"{x + (i + 1) * bar:.1f},{yy:.1f}"]
    return " ".join(points)


def staffing_svg(
    required: list[int],
    title: str,
    first_guess: list[int] | None = None,
    rostered: list[int] | None = None,
) -> str:
    """Bars: responders needed per hour of the week. Grey steps: Erlang C's first guess.
    Red steps: primaries on the draft roster, where it is checked."""
    top = max([*required, *(first_guess or []), *(rostered or []), 1])
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    bar = plot_w / WEEK_HOURS

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * v / top

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    step = max(1, top // 8)
    for v in range(0, top + 1, step):
        out.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>'
        )
    for i, v in enumerate(required):
        day, hour = divmod(i, 24)
        out.append(
            f'<rect x="{LEFT + i * bar:.2f}" y="{y(v):.1f}" width="{bar:.2f}" height="{y(0) - y(v):.1f}" '
            f'fill="#4a7fb5"><title>{DAY_NAMES[day]} {hour:02d}:00 needs {v}</title></rect>'
        )
    for d in range(8):
        x = LEFT + d * 24 * bar
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{y(0) + 6:.1f}" stroke="#666"/>')
        if d < 7:
            out.append(
                f'<text x="{x + 12 * bar:.1f}" y="{y(0) + 20:.1f}" text-anchor="middle">{DAY_NAMES[d]}</text>'
            )
    legend = [("#4a7fb5", "needed (simulated)")]
    if first_guess is not None:
        out.append(
            f'<polyline points="{_step(first_guess, LEFT, bar, y)}" fill="none" stroke="#888" '
            'stroke-dasharray="4 3" stroke-width="1.5"/>'
        )
        legend.append(("#888", "Erlang C first guess"))
    if rostered is not None:
        out.append(
            f'<polyline points="{_step(rostered, LEFT, bar, y)}" fill="none" '
            'stroke="#c0392b" stroke-width="2"/>'
        )
        legend.append(("#c0392b", "primaries on the draft roster"))
    for k, (colour, label) in enumerate(legend):
        lx = LEFT + k * 230
        out.append(
            f'<rect x="{lx}" y="{H - 22}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 18}" y="{H - 12}">{escape(label)}</text>'
        )
    out.append(
        f'<text x="14" y="{TOP + plot_h / 2:.0f}" transform="rotate(-90 14 {TOP + plot_h / 2:.0f})" '
        'text-anchor="middle">responders on call</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
