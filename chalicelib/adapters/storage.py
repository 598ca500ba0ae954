"""S3: uploads, results and presigned links."""

from __future__ import annotations

import io
import json
from collections import OrderedDict
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

    def read_head(self, ref: ObjectRef, length: int) -> bytes:
        """The first ``length`` bytes of the object (fewer if it is shorter): one ranged GET."""
        with service_call("S3"):
            try:
                response = self._s3.get_object(**ref.locator(), Range=f"bytes=0-{max(length, 1) - 1}")
            except Exception as error:
                if aws_error_code(error) in MISSING_CODES:
                    raise NotFound(f"s3://{ref.bucket}/{ref.key} does not exist") from error
                if aws_error_code(error) == "InvalidRange":  # an empty object
                    return b""
                raise
            return bytes(response["Body"].read())

    def read_range(self, ref: ObjectRef, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (inclusive) of the object."""
        with service_call("S3"):
            response = self._s3.get_object(**ref.locator(), Range=f"bytes={start}-{end}")
            return bytes(response["Body"].read())

    def open(self, ref: ObjectRef, size: int) -> RangedObject:
        """A seekable, read-only file over the object that fetches only the blocks read."""
        return RangedObject(self, ref, size)

    def write_bytes(self, ref: ObjectRef, data: bytes, content_type: str) -> ObjectRef:
        with service_call("S3"):
            self._s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=data, ContentType=content_type)
        return ref

    def write_text(self, ref: ObjectRef, text: str) -> ObjectRef:
        return self.write_bytes(ref, text.encode("utf-8"), "text/plain; charset=utf-8")

    def copy(self, source: ObjectRef, target: ObjectRef) -> ObjectRef:
        """A server-side copy of ``source`` (its version, if it names one) to ``target``."""
        copy_source: dict[str, str] = {"Bucket": source.bucket, "Key": source.key}
        if source.version:
            copy_source["VersionId"] = source.version
        with service_call("S3"):
            try:
                self._s3.copy_object(Bucket=target.bucket, Key=target.key, CopySource=copy_source)
            except Exception as error:
                if aws_error_code(error) in MISSING_CODES:
                    raise NotFound(f"s3://{source.bucket}/{source.key} does not exist") from error
                raise
        return target

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


class RangedObject(io.RawIOBase):
    """A read-only, seekable file over an S3 object: each read fetches the blocks it touches
    with ranged GETs, and keeps the last few. Header parsers (mutagen) read a few KiB of a file
    of any size through it."""

    BLOCK = 64 * 1024
    KEPT = 16

    def __init__(self, storage: Storage, ref: ObjectRef, size: int) -> None:
        super().__init__()
        self._storage = storage
        self._ref = ref
        self._size = size
        self._position = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self.fetched = 0  # bytes read from S3, for the logs

    @property
    def name(self) -> str:
        return self._ref.key

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("seek before the start of the object")
        self._position = base + offset
        return self._position

    def _block(self, index: int) -> bytes:
        if index in self._blocks:
            self._blocks.move_to_end(index)
            return self._blocks[index]
        start = index * self.BLOCK
        data = self._storage.read_range(self._ref, start, min(start + self.BLOCK, self._size) - 1)
        self.fetched += len(data)
        self._blocks[index] = data
        if len(self._blocks) > self.KEPT:
            self._blocks.popitem(last=False)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        written = 0
        while written < len(view) and self._position < self._size:
            index, offset = divmod(self._position, self.BLOCK)
            block = self._block(index)
            piece = block[offset : offset + len(view) - written]
            if not piece:
                break
            view[written : written + len(piece)] = piece
            written += len(piece)
            self._position += len(piece)
        return written
