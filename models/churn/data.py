"""Synthetic customer-churn data, the same for the same seed (no download, no network).

    python data.py --rows 2000 --seed 7 --out DIR      # writes DIR/churn.csv

Each row is a customer: the schema's features (schema.json), a ``customer_id`` and the
label ``churned``. Churn is likelier with a short tenure, high charges, many support calls,
a month-to-month contract, and noise, so a model can learn it but not perfectly.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from pathlib import Path
from typing import Any

COLUMNS = ["customer_id", "tenure_months", "monthly_charges", "support_calls", "contract", "has_internet", "churned"]
CONTRACTS = ["month-to-month", "one-year", "two-year"]


def generate(rows: int, seed: int = 7, noise: float = 0.6) -> list[dict[str, Any]]:
    """``rows`` customers drawn from ``seed``; ``noise`` (the spread of the hidden score's
    random part) makes the label harder to predict as it grows."""
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    customers = []
    for index in range(rows):
        contract = rng.choices(CONTRACTS, weights=[0.5, 0.3, 0.2])[0]
        tenure = int(min(240, rng.expovariate(1 / 24)))
        internet = int(rng.random() < 0.7)
        charges = round(max(5.0, rng.gauss(45 + 30 * internet, 15)), 2)
        calls = min(100, int(rng.expovariate(1 / 1.5)))
        score = (
            -0.4
            - 0.06 * tenure
            + 0.025 * (charges - 60)
            + 0.55 * calls
            + {"month-to-month": 0.9, "one-year": -0.6, "two-year": -1.8}[contract]
            + rng.gauss(0, noise)
        )
        churned = int(1 / (1 + math.exp(-score)) > 0.5)
        customers.append(
            {
                "customer_id": f"C{seed:03d}-{index:06d}",
                "tenure_months": tenure,
                "monthly_charges": charges,
                "support_calls": calls,
                "contract": contract,
                "has_internet": internet,
                "churned": churned,
            }
        )
    return customers


def write(path: Path, customers: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(customers)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--noise", type=float, default=0.6)
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    print(write(args.out / "churn.csv", generate(args.rows, args.seed, args.noise)))


if __name__ == "__main__":
    main()
