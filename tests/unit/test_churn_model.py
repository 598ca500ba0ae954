"""The example model's scripts (models/churn), each run as SageMaker runs it: a subprocess of
Python under the container contract (``/opt/ml`` stood in for by ``$OPT_ML``, the ``SM_*``
environment, hyperparameters as ``--name value``)."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CHURN = Path(__file__).resolve().parents[2] / "models" / "churn"


def module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"churn_{name}", CHURN / f"{name}.py")
    assert spec and spec.loader
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def run(script: str, root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHURN / script), *args],
        env={**os.environ, "OPT_ML": str(root), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/opt/ml after processing.py ran over 1500 synthetic customers."""
    root = tmp_path_factory.mktemp("opt_ml")
    module("data").write(root / "processing" / "input" / "data" / "churn.csv", module("data").generate(1500, seed=7))
    done = run("processing.py", root)
    assert done.returncode == 0, done.stderr
    return root


def train(root: Path, processed: Path, *hyperparameters: str) -> subprocess.CompletedProcess[str]:
    output = processed / "processing" / "output"
    return run(
        "train.py",
        root,
        *hyperparameters,
        env={
            "SM_CHANNEL_TRAIN": str(output / "train"),
            "SM_CHANNEL_VALIDATION": str(output / "validation"),
            "SM_MODEL_DIR": str(root / "model"),
            "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
        },
    )


def printed(stdout: str, name: str) -> float:
    line = next(line for line in stdout.splitlines() if line.startswith(f"{name}="))
    return float(line.split("=")[1].rstrip(";"))


def test_the_data_is_the_same_for_the_same_seed_and_differs_across_seeds() -> None:
    data = module("data")
    assert data.generate(50, seed=3) == data.generate(50, seed=3)
    assert data.generate(50, seed=3) != data.generate(50, seed=4)
    churn_rate = sum(row["churned"] for row in data.generate(3000)) / 3000
    assert 0.15 < churn_rate < 0.45


def test_the_self_contained_scripts_declare_the_schema_s_features() -> None:
    schema = json.loads((CHURN / "schema.json").read_text())
    declared = {feature.pop("name"): feature for feature in schema["features"]}
    assert declared == module("processing").FEATURES
    assert module("processing").LABEL == module("train").LABEL == module("evaluate").LABEL == schema["label"]["name"]


def test_processing_splits_valid_rows_into_train_validation_and_test(processed: Path) -> None:
    output = processed / "processing" / "output"
    sets = {name: rows(output / name / f"{name}.csv") for name in ("train", "validation", "test")}
    assert [len(part) for part in sets.values()] == [1050, 225, 225]
    assert list(sets["train"][0]) == [
        "tenure_months",
        "monthly_charges",
        "support_calls",
        "contract",
        "has_internet",
        "churned",
    ]


def test_processing_drops_invalid_rows_and_refuses_missing_columns_or_too_few_rows(tmp_path: Path) -> None:
    data = module("data")
    customers = data.generate(120, seed=1)
    customers[0]["contract"] = "lifetime"
    customers[1]["tenure_months"] = -4
    customers.append(dict(customers[5]))  # a duplicate customer
    data.write(tmp_path / "processing" / "input" / "data" / "a.csv", customers)
    done = run("processing.py", tmp_path, "--min-rows", "100")
    assert done.returncode == 0 and "valid=118 dropped=3" in done.stdout
    too_few = run("processing.py", tmp_path, "--min-rows", "500")
    assert too_few.returncode == 1 and "only 118 valid rows (3 dropped): at least 500 are needed" in too_few.stderr
    (tmp_path / "processing" / "input" / "data" / "b.csv").write_text("customer_id,tenure_months\nX,3\n")
    missing = run("processing.py", tmp_path)
    assert missing.returncode == 1
    assert "b.csv lacks the column(s) monthly_charges, support_calls, contract, has_internet, churned" in missing.stderr


