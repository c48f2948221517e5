"""The closing summary of `make bench`: tables with ratios, and issue #13's targets, met or not."""

from __future__ import annotations

from typing import Any

NAN = float("nan")


def _ms(s: float) -> str:
    return "—" if s != s else f"{s * 1000:,.1f} ms"


def _sec(s: float) -> str:
    return "—" if s != s else f"{s:.2f} s"


def burst_table(results: list[dict[str, Any]]) -> list[str]:
    """One row per system; ratios against the first (SafetyNet) row."""
    if not results:
        return []
    base = results[0]
    b99, brate = base["lateness_s"]["p99"], base["fired_per_s"]
    lines = [
        f"burst of {base['timers']:,} escalations due at once",
        "| system | fired | p50 | p99 | max | fired/s | p99 SafetyNet ÷ it | fired/s SafetyNet ÷ it |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lat = r["lateness_s"]
        dropped = f" ({r['dropped']:,} dropped)" if r.get("dropped") else ""
        same = r is base or r["system"].startswith("SafetyNet")
        p99_ratio = "" if same or not lat["p99"] else f"{b99 / lat['p99']:.2f}"
        rate_ratio = "" if same or not r["fired_per_s"] else f"{brate / r['fired_per_s']:.2f}"
        lines.append(
            f"| {r['system']} | {r['fired']:,}{dropped} | {_sec(lat['p50'])} | {_sec(lat['p99'])} | "
            f"{_sec(lat['max'])} | {r['fired_per_s']:,.0f} | {p99_ratio} | {rate_ratio} |"
        )
    return lines


def intake_table(fixed: list[dict[str, Any]], closed: list[dict[str, Any]]) -> list[str]:
    rows = [(f"{r['rate']:,.0f}/s fixed{_workers(r)}", r) for r in fixed] + [
        (f"c={r['concurrency']}", r) for r in closed
    ]
    if not rows:
        return []
    lines = [
        "intake on one serve",
        "| load | taken in/s | offers/s | send→offer p50 | p99 | max | kept up | CPU/contact "
        "| round trips/contact |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, r in rows:
        sto, cost = r["send_to_offer_s"], r.get("cost") or {}
        kept = {True: "yes", False: "NO", None: "—"}[r.get("kept_up")]
        rt = cost.get("round_trips")
        lines.append(
            f"| {label} | {r['requests_per_s']:,.0f} | {r['offers_per_s']:,.0f} | {_ms(sto['p50'])} | "
            f"{_ms(sto['p99'])} | {_ms(sto['max'])} | {kept} | {cost.get('cpu_us', NAN):,.0f} µs | "
            f"{'—' if rt is None else f'{rt:.2f}'} |"
        )
    return lines


def _workers(r: dict[str, Any]) -> str:
    n = r.get("workers", 1)
    return f", {n} workers" if n > 1 else ""


def cost_table(costs: dict[str, dict[str, Any]]) -> list[str]:
    if not costs:
        return []
    lines = [
        "per operation, in-process, one at a time",
        "| operation | Python CPU | redis-server CPU | Redis commands | round trips |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, c in costs.items():
        lines.append(
            f"| {name} | {c['cpu_us']:,.0f} µs | {c.get('redis_cpu_us', NAN):,.0f} µs | "
            f"{c['commands']:.1f} | {c['round_trips']:.2f} |"
        )
    return lines


def _mark(ok: bool | None) -> str:
    return {True: "MET", False: "NOT met", None: "not measured"}[ok]


def targets(
    burst: list[dict[str, Any]],
    steady: dict[str, Any] | None,
    fixed: list[dict[str, Any]],
    sims: list[dict[str, Any]],
) -> list[str]:
    """Issue #13's targets, each judged on this run's figures only."""
    out = []
    sn = next((r for r in burst if r.get("instances") == 2), None)
    if sn is not None:
        p99 = sn["lateness_s"]["p99"]
        peers = [r for r in burst if not r["system"].startswith("SafetyNet")]
        keep_all = [r for r in peers if r["fired"] == r["timers"]]
        ahead = all(p99 < r["lateness_s"]["p99"] for r in keep_all)
        all_fired = sn["fired"] == sn["timers"]
        cpu = (sn.get("cost") or {}).get("cpu_us", NAN)
        theirs = ", ".join(f"{r['system']} p99 {r['lateness_s']['p99']:.3f} s" for r in keep_all)
        out += [
            f"burst, two instances: all fired, p99 <= 1.0 s: {_mark(all_fired and p99 <= 1.0)} "
            f"({sn['fired']:,}/{sn['timers']:,}, p99 {p99:.3f} s; aim 0.5 s: {_mark(p99 <= 0.5)})",
            f"burst: ahead of every peer that keeps all its timers: "
            f"{_mark(ahead if keep_all else None)} ({theirs})",
            f"burst: Python CPU per escalation <= 300 µs: {_mark(cpu <= 300 if cpu == cpu else None)} "
            f"({cpu:,.0f} µs, the serves' CPU over the burst)",
        ]
    if steady is not None:
        w = steady["written_s"]
        ok = steady["fired"] == steady["timers"] and w["p99"] <= 0.005 and steady["over_50ms"] == 0
        out.append(
            f"steady {steady['rate']:.0f}/s: p99 <= 5 ms and none > 50 ms: {_mark(ok)} "
            f"(p99 {_ms(w['p99'])}, max {_ms(w['max'])}, {steady['over_50ms']} over 50 ms)"
        )
    by_rate = {r["rate"]: r for r in fixed if r.get("workers", 1) == 1}
    if 2000 in by_rate:
        r = by_rate[2000]
        p99 = r["send_to_offer_s"]["p99"]
        out.append(
            f"intake 2,000/s sustained, send→offer p99 < 50 ms: {_mark(bool(r['kept_up']) and p99 < 0.050)} "
            f"({r['requests_per_s']:,.0f} taken in/s, {r['offers_per_s']:,.0f} offers/s, p99 {_ms(p99)})"
        )
    for r in fixed:
        if r.get("workers", 1) > 1:
            p99 = r["send_to_offer_s"]["p99"]
            out.append(
                f"intake {r['rate']:,.0f}/s sustained with `serve --workers {r['workers']}`, p99 < 50 ms: "
                f"{_mark(bool(r['kept_up']) and p99 < 0.050)} ({r['requests_per_s']:,.0f} taken in/s, "
                f"{r['offers_per_s']:,.0f} offers/s, p99 {_ms(p99)})"
            )
    if 500 in by_rate:
        r = by_rate[500]
        p99 = r["send_to_offer_s"]["p99"]
        rt = (r.get("cost") or {}).get("round_trips")
        out.append(
            f"intake 500/s, send→offer p99 < 20 ms: {_mark(bool(r['kept_up']) and p99 < 0.020)} ({_ms(p99)})"
        )
        out.append(
            f"round trips per intake <= 2 (serve at 500/s, intake and offer): "
            f"{_mark(None if rt is None else rt <= 2)} ({'—' if rt is None else f'{rt:.2f}'})"
        )
    for s in sims:
        how = f", {s['segments']} segments on {s['workers']} workers" if "segments" in s else ""
        out.append(
            f"simulator >= 10,000 contacts per wall second "
            f"({s['scenario']}{how}, {s['contacts']:,} contacts): "
            f"{_mark(s['contacts_per_s'] >= 10_000)} ({s['contacts_per_s']:,.0f}/s)"
        )
    return out
