"""Channels and outputs: S3 prefixes to local directories and back, through the local S3."""

from __future__ import annotations

import posixpath
from pathlib import Path

from insight_local.sagemaker.aws import client, split_s3_uri


class MissingData(Exception):
    pass


def relative(prefix: str, key: str) -> str:
    """Where an object under an S3Prefix lands below the channel's directory."""
    if key == prefix:
        return posixpath.basename(key)
    if prefix.endswith("/") or key[len(prefix)] == "/":
        return key[len(prefix) :].lstrip("/")
    parent = posixpath.dirname(prefix)
    return key[len(parent) :].lstrip("/")


def download(uri: str, into: Path, region: str) -> list[Path]:
    """Every object whose key starts with the URI's prefix (S3DataType S3Prefix), or the one
    object it names. An empty prefix is an error, as SageMaker's is."""
    bucket, prefix = split_s3_uri(uri)
    s3 = client("s3", region)
    keys: list[str] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/"))
    except s3.exceptions.NoSuchBucket:
        raise MissingData(f"ClientError: the bucket of {uri} does not exist") from None
    if not keys:
        raise MissingData(f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source.')
    written = []
    for key in keys:
        target = into / relative(prefix, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
        written.append(target)
    return written


def upload_directory(directory: Path, uri: str, region: str) -> list[str]:
    """Every file below ``directory`` to ``uri``/its relative path."""
    bucket, prefix = split_s3_uri(uri)
    s3 = client("s3", region)
    keys = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            key = (
                posixpath.join(prefix, str(path.relative_to(directory))) if prefix else str(path.relative_to(directory))
            )
            s3.upload_file(str(path), bucket, key)
            keys.append(key)
    return keys


def upload_file(path: Path, uri: str, region: str) -> None:
    bucket, key = split_s3_uri(uri)
    client("s3", region).upload_file(str(path), bucket, key)
