"""S3: uploads, results and presigned links."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import NotFound, aws_error_code, service_call
from chalicelib.models import ObjectRef, PresignedPost

MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})


@dataclass(frozen=True)
class ObjectHead:
    content_type: str
    size: int
    version: str | None = None  # None where the bucket keeps no versions


class Storage:
    def __init__(self, client: Any) -> None:
        self._s3 = client

    def presigned_post(self, target: ObjectRef, content_type: str, max_size: int, expires_in: int) -> PresignedPost:
        """A form that lets a client upload exactly this key, of this type, up to ``max_size`` bytes."""
        post = self._s3.generate_presigned_post(
            Bucket=target.bucket,
            Key=target.key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_size],
            ],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=post["url"], fields=post["fields"])

    def presigned_get(self, ref: ObjectRef, expires_in: int) -> str:
        return str(
            self._s3.generate_presigned_url(
                "get_object", Params=ref.locator(), ExpiresIn=expires_in
            )
        )

    def head(self, ref: ObjectRef) -> ObjectHead:
        with service_call("S3"):
            try:
                response = self._s3.head_object(**ref.locator())
            except Exception as error:
                if aws_error_code(error) in MISSING_CODES:
                    raise NotFound(f"s3://{ref.bucket}/{ref.key} does not exist") from error
                raise
        return ObjectHead(
            content_type=str(response.get("ContentType") or "application/octet-stream"),
            size=int(response["ContentLength"]),
            version=response.get("VersionId") if response.get("VersionId") not in (None, "null") else None,
        )

    def read(self, ref: ObjectRef) -> bytes:
        with service_call("S3"):
            try:
                response = self._s3.get_object(**ref.locator())
            except Exception as error:
                if aws_error_code(error) in MISSING_CODES:
                    raise NotFound(f"s3://{ref.bucket}/{ref.key} does not exist") from error
                raise
            return bytes(response["Body"].read())

    def read_json(self, ref: ObjectRef) -> Any:
        return json.loads(self.read(ref))

    def write_json(self, ref: ObjectRef, document: Any) -> ObjectRef:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with service_call("S3"):
            self._s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=body, ContentType="application/json")
        return ref

    def objects(self, bucket: str, prefix: str) -> list[tuple[str, str, int]]:
        """Every object under ``prefix``: (key, ETag, size), in key order."""
        found: list[tuple[str, str, int]] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        with service_call("S3"):
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                found.extend(
                    (o["Key"], str(o.get("ETag", "")).strip('"'), int(o["Size"])) for o in page.get("Contents", [])
                )
        return sorted(found)
