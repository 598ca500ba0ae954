"""The models' code in the model bucket: ``code/<model>/`` holds each script and schema.json
(Processing jobs take their script from there; the API reads the schema) and
``code/<model>/sourcedir.tar.gz`` (training and hosting, as the sagemaker SDK packs a source
directory: the files at the archive's root).

Provisioning does this locally; on AWS it is the deploy step after ``sam deploy``
(docs/DEPLOY.md):

    python -m infra.model_code --bucket "$(aws cloudformation describe-stacks ... ModelData)"
"""

from __future__ import annotations

import argparse
import gzip
import io
import tarfile
from pathlib import Path
from typing import Any

from infra.resources import STACK, Model

SHIPPED = (".py", ".json")


def files(model: Model) -> list[Path]:
    return [path for path in sorted(model.source.iterdir()) if path.is_file() and path.suffix in SHIPPED]


def source_archive(model: Model) -> bytes:
    """The same bytes for the same files (no times or owners in the tar or gzip headers)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in files(model):
            info = archive.gettarinfo(str(path), arcname=path.name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""  # same bytes, same version
            with path.open("rb") as content:
                archive.addfile(info, content)
    return gzip.compress(buffer.getvalue(), mtime=0)


def upload(s3: Any, bucket: str, model: Model) -> list[str]:
    """Put the model's code in the bucket; the keys written."""
    keys = []
    for path in files(model):
        key = f"code/{model.name}/{path.name}"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        keys.append(key)
    key = f"code/{model.name}/sourcedir.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=source_archive(model))
    return [*keys, key]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Upload the models' code to the model bucket")
    parser.add_argument("--bucket", required=True, help="the stack's ModelData bucket (its output)")
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    import boto3

    s3 = boto3.client("s3", region_name=args.region)
    for model in STACK.models:
        for key in upload(s3, args.bucket, model):
            print(f"s3://{args.bucket}/{key}")


if __name__ == "__main__":
    main()
