"""Text rendering: bot.texts (Fluent, CLDR plural choices) beside str.format
templates of the same texts, in the same run.

    python bench/bench_texts.py [--repeat 2000] [--rounds 5]

The baseline is what the TOML catalogues did before Fluent: each message as a
str.format template, every plural choice replaced by its default variant (a
count glued to one word form). Two workloads: the texts of one /start + Accept
(the flow bench/bench_updates.py measures) and a full /wallet screen (two
partners, ten history entries, earning rules), the heaviest in plural choices.
Medians over --rounds; each round renders a workload --repeat times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fluent.syntax import FluentParser, ast  # noqa: E402

import bot.texts  # noqa: E402
from bot.texts import message_id, roubles, texts_for  # noqa: E402

Render = Callable[..., str]


def _template(pattern: ast.Pattern) -> str:
    """A Fluent pattern as the str.format template it replaced: defaults only."""
    out = []
    for element in pattern.elements:
        if isinstance(element, ast.TextElement):
            out.append(element.value.replace("{", "{{").replace("}", "}}"))
            continue
        expression = element.expression
        if isinstance(expression, ast.SelectExpression):
            default = next(v for v in expression.variants if v.default)
            out.append(_template(default.value))
        elif isinstance(expression, ast.VariableReference):
            out.append("{" + expression.id.name + "}")
        elif isinstance(expression, ast.FunctionReference):
            out.append("{" + expression.arguments.positional[0].id.name + "}")
        elif isinstance(expression, ast.StringLiteral):
            out.append(expression.value)
    return "".join(out)


def format_baseline(language: str) -> Render:
    templates = {}
    for path in (Path(bot.texts.__file__).parent / language).glob("*.ftl"):
        for entry in FluentParser().parse(path.read_text(encoding="utf-8")).body:
            if isinstance(entry, ast.Message) and entry.value is not None:
                templates[f"{path.stem}.{entry.id.name}"] = _template(entry.value)

    def render(key: str, /, **values: object) -> str:
        template = templates[".".join(message_id(key))]
        return template.format(**values) if values else template

    return render


def consent_flow(texts: Render) -> None:
    texts("onboarding.consent", version="2026-11")
    texts("onboarding.accept")
    texts("onboarding.decline")
    texts("onboarding.accepted")
    texts("profile.ask.age_band")
    for band in ("18-24", "25-34", "35-44", "45-54", "55+"):
        texts(f"profile.age_band.{band}")
    texts("profile.skip")


def wallet_screen(texts: Render) -> None:
    texts("wallet.title", code="k3j5h2g7a1")
    for company, points, cashback in (("Acme Coffee", 21, 150), ("Zerno", 5, 12_340)):
        texts("wallet.balance", company=company, points=points, cashback=roubles(cashback))
        texts("wallet.reserved", points=25)
        texts("wallet.incoming", points=2, cashback=roubles(101))
    texts("wallet.history")
    for n in range(10):
        amount = texts("wallet.amount.points", sign="+", amount=n + 1)
        texts("wallet.entry", date="01.12", company="Acme", what="отзыв", amount=amount)
    texts("wallet.rules.title", company="Acme Coffee")
    texts("wallet.rules.purchase", points=10, percent="5")
    texts("wallet.rules.return_window", days=14)
    texts("wallet.rules.invite", points=100)
    texts("wallet.rules.expiry", days=90)


def per_call_us(render: Render, workload: Callable[[Render], None], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        workload(render)
    return (time.perf_counter() - started) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bot.texts.warm()
    print(f"us per workload, median of {args.rounds} rounds x {args.repeat}")
    print(f"{'workload':<28}{'str.format':>12}{'Fluent':>10}{'ratio':>8}")
    for language in ("ru", "en"):
        fluent, baseline = texts_for(language), format_baseline(language)
        for name, workload in (("/start + Accept", consent_flow), ("/wallet", wallet_screen)):
            before, after = [], []
            for _ in range(args.rounds):  # taking turns, so drift hits both
                before.append(per_call_us(baseline, workload, args.repeat))
                after.append(per_call_us(fluent, workload, args.repeat))
            b, a = statistics.median(before), statistics.median(after)
            print(f"{name + ', ' + language:<28}{b:>12.1f}{a:>10.1f}{a / b:>7.1f}x")


if __name__ == "__main__":
    main()
