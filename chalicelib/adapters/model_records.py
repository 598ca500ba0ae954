"""DynamoDB: the records of the SageMaker lifecycle, one item per thing, keyed by ``id``:
``run#<id>`` (training runs), ``transform#<id>``, ``deployment#<id>`` (one per model package),
``lock#<endpoint>`` (the deployment that holds the endpoint), ``live#<endpoint>`` (what it
serves). The ``by_model`` index lists a model's records newest first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.errors import NotFound, aws_error_code, service_call

MODEL_INDEX = "by_model"


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _python(value: Any) -> Any:
    """DynamoDB's numbers come back as Decimal: integers as int, the rest as float."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _python(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_python(item) for item in value]
    return value


def _dynamo(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _dynamo(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_dynamo(item) for item in value]
    return value


class ConditionFailed(Exception):
    """The item is not as the write expected (exists already, is held by another, moved on)."""


class ModelRecords:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def _item(self, record_id: str, document: dict[str, Any]) -> dict[str, Any]:
        serializer = _serializer()
        return {"id": {"S": record_id}, **{k: serializer.serialize(v) for k, v in _dynamo(document).items()}}

    def _conditional(self, operation: str, **request: Any) -> dict[str, Any] | None:
        """A write under a condition: DynamoDB's answer, or None when the condition did not hold."""
        with service_call("DynamoDB"):
            try:
                return dict(getattr(self._db, operation)(TableName=self._table, **request))
            except Exception as error:
                if aws_error_code(error) == "ConditionalCheckFailedException":
                    return None
                raise

    def create(self, record_id: str, document: dict[str, Any]) -> None:
        """Write a new record; ``ConditionFailed`` if the id is taken."""
        item = self._item(record_id, document)
        if self._conditional("put_item", Item=item, ConditionExpression="attribute_not_exists(id)") is None:
            raise ConditionFailed(record_id)

    def put(self, record_id: str, document: dict[str, Any]) -> None:
        with service_call("DynamoDB"):
            self._db.put_item(TableName=self._table, Item=self._item(record_id, document))

    def find(self, record_id: str) -> dict[str, Any] | None:
        with service_call("DynamoDB"):
            response = self._db.get_item(TableName=self._table, Key={"id": {"S": record_id}}, ConsistentRead=True)
        if "Item" not in response:
            return None
        deserializer = _deserializer()
        item = {k: _python(deserializer.deserialize(v)) for k, v in response["Item"].items()}
        item.pop("id")
        return item

    def get(self, record_id: str) -> dict[str, Any]:
        found = self.find(record_id)
        if found is None:
            raise NotFound(f"no record {record_id!r}")
        return found

    def update(
        self,
        record_id: str,
        values: dict[str, Any],
        remove: tuple[str, ...] = (),
        only_if: dict[str, Any] | None = None,
        only_if_in: tuple[str, tuple[str, ...]] | None = None,
    ) -> dict[str, Any]:
        """Set ``values`` (and remove ``remove``) on an existing record if each ``only_if``
        field has its value and ``only_if_in``'s field one of its values; the record after."""
        serializer = _serializer()
        names = {f"#{name}": name for name in (*values, *remove)}
        attribute_values = {f":{name}": serializer.serialize(_dynamo(value)) for name, value in values.items()}
        condition = "attribute_exists(id)"
        for name, value in (only_if or {}).items():
            names[f"#{name}"] = name
            attribute_values[f":if_{name}"] = serializer.serialize(_dynamo(value))
            condition += f" AND #{name} = :if_{name}"
        if only_if_in:
            name, allowed = only_if_in
            names[f"#{name}"] = name
            placeholders = []
            for index, value in enumerate(allowed):
                attribute_values[f":in_{index}"] = serializer.serialize(value)
                placeholders.append(f":in_{index}")
            condition += f" AND #{name} IN ({', '.join(placeholders)})"
        expression = []
        if values:
            expression.append("SET " + ", ".join(f"#{name} = :{name}" for name in values))
        if remove:
            expression.append("REMOVE " + ", ".join(f"#{name}" for name in remove))
        request: dict[str, Any] = {
            "Key": {"id": {"S": record_id}},
            "UpdateExpression": " ".join(expression),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ReturnValues": "ALL_NEW",
        }
        if attribute_values:
            request["ExpressionAttributeValues"] = attribute_values
        response = self._conditional("update_item", **request)
        if response is None:
            raise ConditionFailed(record_id)
        deserializer = _deserializer()
        item = {k: _python(deserializer.deserialize(v)) for k, v in response["Attributes"].items()}
        item.pop("id")
        return item

    def hold(self, record_id: str, holder: str, document: dict[str, Any]) -> None:
        """Take a lock item for ``holder`` (again, if it holds it); ``ConditionFailed`` if another holds it."""
        held = self._conditional(
            "put_item",
            Item=self._item(record_id, {**document, "holder": holder}),
            ConditionExpression="attribute_not_exists(id) OR holder = :holder",
            ExpressionAttributeValues={":holder": {"S": holder}},
        )
        if held is None:
            raise ConditionFailed(record_id)

    def claim_window(self, record_id: str, document: dict[str, Any], now_iso: str) -> dict[str, Any]:
        """The open settle window at ``record_id``: this new one if there is none or the last
        one has ended (its ``starts_at`` is past), else the open one (which the caller joins)."""
        claimed = self._conditional(
            "put_item",
            Item=self._item(record_id, document),
            ConditionExpression="attribute_not_exists(id) OR starts_at <= :now",
            ExpressionAttributeValues={":now": {"S": now_iso}},
        )
        return document if claimed is not None else self.get(record_id)

    def end_window(self, record_id: str, run_id: str, end_iso: str) -> bool:
        """End ``run_id``'s settle window at ``end_iso`` if it is still open then (a window
        that has ended, or is another run's, is left as it is). True if it was ended."""
        ended = self._conditional(
            "update_item",
            Key={"id": {"S": record_id}},
            UpdateExpression="SET starts_at = :end",
            ConditionExpression="run_id = :run AND starts_at > :end",
            ExpressionAttributeValues={":run": {"S": run_id}, ":end": {"S": end_iso}},
        )
        return ended is not None

    def release(self, record_id: str, holder: str) -> None:
        """Free a lock item if ``holder`` holds it (a repeated release changes nothing)."""
        self._conditional(
            "delete_item",
            Key={"id": {"S": record_id}},
            ConditionExpression="holder = :holder",
            ExpressionAttributeValues={":holder": {"S": holder}},
        )

    def of_model(self, model: str, prefix: str, limit: int = 10) -> Iterator[dict[str, Any]]:
        """A model's records whose id starts with ``prefix``, newest first."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": MODEL_INDEX,
            "KeyConditionExpression": "model = :model",
            "FilterExpression": "begins_with(id, :prefix)",
            "ExpressionAttributeValues": {":model": {"S": model}, ":prefix": {"S": prefix}},
            "ScanIndexForward": False,
        }
        deserializer = _deserializer()
        found = 0
        while found < limit:
            with service_call("DynamoDB"):
                response = self._db.query(**request)
            for raw in response.get("Items", []):
                item = {k: _python(deserializer.deserialize(v)) for k, v in raw.items()}
                item.pop("id")
                yield item
                found += 1
                if found >= limit:
                    return
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