def test_training_writes_the_model_and_prints_its_metrics(processed: Path, tmp_path: Path) -> None:
    done = train(tmp_path, processed, "--n_estimators", "60", "--max_depth", "3")
    assert done.returncode == 0, done.stderr
    accuracy = printed(done.stdout, "validation:accuracy")
    assert accuracy > 0.85
    saved = json.loads((tmp_path / "output" / "data" / "metrics.json").read_text())
    assert saved["validation"]["accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert (tmp_path / "model" / "model.joblib").exists()


def test_a_shallow_model_is_measurably_worse(processed: Path, tmp_path: Path) -> None:
    good = train(tmp_path / "good", processed, "--n_estimators", "60")
    bad = train(tmp_path / "bad", processed, "--n_estimators", "1", "--max_depth", "1")
    assert printed(bad.stdout, "validation:accuracy") < printed(good.stdout, "validation:accuracy") - 0.05


def test_training_resumes_from_its_checkpoint(processed: Path, tmp_path: Path) -> None:
    (tmp_path / "checkpoints").mkdir()
    first = train(tmp_path, processed, "--n_estimators", "20", "--checkpoint_every", "10")
    assert "train:trees=10;" in first.stdout and "train:trees=20;" in first.stdout
    again = train(tmp_path, processed, "--n_estimators", "30", "--checkpoint_every", "10")
    assert "resumed from checkpoint with 20 trees" in again.stdout
    assert "train:trees=10;" not in again.stdout and "train:trees=30;" in again.stdout


def test_bad_hyperparameters_end_the_job_with_a_reason(processed: Path, tmp_path: Path) -> None:
    done = train(tmp_path, processed, "--max_depth", "0")
    assert done.returncode == 2 and "max_depth must be at least 1" in done.stderr


@pytest.fixture(scope="module")
def model_dir(processed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trained")
    assert train(root, processed, "--n_estimators", "40").returncode == 0
    return root / "model"


def test_evaluation_writes_model_quality_metrics_from_the_archive(
    processed: Path, model_dir: Path, tmp_path: Path
) -> None:
    # Given the model archived as the training job archives it, and the test set
    (tmp_path / "processing" / "input" / "model").mkdir(parents=True)
    with tarfile.open(tmp_path / "processing" / "input" / "model" / "model.tar.gz", "w:gz") as archive:
        archive.add(model_dir / "model.joblib", arcname="model.joblib")
    test = tmp_path / "processing" / "input" / "test"
    test.mkdir(parents=True)
    (test / "test.csv").write_bytes((processed / "processing" / "output" / "test" / "test.csv").read_bytes())
    # When evaluate.py runs
    done = run("evaluate.py", tmp_path)
    # Then evaluation.json holds the binary classification metrics
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "processing" / "output" / "evaluation" / "evaluation.json").read_text())
    metrics = report["binary_classification_metrics"]
    assert set(metrics) >= {"accuracy", "f1", "auc", "precision", "recall", "confusion_matrix"}
    assert metrics["accuracy"] == {
        "value": pytest.approx(printed(done.stdout, "test:accuracy")),
        "standard_deviation": "NaN",
    }
    assert sum(sum(row.values()) for row in metrics["confusion_matrix"].values()) == 225


def test_inference_answers_csv_and_json_as_the_model_predicts(model_dir: Path) -> None:
    inference = module("inference")
    model = inference.model_fn(str(model_dir))
    customer: dict[str, Any] = {
        "tenure_months": 2,
        "monthly_charges": 99.5,
        "support_calls": 5,
        "contract": "month-to-month",
        "has_internet": 1,
    }
    loyal = {**customer, "tenure_months": 120, "support_calls": 0, "contract": "two-year"}
    body = json.dumps({"instances": [customer, loyal]})
    answer, media = inference.output_fn(
        inference.predict_fn(inference.input_fn(body, "application/json"), model), "application/json"
    )
    predictions = json.loads(answer)["predictions"]
    expected = model.predict_proba(inference.input_fn(body, "application/json"))[:, 1]
    assert media == "application/json"
    assert [p["probability"] for p in predictions] == [round(float(p), 6) for p in expected]
    assert predictions[0]["churned"] == 1 and predictions[1]["churned"] == 0
    csv_answer, csv_media = inference.output_fn(
        inference.predict_fn(inference.input_fn(b"2,99.5,5,month-to-month,1\n", "text/csv"), model), "text/csv"
    )
    assert csv_media == "text/csv" and csv_answer == f"1,{predictions[0]['probability']}\n"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ('{"instances": [{"tenure_months": 2}]}', "application/json", "missing features"),
        ("2,99.5,5,lifetime,1", "text/csv", "contract: 'lifetime' is not one of"),
        ("2,lots,5,one-year,1", "text/csv", "monthly_charges: expected a number"),
        ("not json", "application/json", "the body is not JSON"),
        ("2,99.5,5,one-year,1", "application/x-npy", "unsupported content type"),
    ],
)
def test_inference_refuses_input_outside_the_schema(body: str, content_type: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        module("inference").input_fn(body, content_type)
