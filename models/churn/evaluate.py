"""Processing job: evaluate a trained churn model on the test set.

SageMaker runs it as ``python3 /opt/ml/processing/input/code/evaluate.py`` with the training
job's ``model.tar.gz`` under ``/opt/ml/processing/input/model`` and the test CSV (as
processing.py writes it) under ``/opt/ml/processing/input/test``. It writes
``/opt/ml/processing/output/evaluation/evaluation.json`` in SageMaker's model-quality format:
``{"binary_classification_metrics": {"accuracy": {"value": 0.91, "standard_deviation": "NaN"},
...}}`` with accuracy, precision, recall, f1, auc and the confusion matrix.

Self-contained like processing.py; paths are under ``$OPT_ML`` when that is set, else /opt/ml.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score

LABEL = "churned"
OPT_ML = Path(os.environ.get("OPT_ML", "/opt/ml"))


def load_model(model_dir: Path, into: Path) -> dict[str, Any]:
    archives = sorted(model_dir.rglob("model.tar.gz"))
    if archives:
        with tarfile.open(archives[0]) as archive:
            archive.extractall(into, filter="data")
        model_dir = into
    found = sorted(model_dir.rglob("model.joblib"))
    if not found:
        raise SystemExit(f"no model.tar.gz or model.joblib under {model_dir}")
    artifact: dict[str, Any] = joblib.load(found[0])
    return artifact


def load_test(test_dir: Path, features: list[str]) -> tuple[Any, list[int]]:
    files = sorted(test_dir.rglob("*.csv"))
    if not files:
        raise SystemExit(f"no test CSV under {test_dir}")
    rows: list[list[Any]] = []
    labels: list[int] = []
    for path in files:
        with path.open(newline="") as file:
            for record in csv.DictReader(file):
                rows.append([record[name] if name == "contract" else float(record[name]) for name in features])
                labels.append(int(record[LABEL]))
    if not rows:
        raise SystemExit("the test set is empty")
    table = np.empty((len(rows), len(features)), dtype=object)
    for index, row in enumerate(rows):
        table[index] = row
    return table, labels


def report(labels: list[int], predicted: Any, scores: Any) -> dict[str, Any]:
    def metric(value: float) -> dict[str, Any]:
        return {"value": round(float(value), 6), "standard_deviation": "NaN"}

    metrics = {
        "accuracy": metric(accuracy_score(labels, predicted)),
        "precision": metric(precision_score(labels, predicted, zero_division=0)),
        "recall": metric(recall_score(labels, predicted, zero_division=0)),
        "f1": metric(f1_score(labels, predicted, zero_division=0)),
    }
    if len(set(labels)) == 2:
        metrics["auc"] = metric(roc_auc_score(labels, scores))
    matrix = confusion_matrix(labels, predicted, labels=[0, 1])
    metrics["confusion_matrix"] = {
        str(actual): {str(guess): int(matrix[actual][guess]) for guess in (0, 1)} for actual in (0, 1)
    }
    return {"binary_classification_metrics": metrics}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the churn model on the test set.")
    parser.add_argument("--model-dir", type=Path, default=OPT_ML / "processing" / "input" / "model")
    parser.add_argument("--test-dir", type=Path, default=OPT_ML / "processing" / "input" / "test")
    parser.add_argument("--output-dir", type=Path, default=OPT_ML / "processing" / "output" / "evaluation")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        artifact = load_model(args.model_dir, Path(scratch))
    model, features = artifact["model"], artifact["features"]
    table, labels = load_test(args.test_dir, features)
    evaluation = report(labels, model.predict(table), model.predict_proba(table)[:, 1])
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "evaluation.json").write_text(json.dumps(evaluation, indent=2))
    accuracy = evaluation["binary_classification_metrics"]["accuracy"]["value"]
    print(f"test:accuracy={accuracy};")
    return 0


if __name__ == "__main__":
    sys.exit(main())
