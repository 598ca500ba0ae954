"""What every benchmark measures with: edit distance, the emulator's overhead, the report."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

Result = TypeVar("Result")

#: A figure's budget: the bound and whether the figure must be "at least" or "at most" it.
Budget = tuple[float, str]


def edit_distance(reference: Sequence[Hashable], hypothesis: Sequence[Hashable]) -> int:
    """Levenshtein distance: the fewest substitutions, insertions and deletions of one item
    (a character of a string, a word of a list) that turn ``hypothesis`` into ``reference``."""
    previous = list(range(len(hypothesis) + 1))
    for i, item in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, other in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (item != other))
        previous = current
    return previous[-1]


def timed(call: Callable[[], Result]) -> tuple[float, Result]:
    """The seconds ``call`` took, and what it answered."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def seconds(call: Callable[[], Any]) -> float:
    return timed(call)[0]


def overhead(pairs: Sequence[tuple[Callable[[], Any], Callable[[], Any]]], rounds: int = 5) -> float:
    """The emulator's overhead: for each input, (the engine called directly, the same input
    through boto3 and moto's server), each timed in turn so that a busy moment of the machine
    weighs on both ways alike, best of ``rounds``; the sum through over the sum direct."""
    direct = [float("inf")] * len(pairs)
    through = [float("inf")] * len(pairs)
    for _ in range(rounds):
        for index, (engine, client) in enumerate(pairs):
            direct[index] = min(direct[index], seconds(engine))
            through[index] = min(through[index], seconds(client))
    return sum(through) / sum(direct)


def within(value: float, budget: Budget) -> bool:
    bound, direction = budget
    return value >= bound if direction == "at least" else value <= bound


def report(title: str, measured: dict[str, float], budgets: dict[str, Budget]) -> dict[str, float]:
    """Print each figure beside its budget; the figures, for the caller."""
    print(title)
    width = max(map(len, measured)) + 2
    for name, value in measured.items():
        budget = budgets.get(name)
        if budget is None:
            print(f"  {name:<{width}} {value:8.2f}")
            continue
        verdict = "ok" if within(value, budget) else "OVER budget"
        print(f"  {name:<{width}} {value:8.2f}  budget {budget[1]} {budget[0]:g}  {verdict}")
    return measured
