"""Training job (script mode): a gradient-boosted churn classifier.

SageMaker's training toolkit runs ``python train.py --n_estimators 100 --max_depth 3 ...``
(the job's hyperparameters, but its ``sagemaker_*`` ones) with the channels and directories
in the environment: ``SM_CHANNEL_TRAIN`` and ``SM_CHANNEL_VALIDATION`` (a CSV each, as
processing.py writes them), ``SM_MODEL_DIR`` (the model goes there as ``model.joblib``: the
platform archives it as model.tar.gz), ``SM_OUTPUT_DATA_DIR`` (``metrics.json``) and
``SM_HPS`` (the hyperparameters as JSON). It prints its metrics in lines that the job's
MetricDefinitions match, e.g. ``validation:accuracy=0.912;``.

Checkpoints: when the checkpoint directory exists (``/opt/ml/checkpoints``, SageMaker makes
it when the job has a CheckpointConfig, as for spot training) the model is saved there every
``--checkpoint_every`` trees, and a job that finds a checkpoint goes on from it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

LABEL = "churned"
CATEGORICAL = ["contract"]
OPT_ML = Path(os.environ.get("OPT_ML", "/opt/ml"))


def load(directory: Path) -> tuple[list[str], list[list[Any]], list[int]]:
    """The feature names, rows and labels of the CSV(s) in a channel directory."""
    files = sorted(directory.glob("*.csv"))
    if not files:
        raise SystemExit(f"no CSV file in the channel directory {directory}")
    names: list[str] = []
    rows: list[list[Any]] = []
    labels: list[int] = []
    for path in files:
        with path.open(newline="") as file:
            reader = csv.DictReader(file)
            names = [name for name in reader.fieldnames or [] if name != LABEL]
            for record in reader:
                rows.append([record[name] if name in CATEGORICAL else float(record[name]) for name in names])
                labels.append(int(record[LABEL]))
    return names, rows, labels


def table(rows: list[list[Any]]) -> Any:
    """Rows as the 2-D array of mixed columns the pipeline's ColumnTransformer selects from."""
    array = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for index, row in enumerate(rows):
        array[index] = row
    return array


def pipeline(names: list[str], args: argparse.Namespace) -> Pipeline:
    numeric = [index for index, name in enumerate(names) if name not in CATEGORICAL]
    categorical = [index for index, name in enumerate(names) if name in CATEGORICAL]
    features = ColumnTransformer(
        [("numeric", StandardScaler(), numeric), ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical)]
    )
    classifier = GradientBoostingClassifier(
        n_estimators=args.n_estimators,
        max_depth=args.max_depth,
        learning_rate=args.learning_rate,
        subsample=args.subsample,
        random_state=args.seed,
        warm_start=True,
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def fit(model: Pipeline, table: Any, labels: list[int], args: argparse.Namespace, checkpoints: Path | None) -> Pipeline:
    """Fit up to ``n_estimators`` trees, saving a checkpoint every ``checkpoint_every``."""
    checkpoint = checkpoints / "model.joblib" if checkpoints else None
    if checkpoint and checkpoint.exists():
        model = joblib.load(checkpoint)
        print(f"resumed from checkpoint with {model.named_steps['classifier'].n_estimators} trees", flush=True)
    done = model.named_steps["classifier"].n_estimators if checkpoint and checkpoint.exists() else 0
    step = args.checkpoint_every if checkpoint else args.n_estimators
    while done < args.n_estimators:
        done = min(args.n_estimators, done + step)
        model.set_params(classifier__n_estimators=done)
        model.fit(table, labels)
        if checkpoint:
            joblib.dump(model, checkpoint)
        print(f"train:trees={done};", flush=True)
    return model


def metrics(model: Pipeline, table: Any, labels: list[int]) -> dict[str, float]:
    predicted = model.predict(table)
    scores = model.predict_proba(table)[:, 1]
    result = {
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
    }
    if len(set(labels)) == 2:
        result["auc"] = float(roc_auc_score(labels, scores))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the churn classifier.")
    parser.add_argument("--n_estimators", type=int, default=100)
    parser.add_argument("--max_depth", type=int, default=3)
    parser.add_argument("--learning_rate", type=float, default=0.1)
    parser.add_argument("--subsample", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--checkpoint_every", type=int, default=25)
    parser.add_argument("--train", type=Path, default=os.environ.get("SM_CHANNEL_TRAIN"))
    parser.add_argument("--validation", type=Path, default=os.environ.get("SM_CHANNEL_VALIDATION"))
    parser.add_argument("--model-dir", type=Path, default=os.environ.get("SM_MODEL_DIR", OPT_ML / "model"))
    parser.add_argument(
        "--output-data-dir", type=Path, default=os.environ.get("SM_OUTPUT_DATA_DIR", OPT_ML / "output" / "data")
    )
    parser.add_argument("--checkpoint-dir", type=Path, default=OPT_ML / "checkpoints")
    args = parser.parse_args(argv)
    if args.train is None or args.validation is None:
        print(
            "the train and validation channels are required (SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION)", file=sys.stderr
        )
        return 2
    if args.n_estimators < 1 or args.max_depth < 1 or not 0 < args.learning_rate <= 1:
        print("n_estimators and max_depth must be at least 1, learning_rate in (0, 1]", file=sys.stderr)
        return 2

    names, rows, labels = load(args.train)
    _, validation_rows, validation_labels = load(args.validation)
    if len(set(labels)) < 2:
        print(f"the training set holds one class only ({len(labels)} rows)", file=sys.stderr)
        return 1
    checkpoints = args.checkpoint_dir if args.checkpoint_dir.is_dir() else None
    model = fit(pipeline(names, args), table(rows), labels, args, checkpoints)

    results = {
        "train": metrics(model, table(rows), labels),
        "validation": metrics(model, table(validation_rows), validation_labels),
    }
    for channel, values in results.items():
        for name, value in values.items():
            print(f"{channel}:{name}={value:.6f};", flush=True)

    args.model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump({"model": model, "features": names}, args.model_dir / "model.joblib")
    args.output_data_dir.mkdir(parents=True, exist_ok=True)
    (args.output_data_dir / "metrics.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
