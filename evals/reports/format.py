"""How numbers read in every report (terminal, HTML, JUnit): one place, one style."""

from __future__ import annotations

from evals.record import Usage


def pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def interval(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"[{ci[0] * 100:.0f}–{ci[1] * 100:.0f}]"


def rate_with_ci(rate: float | None, ci: tuple[float, float] | None) -> str:
    return "–" if rate is None else f"{pct(rate)} {interval(ci)}".strip()


def pass_hat(values: dict[int, float]) -> str:
    return " ".join(f"^{k} {v * 100:.0f}" for k, v in sorted(values.items())) or "–"


def tokens(usage: Usage) -> str:
    if usage.calls == 0:
        return "no model calls"
    total = usage.input_tokens + usage.output_tokens
    text = f"{usage.calls} calls, {total:,} tokens"
    if usage.calls_without_usage:
        text += f" ({usage.calls_without_usage} calls unreported)"
    return text


def cost(usage: Usage) -> str:
    if usage.calls == 0:
        return "0"
    if usage.cost is None:
        return "unknown" + (f" (no price for {', '.join(usage.unpriced)})" if usage.unpriced else
                            " (token counts missing)")
    return f"{usage.cost:.4f} {usage.currency}"


def signed(delta: float | None) -> str:
    return "–" if delta is None else f"{delta * 100:+.0f} pts"


def p_value(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"
