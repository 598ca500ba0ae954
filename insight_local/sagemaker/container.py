"""The container contract, with a temporary directory standing for ``/opt/ml``.

SageMaker's containers put everything under ``/opt/ml``; locally each job gets a fresh
temporary root instead. Every path a job's request names (a ProcessingInput's LocalPath, a
checkpoint's LocalPath), and every argument, entry point item and environment value that
starts with ``/opt/ml/``, is rewritten to the root; the scripts also get ``OPT_ML`` (the
root) for the defaults they compute themselves. So scripts must take their paths from their
arguments or the environment (``SM_CHANNEL_*``, ``SM_MODEL_DIR``...), or from ``$OPT_ML``
with ``/opt/ml`` as the default, as models/churn does: a literal ``/opt/ml`` inside a
script's code is the one thing the local runtime cannot see.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

OPT_ML = "/opt/ml"
PYTHONS = {"python", "python3", "python3.11", "/usr/bin/python3", "/usr/local/bin/python", "/usr/local/bin/python3"}


class Container:
    """One job's /opt/ml: a temporary directory, and the rewriting of paths into it."""

    def __init__(self, job_name: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"sagemaker-{job_name[:40]}-"))

    def path(self, container_path: str) -> Path:
        """Where a container path lives locally (a path outside /opt/ml is refused)."""
        if container_path != OPT_ML and not container_path.startswith(OPT_ML + "/"):
            raise ValueError(f"{container_path!r} is outside {OPT_ML}: the local runtime maps {OPT_ML} only")
        return self.root / container_path[len(OPT_ML) :].lstrip("/")

    def rewrite(self, value: str) -> str:
        """An argument or environment value with its /opt/ml prefix mapped (others unchanged)."""
        if value == OPT_ML or value.startswith(OPT_ML + "/"):
            return str(self.path(value))
        return value

    def command(self, argv: list[str]) -> list[str]:
        """The command to run: a Python interpreter of the image is this venv's Python."""
        if not argv:
            raise ValueError("the job names no command to run")
        first = sys.executable if argv[0] in PYTHONS else self.rewrite(argv[0])
        return [first, *(self.rewrite(argument) for argument in argv[1:])]

    def environment(self, variables: dict[str, str]) -> dict[str, str]:
        """The process's environment: this one's (PATH, the fake AWS credentials, the endpoint),
        the job's own variables mapped, and ``OPT_ML``."""
        environment = {name: value for name, value in os.environ.items() if not name.startswith(("SM_", "SAGEMAKER_"))}
        environment.update({name: self.rewrite(str(value)) for name, value in variables.items()})
        environment["OPT_ML"] = str(self.root)
        environment["PYTHONUNBUFFERED"] = "1"
        return environment

    def write_json(self, container_path: str, content: Any) -> None:
        target = self.path(container_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(content, indent=2, default=str))

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def unpack(archive: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def pack(directory: Path, archive: Path) -> None:
    """A tar.gz of a directory's content, its files at the archive's root (as model.tar.gz)."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(directory.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(directory)), recursive=False)
