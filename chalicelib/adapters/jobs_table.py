"""DynamoDB: the job records.

One item per job, keyed by ``job_id``. A global secondary index (``by_created``) with a
constant partition lists jobs newest first; another (``by_file_name``) finds the jobs of a
file name, newest first. Records expire ``job_retention_days`` after
they are created (the table's TTL attribute is ``expires_at``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from chalicelib import strict_json
from chalicelib.errors import InvalidRequest, NotFound, aws_error_code, service_call
from chalicelib.models import CallbackAttempt, CallbackState, Job, JobError, JobPage, JobStatus, JobStep

LIST_PARTITION = "JOB"
LIST_INDEX = "by_created"
FILE_NAME_INDEX = "by_file_name"
#: What a landed upload moves to RECEIVED: the form's record, or one the sweep expired early.
AWAITING = (JobStatus.AWAITING_UPLOAD, JobStatus.EXPIRED)


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


class _NotInStatus(Exception):
    """The record is missing or not in the status an update expects."""


class JobExists(Exception):
    """A job with this id was already recorded (a repeated S3 event)."""


class JobsTable:
    """``on_change`` is called with the record after every write that changed a job's status
    or step (and after a job is created): the one place job state changes are seen."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        retention: timedelta,
        on_change: Callable[[Job], None] | None = None,
    ) -> None:
        self._db = client
        self._table = table_name
        self._retention = retention
        self._on_change = on_change

    def _changed(self, job: Job) -> Job:
        if self._on_change is not None:
            self._on_change(job)
        return job

    # --- writing ------------------------------------------------------------------

    def create(self, job: Job) -> None:
        """Record a new job, once: raises ``JobExists`` if the id is already taken."""
        item = self._to_item(job.model_dump(mode="json", exclude_none=True))
        item["list_pk"] = {"S": LIST_PARTITION}
        item["expires_at"] = {"N": str(int((job.created_at + self._retention).timestamp()))}
        with service_call("DynamoDB"):
            try:
                self._db.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(job_id)",
                )
            except Exception as error:
                if aws_error_code(error) == "ConditionalCheckFailedException":
                    raise JobExists(job.job_id) from error
                raise
        self._changed(job)

    def receive(self, job: Job) -> tuple[Job, bool]:
        """The upload of ``job`` (RECEIVED, with the object's real type and size) has landed.

        The record the upload form created moves to RECEIVED; without one (a form issued
        before records were kept) the job is created. Returns the record and whether this
        call received it (False: an earlier delivery of the same event did).
        """
        values = {
            "status": job.status.value,
            "step": job.step.value,
            "content_type": job.content_type,
            "size": job.size,
            "source": job.source.model_dump(mode="json", exclude_none=True),
            "updated_at": job.updated_at.isoformat(),
        }
        try:
            return self._update(job.job_id, values, statuses=AWAITING, quiet=False), True
        except _NotInStatus:
            pass
        try:
            self.create(job)
            return job, True
        except JobExists:
            return self.get(job.job_id), False

    def expire(self, job_id: str, now: datetime) -> Job:
        """The form of a job expired with nothing uploaded."""
        values = {"status": JobStatus.EXPIRED.value, "updated_at": now.isoformat(), "finished_at": now.isoformat()}
        return self._update(job_id, values, statuses=(JobStatus.AWAITING_UPLOAD,))

    def advance(self, job_id: str, step: JobStep, now: datetime) -> Job:
        """Mark the job RUNNING at ``step``, unless it already finished or is there already
        (a retried step changes nothing)."""
        return self._update(
            job_id,
            {"status": JobStatus.RUNNING.value, "step": step.value, "updated_at": now.isoformat()},
            condition_unfinished=True,
            unless_same=("status", "step"),
        )

    def succeed(self, job_id: str, now: datetime, **fields: Any) -> Job:
        values = {
            "status": JobStatus.SUCCEEDED.value,
            "step": JobStep.DONE.value,
            "updated_at": now.isoformat(),
            "finished_at": now.isoformat(),
        }
        values.update({name: _jsonable(value) for name, value in fields.items()})
        return self._update(job_id, values, condition_unfinished=True)

    def fail(self, job_id: str, error: JobError, now: datetime) -> Job:
        """Mark the job FAILED with why. A job that already finished keeps its outcome."""
        return self._update(
            job_id,
            {
                "status": JobStatus.FAILED.value,
                "updated_at": now.isoformat(),
                "finished_at": now.isoformat(),
                "error": error.model_dump(mode="json"),
            },
            condition_unfinished=True,
        )

    def record_callback_attempt(self, job_id: str, attempt: CallbackAttempt, state: CallbackState) -> Job:
        """Add a delivery attempt to the job's callback and set its state."""
        with service_call("DynamoDB"):
            response = self._db.update_item(
                TableName=self._table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="SET #callback.#attempts = list_append(#callback.#attempts, :attempt), "
                "#callback.#state = :state",
                ConditionExpression="attribute_exists(#callback.#url)",
                ExpressionAttributeNames={
                    "#callback": "callback",
                    "#attempts": "attempts",
                    "#state": "state",
                    "#url": "url",
                },
                ExpressionAttributeValues={
                    ":attempt": {"L": [_serializer().serialize(attempt.model_dump(mode="json", exclude_none=True))]},
                    ":state": {"S": state.value},
                },
                ReturnValues="ALL_NEW",
            )
        return self._to_job(response["Attributes"])

    def hold_task_token(self, job_id: str, token: str) -> None:
        """Keep the token of the workflow step that waits on an asynchronous service job."""
        with service_call("DynamoDB"):
            self._db.update_item(
                TableName=self._table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="SET task_token = :token",
                ConditionExpression="attribute_exists(job_id)",
                ExpressionAttributeValues={":token": {"S": token}},
            )

    def task_token(self, job_id: str, step: JobStep | None = None) -> str | None:
        """The waiting step's token; None once the step was resumed (or for an unknown job), and
        None when ``step`` is given and the job is at another step (a late, repeated event of an
        earlier wait must not resume a later one)."""
        with service_call("DynamoDB"):
            response = self._db.get_item(
                TableName=self._table,
                Key={"job_id": {"S": job_id}},
                ProjectionExpression="task_token, #step",
                ExpressionAttributeNames={"#step": "step"},
                ConsistentRead=True,
            )
        item = response.get("Item", {})
        token = item.get("task_token")
        if not token or (step is not None and item.get("step", {}).get("S") != step.value):
            return None
        return str(token["S"])

    def release_task_token(self, job_id: str, token: str) -> None:
        """Forget the token once the workflow has been resumed with it (only that token)."""
        with service_call("DynamoDB"):
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key={"job_id": {"S": job_id}},
                    UpdateExpression="REMOVE task_token",
                    ConditionExpression="task_token = :token",
                    ExpressionAttributeValues={":token": {"S": token}},
                )
            except Exception as error:
                if aws_error_code(error) != "ConditionalCheckFailedException":
                    raise

    # --- reading ------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        with service_call("DynamoDB"):
            response = self._db.get_item(TableName=self._table, Key={"job_id": {"S": job_id}}, ConsistentRead=True)
        if "Item" not in response:
            raise NotFound(f"no job with id {job_id!r}")
        return self._to_job(response["Item"])

    def list(self, limit: int, next_token: str | None) -> JobPage:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": "list_pk = :jobs",
            "ExpressionAttributeValues": {":jobs": {"S": LIST_PARTITION}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if next_token:
            request["ExclusiveStartKey"] = _decode_token(next_token)
        with service_call("DynamoDB"):
            response = self._db.query(**request)
        last = response.get("LastEvaluatedKey")
        return JobPage(
            jobs=[self._to_job(item) for item in response.get("Items", [])],
            next_token=_encode_token(last) if last else None,
        )

    def latest_by_file_name(self, file_name: str) -> Job | None:
        """The newest job of an upload named ``file_name``, or None."""
        with service_call("DynamoDB"):
            response = self._db.query(
                TableName=self._table,
                IndexName=FILE_NAME_INDEX,
                KeyConditionExpression="file_name = :name",
                ExpressionAttributeValues={":name": {"S": file_name}},
                ScanIndexForward=False,
                Limit=1,
            )
        items = response.get("Items", [])
        return self._to_job(items[0]) if items else None

    def waiting_since(self, cutoff: datetime) -> Iterator[Job]:
        """Jobs created since ``cutoff`` that wait for their upload or for their workflow
        to start (AWAITING_UPLOAD, RECEIVED), oldest first."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": "list_pk = :jobs AND created_at >= :cutoff",
            "FilterExpression": "#status IN (:awaiting, :received)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":jobs": {"S": LIST_PARTITION},
                ":cutoff": {"S": cutoff.isoformat()},
                ":awaiting": {"S": JobStatus.AWAITING_UPLOAD.value},
                ":received": {"S": JobStatus.RECEIVED.value},
            },
        }
        yield from self._query(request)

    def callbacks_not_attempted(self, cutoff: datetime, finished_before: datetime) -> Iterator[Job]:
        """Jobs created since ``cutoff``, finished before ``finished_before``, whose callback
        is PENDING with no attempt made: its delivery was never queued."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": "list_pk = :jobs AND created_at >= :cutoff",
            "FilterExpression": "#callback.#state = :pending AND size(#callback.#attempts) = :none "
            "AND #finished_at < :finished_before",
            "ExpressionAttributeNames": {
                "#callback": "callback",
                "#state": "state",
                "#attempts": "attempts",
                "#finished_at": "finished_at",
            },
            "ExpressionAttributeValues": {
                ":jobs": {"S": LIST_PARTITION},
                ":cutoff": {"S": cutoff.isoformat()},
                ":pending": {"S": "PENDING"},
                ":none": {"N": "0"},
                ":finished_before": {"S": finished_before.isoformat()},
            },
        }
        yield from self._query(request)

    def _query(self, request: dict[str, Any]) -> Iterator[Job]:
        while True:
            with service_call("DynamoDB"):
                response = self._db.query(**request)
            yield from (self._to_job(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def running_at(self, step: JobStep, cutoff: datetime) -> Iterator[Job]:
        """Jobs created since ``cutoff`` that are RUNNING at ``step`` with a step waiting on a
        task token, oldest first."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": "list_pk = :jobs AND created_at >= :cutoff",
            "FilterExpression": "#status = :running AND #step = :step AND attribute_exists(task_token)",
            "ExpressionAttributeNames": {"#status": "status", "#step": "step"},
            "ExpressionAttributeValues": {
                ":jobs": {"S": LIST_PARTITION},
                ":cutoff": {"S": cutoff.isoformat()},
                ":running": {"S": JobStatus.RUNNING.value},
                ":step": {"S": step.value},
            },
        }
        yield from self._query(request)

    # --- mapping ------------------------------------------------------------------

    def _update(
        self,
        job_id: str,
        values: dict[str, Any],
        condition_unfinished: bool = False,
        statuses: tuple[JobStatus, ...] = (),
        quiet: bool = True,
        unless_same: tuple[str, ...] = (),
    ) -> Job:
        """Set ``values`` on the record if it is in one of ``statuses`` (RECEIVED or RUNNING
        with ``condition_unfinished``) and, with ``unless_same``, one of those values differs.
        Otherwise the record as it is (``quiet``), or ``_NotInStatus``; ``NotFound`` for no
        record. A write that happened is a state change (``on_change``)."""
        names = {f"#{name}": name for name in values}
        serializer = _serializer()
        attribute_values = {f":{name}": serializer.serialize(_storable(value)) for name, value in values.items()}
        condition = "attribute_exists(job_id)"
        if condition_unfinished:
            statuses = (JobStatus.RECEIVED, JobStatus.RUNNING)
        if statuses:
            names["#status"] = "status"
            placeholders = [f":is_{status.value.lower()}" for status in statuses]
            condition += f" AND #status IN ({', '.join(placeholders)})"
            attribute_values.update(
                {placeholder: {"S": status.value} for placeholder, status in zip(placeholders, statuses, strict=True)}
            )
        if unless_same:
            condition += " AND (" + " OR ".join(f"#{name} <> :{name}" for name in unless_same) + ")"
        with service_call("DynamoDB"):
            try:
                response = self._db.update_item(
                    TableName=self._table,
                    Key={"job_id": {"S": job_id}},
                    UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in values),
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=attribute_values,
                    ReturnValues="ALL_NEW",
                )
            except Exception as error:
                if aws_error_code(error) != "ConditionalCheckFailedException":
                    raise
                if quiet:
                    return self.get(job_id)  # missing (raises NotFound) or already finished
                raise _NotInStatus(job_id) from error
        return self._changed(self._to_job(response["Attributes"]))

    @staticmethod
    def _to_item(document: dict[str, Any]) -> dict[str, Any]:
        serializer = _serializer()
        return {name: serializer.serialize(_storable(value)) for name, value in document.items()}

    @staticmethod
    def _to_job(item: dict[str, Any]) -> Job:
        deserializer = _deserializer()
        document = {name: deserializer.deserialize(value) for name, value in item.items()}
        return Job.model_validate(
            {name: _from_dynamodb(document[name]) for name in Job.model_fields if name in document}
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def _storable(value: Any) -> Any:
    """DynamoDB takes no floats: numbers with a fraction (a media's duration) go as Decimal."""
    from decimal import Decimal

    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {name: _storable(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_storable(inner) for inner in value]
    return value


def _from_dynamodb(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: whole numbers as int, the others as float."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {name: _from_dynamodb(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_from_dynamodb(inner) for inner in value]
    return value


def _encode_token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        key = strict_json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidRequest("next_token is not a token this API returned") from error
    expected = {"job_id", "list_pk", "created_at"}
    if (
        not isinstance(key, dict)
        or set(key) != expected
        or not all(isinstance(value, dict) and set(value) == {"S"} for value in key.values())
        or key["list_pk"]["S"] != LIST_PARTITION
        or not all(isinstance(value["S"], str) and 0 < len(value["S"]) <= 64 for value in key.values())
    ):
        raise InvalidRequest("next_token is not a token this API returned")
    return key
