"""Processing job: validate the raw churn data, clean it and split it into train, validation
and test sets.

SageMaker runs it as ``python3 /opt/ml/processing/input/code/processing.py [options]``: every
CSV under ``/opt/ml/processing/input/data`` is read (a header row naming at least the
schema's features and the label); ``/opt/ml/processing/output/{train,validation,test}/``
receive one CSV each (the features in the schema's order, then the label). Rows with a
value outside the schema are dropped and counted; a missing column, or fewer valid rows
than ``--min-rows``, ends the job with a non-zero exit and the reason on stderr.

The script is self-contained (a Processing job's code input is often this one file); its
columns are the ones declared in schema.json (a unit test keeps them equal). Paths are under
``$OPT_ML`` when that is set (the local runtime's stand-in for /opt/ml), else /opt/ml.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
from pathlib import Path
from typing import Any

FEATURES: dict[str, dict[str, Any]] = {
    "tenure_months": {"type": "integer", "minimum": 0, "maximum": 240},
    "monthly_charges": {"type": "number", "minimum": 0, "maximum": 1000},
    "support_calls": {"type": "integer", "minimum": 0, "maximum": 100},
    "contract": {"type": "string", "enum": ["month-to-month", "one-year", "two-year"]},
    "has_internet": {"type": "integer", "enum": [0, 1]},
}
LABEL = "churned"
OPT_ML = Path(os.environ.get("OPT_ML", "/opt/ml"))


class InvalidData(Exception):
    pass


def parse_value(raw: str, spec: dict[str, Any]) -> Any:
    """The value of one cell, or ValueError when it is outside the feature's declaration."""
    text = raw.strip()
    if spec["type"] == "string":
        value: Any = text.lower()
    elif spec["type"] == "integer":
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{text!r} is not an integer")
        value = int(number)
    else:
        value = float(text)
    if "enum" in spec and value not in spec["enum"]:
        raise ValueError(f"{text!r} is not one of {spec['enum']}")
    if ("minimum" in spec and value < spec["minimum"]) or ("maximum" in spec and value > spec["maximum"]):
        raise ValueError(f"{text!r} is out of range")
    return value


def read(data_dir: Path) -> tuple[list[list[Any]], int]:
    """The valid rows of every CSV under ``data_dir`` (features then label, duplicates of a
    ``customer_id`` dropped) and the number of rows dropped."""
    files = sorted(data_dir.rglob("*.csv"))
    if not files:
        raise InvalidData(f"no CSV file under {data_dir}")
    rows: list[list[Any]] = []
    dropped = 0
    seen: set[str] = set()
    for path in files:
        with path.open(newline="") as file:
            reader = csv.DictReader(file)
            missing = [name for name in [*FEATURES, LABEL] if name not in (reader.fieldnames or [])]
            if missing:
                raise InvalidData(f"{path.name} lacks the column(s) {', '.join(missing)}")
            for record in reader:
                identity = record.get("customer_id")
                if identity and identity in seen:
                    dropped += 1
                    continue
                try:
                    row = [parse_value(record[name] or "", spec) for name, spec in FEATURES.items()]
                    row.append(parse_value(record[LABEL] or "", {"type": "integer", "enum": [0, 1]}))
                except ValueError:
                    dropped += 1
                    continue
                if identity:
                    seen.add(identity)
                rows.append(row)
    return rows, dropped


def split(rows: list[list[Any]], train: float, validation: float, seed: int) -> dict[str, list[list[Any]]]:
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 (a reproducible split)
    first = int(len(shuffled) * train)
    second = first + int(len(shuffled) * validation)
    return {"train": shuffled[:first], "validation": shuffled[first:second], "test": shuffled[second:]}


def write(output_dir: Path, sets: dict[str, list[list[Any]]]) -> None:
    for name, rows in sets.items():
        (output_dir / name).mkdir(parents=True, exist_ok=True)
        with (output_dir / name / f"{name}.csv").open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow([*FEATURES, LABEL])
            writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate, clean and split the churn data.")
    parser.add_argument("--input-dir", type=Path, default=OPT_ML / "processing" / "input" / "data")
    parser.add_argument("--output-dir", type=Path, default=OPT_ML / "processing" / "output")
    parser.add_argument("--train-ratio", type=float, default=0.7)
    parser.add_argument("--validation-ratio", type=float, default=0.15)
    parser.add_argument("--min-rows", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    try:
        if not 0 < args.train_ratio < 1 or not 0 < args.validation_ratio < 1 - args.train_ratio:
            raise InvalidData("the train and validation ratios must be positive and leave rows for the test set")
        rows, dropped = read(args.input_dir)
        if len(rows) < args.min_rows:
            raise InvalidData(f"only {len(rows)} valid rows ({dropped} dropped): at least {args.min_rows} are needed")
    except InvalidData as error:
        print(f"InvalidData: {error}", file=sys.stderr)
        return 1
    sets = split(rows, args.train_ratio, args.validation_ratio, args.seed)
    write(args.output_dir, sets)
    counts = ", ".join(f"{name}={len(part)}" for name, part in sets.items())
    print(f"rows: valid={len(rows)} dropped={dropped}; {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
