"""Where moto (pinned: see requirements-dev.txt) falls short of AWS for Insight's workflows,
and the extension that closes each gap.

Every extension is a function named for the gap; ``install()`` applies them all, once,
before the server starts. Each has a test in ``tests/integration/test_moto_gaps.py``
that fails without it. They reach into moto's internals, which is why moto is pinned
exactly: re-run those tests before moving the pin.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import moto

from insight_local import lambdas

MOTO_VERSION = "5.2.5"

_installed = False
_lock = threading.Lock()


def install(without: frozenset[str] = frozenset()) -> None:
    """Apply every extension, once, but those named in ``without`` (tests prove with it
    that each extension's test fails when the extension is missing)."""
    global _installed
    with _lock:
        if _installed:
            return
        if moto.__version__ != MOTO_VERSION:
            raise RuntimeError(
                f"the local runtime extends moto {MOTO_VERSION}'s internals but moto {moto.__version__} is "
                "installed: run `make test` to reinstall the pinned version"
            )
        for extension in EXTENSIONS:
            if extension.__name__ not in without:
                extension()
        _installed = True


def in_process_lambdas() -> None:
    """moto runs Lambda code only in Docker (absent here) or not at all.

    Every path that runs a function (Invoke, Step Functions tasks, S3, SNS and SQS
    subscriptions) ends in ``LambdaFunction._invoke_lambda``: run the real handler
    string in this process instead, with the function's environment and a Lambda
    context, answering in Lambda's error shape so that Retry and Catch match.
    """
    from moto.awslambda.models import LambdaFunction

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return lambdas.invoke(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda


def logger_state_per_invocation() -> None:
    """In process, every function (and the API) shares one Powertools Logger, whose keys
    (correlation id, function name, appended keys) are one per process: concurrent
    invocations logged under each other's job and name. Keep them per invocation."""
    lambdas.logger_state_per_thread()


def asynchronous_s3_notifications() -> None:
    """moto invokes a bucket's Lambda notification inside the upload's request; S3 invokes
    it asynchronously (the uploader never waits for the handler). Deliver it on a thread."""
    from moto.s3 import notifications

    deliver = notifications._invoke_awslambda

    def _invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        threading.Thread(
            target=deliver, args=(account_id, event_body, fn_arn, region_name), name="s3-notification", daemon=True
        ).start()

    notifications._invoke_awslambda = _invoke_awslambda


def complete_s3_events() -> None:
    """moto's S3 event records lack fields that S3 always sends (``userIdentity``,
    ``requestParameters``, ``responseElements``, the bucket's ``ownerIdentity``, the
    object's ``sequencer``), so strict parsers of the real shape (Powertools' S3Model)
    reject them. Add them, shaped as S3 sends them. And the key: moto encodes its "/"
    as %2F; S3 keeps the slashes (spaces become "+")."""
    from urllib.parse import quote_plus

    from moto.s3 import notifications

    original = notifications._get_s3_event

    def _get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        for record in event["Records"]:
            record.setdefault("userIdentity", {"principalId": "AWS:AIDAINSIGHTLOCAL"})
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault(
                "responseElements",
                {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": base64.b64encode(uuid.uuid4().bytes).decode(),
                },
            )
            record["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "AINSIGHTLOCAL"})
            record["s3"]["object"]["key"] = quote_plus(key.name, safe="/")
            record["s3"]["object"].setdefault("sequencer", f"{int(datetime.now(UTC).timestamp() * 1e6):016X}")
            if getattr(key, "version_id", None) and key.version_id != "null":
                record["s3"]["object"].setdefault("versionId", key.version_id)
        return event

    notifications._get_s3_event = _get_s3_event


def real_sns_lambda_events() -> None:
    """moto hands a Lambda subscriber a canned SNS event: topic ``arn:aws:sns:EXAMPLE``,
    the same MessageId every time, invented message attributes and "EXAMPLE" where SNS
    puts URLs, which strict parsers of the real shape (Powertools' SnsModel) reject.
    Build the record SNS sends, and deliver it asynchronously as SNS does."""
    from moto.awslambda.utils import get_backend
    from moto.sns.models import Subscription

    original = Subscription.publish

    def publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if self.protocol != "lambda":
            return original(self, message, message_id, subject, message_attributes, *args, **kwargs)
        region = self.endpoint.split(":")[3]
        host = f"https://sns.{region}.amazonaws.com"
        attributes = {
            name: {"Type": value["Type"], "Value": value["Value"]} for name, value in (message_attributes or {}).items()
        }
        record = {
            "EventVersion": "1.0",
            "EventSubscriptionArn": self.arn,
            "EventSource": "aws:sns",
            "Sns": {
                "SignatureVersion": "1",
                "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "Signature": base64.b64encode(uuid.uuid4().bytes * 4).decode(),
                "SigningCertUrl": f"{host}/SimpleNotificationService-{uuid.uuid4().hex}.pem",
                "MessageId": message_id,
                "Message": message,
                "MessageAttributes": attributes,
                "Type": "Notification",
                "UnsubscribeUrl": f"{host}/?Action=Unsubscribe&SubscriptionArn={self.arn}",
                "TopicArn": self.topic.arn,
                "Subject": subject,
            },
        }
        function = get_backend(self.account_id, region).get_function(self.endpoint)
        threading.Thread(
            target=function.invoke, args=(json.dumps({"Records": [record]}), {}, {}), name="sns-delivery", daemon=True
        ).start()

    Subscription.publish = publish


class PostPolicyError(Exception):
    """Why S3 refuses a browser-form POST: its message, HTTP status and error code."""

    def __init__(self, message: str, status: int = 403, code: str = "AccessDenied") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def presigned_post_policy() -> None:
    """moto stores any browser-form POST: it checks neither the policy's signature, expiry
    or conditions (``content-length-range``, the key, the ``Content-Type``), nor that the
    form has a policy or exactly one file (one in another field than ``file`` is a 500), and
    it fires the object-created notification before the form's Content-Type is set on the object.

    Check the form and its signed policy as S3 does and notify once the object is complete.
    """
    from moto.s3 import notifications
    from moto.s3.responses import S3Response
    from moto.s3.utils import metadata_from_headers

    original_bucket_response = S3Response.bucket_response
    original = S3Response._bucket_response_post

    def bucket_response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        # Before moto reads the form, which fails on a file outside the "file" field.
        if request.method == "POST" and "key" in request.form:
            files = len(request.files.getlist("file")) + ("file" in request.form)
            if files != 1 or len(request.files) != len(request.files.getlist("file")):
                refusal = PostPolicyError(
                    'POST requires exactly one file upload per request, in the form\'s field named "file"',
                    400,
                    "InvalidArgument",
                )
                return refusal.status, {"Content-Type": "application/xml"}, _s3_error(refusal.code, str(refusal))
        return original_bucket_response(self, request, full_url, headers)

    def _bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        self.path = self._get_path(request)  # is_delete_keys reads it: not the previous request's
        if not request.headers.get("Content-Length") or self.is_delete_keys():
            return original(self, request, bucket_name)
        form = {name: values[0] for name, values in self.querystring.items()}
        try:
            check_post_policy(form, bucket_name, len(self.body))
        except PostPolicyError as refusal:
            return refusal.status, {"Content-Type": "application/xml"}, _s3_error(refusal.code, str(refusal))
        key = self.backend.put_object(bucket_name, form["key"], self.body, disable_notification=True)
        key.set_metadata(metadata_from_headers(self.form_data))
        bucket = self.backend.get_bucket(bucket_name)
        notifications.send_event(
            self.current_account, notifications.S3NotificationEvent.OBJECT_CREATED_POST_EVENT, bucket, key
        )
        status = int(form.get("success_action_status", 204))
        return status, {"ETag": key.etag}, ""

    S3Response.bucket_response = bucket_response
    S3Response._bucket_response_post = _bucket_response_post


def check_post_policy(form: dict[str, str], bucket: str, size: int) -> None:
    """S3's checks of a POST form: a policy that is well formed, signed with the local
    credentials, not expired, and every condition of it met by the form."""
    if "policy" not in form:
        raise PostPolicyError("Access Denied: the form has no signed policy, and the bucket takes no anonymous uploads")
    expiration, conditions = _post_policy(form["policy"])
    _check_post_signature(form)
    if expiration < datetime.now(UTC):
        raise PostPolicyError("Invalid according to Policy: Policy expired.")
    fields = {name.lower(): value for name, value in form.items()}
    fields["bucket"] = bucket
    for condition in conditions:
        if isinstance(condition, dict):
            ((name, expected),) = condition.items()
            operator = "eq"
        elif condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if not low <= size <= high:
                raise PostPolicyError(
                    f"Invalid according to Policy: Policy Condition failed: content-length-range {low}..{high}, "
                    f"the file is {size} bytes"
                )
            continue
        else:
            operator, name, expected = condition[0], condition[1].lstrip("$"), condition[2]
        actual = fields.get(name.lower())
        ok = actual == expected if operator == "eq" else actual is not None and actual.startswith(expected)
        if not ok:
            raise PostPolicyError(
                f'Invalid according to Policy: Policy Condition failed: ["{operator}", "${name}", "{expected}"]'
            )


def _post_policy(encoded: str) -> tuple[datetime, list[Any]]:
    """The policy's expiration and conditions, or S3's 400 for a policy it could not have signed."""

    def invalid(why: str) -> PostPolicyError:
        return PostPolicyError(f"Invalid Policy: {why}", 400, "InvalidPolicyDocument")

    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as error:
        raise invalid("the policy is not base64-encoded JSON") from error
    if not isinstance(policy, dict):
        raise invalid("the policy is not a JSON object")
    if "expiration" not in policy:
        raise invalid("Policy missing expiration.")
    try:
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
    except ValueError as error:
        raise invalid(f"Invalid 'expiration' value: '{policy['expiration']}'") from error
    if expiration.tzinfo is None:
        raise invalid(f"Invalid 'expiration' value: '{policy['expiration']}' (no time zone)")
    conditions = policy.get("conditions", [])
    if not isinstance(conditions, list):
        raise invalid("'conditions' is not a list")
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1 and all(isinstance(v, str) for v in condition.values()):
            continue
        if isinstance(condition, list) and len(condition) == 3:
            if condition[0] == "content-length-range" and all(
                isinstance(bound, int) or (isinstance(bound, str) and bound.isdigit()) for bound in condition[1:]
            ):
                continue
            if condition[0] in ("eq", "starts-with") and all(isinstance(part, str) for part in condition[1:]):
                continue
        raise invalid(f"Invalid Condition: {json.dumps(condition)}")
    return expiration, conditions


def _check_post_signature(form: dict[str, str]) -> None:
    """The form's signature over its policy (SigV4, or SigV2 as boto3 signs a form for
    us-east-1 by default), with the secret of its access key: the local runtime's, for
    nothing else can sign a form for it."""
    from botocore.auth import HmacV1Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from insight_local.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY

    fields = {name.lower(): value for name, value in form.items()}
    if "x-amz-algorithm" in fields:
        scope = fields.get("x-amz-credential", "").split("/")
        if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256" or len(scope) != 5 or scope[4] != "aws4_request":
            raise PostPolicyError(
                "a SigV4 form needs x-amz-algorithm AWS4-HMAC-SHA256 and an x-amz-credential "
                "<access key>/<date>/<region>/s3/aws4_request",
                400,
                "InvalidArgument",
            )
        access_key, date, region, service, _ = scope
        request = AWSRequest()
        request.context["timestamp"] = date
        credentials = Credentials(access_key, SECRET_ACCESS_KEY)
        expected = SigV4Auth(credentials, service, region).signature(form["policy"], request)
        given = fields.get("x-amz-signature", "")
    elif "awsaccesskeyid" in fields:
        access_key = fields["awsaccesskeyid"]
        expected = HmacV1Auth(Credentials(access_key, SECRET_ACCESS_KEY)).sign_string(form["policy"])
        given = fields.get("signature", "")
    else:
        raise PostPolicyError(
            "Bucket POST must contain a field named 'AWSAccessKeyId' (SigV2) or 'x-amz-credential' (SigV4)",
            400,
            "InvalidArgument",
        )
    if access_key != ACCESS_KEY_ID:
        raise PostPolicyError(
            f"The AWS Access Key Id you provided does not exist in our records ({access_key})",
            code="InvalidAccessKeyId",
        )
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise PostPolicyError(
            "The request signature we calculated does not match the signature you provided: "
            "the policy or its signature was changed after signing",
            code="SignatureDoesNotMatch",
        )


def _s3_error(code: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{uuid.uuid4()}</RequestId></Error>"
    )


def named_executions() -> None:
    """``StartExecution`` without a name gives every execution the ARN ``...:None``, so the
    second one collides. AWS names it with a UUID."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution


def task_failure_cause() -> None:
    """moto's ``SendTaskFailure`` drops the ``cause``: a step that waits on a task token
    fails with the error's name only, and the reason never reaches Catch or the job."""
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:
        from moto.core.responses import EmptyResult

        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure


def eventbridge_lambda_targets() -> None:
    """moto's EventBridge delivers to logs, archives, queues and buses, never to a Lambda
    target. Invoke it, asynchronously as EventBridge does, with the (transformed) event.
    And a scheduled rule, which has no pattern, is matched by every event in moto: it
    must not be (its schedule alone fires it)."""
    from moto.awslambda.utils import get_backend
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.scheduled_expression:  # a schedule fires on its rate, never on events (moto matches any)
            return
        functions = [target for target in self.targets if parse_arn(target["Arn"]).service == "lambda"]
        others = [target for target in self.targets if target not in functions]
        if others:  # moto raises NotImplementedError on a target kind it does not know
            rule = copy.copy(self)
            rule.targets = others
            original(rule, original_event, transform_input)
        if not functions or not self.event_pattern.matches_event(original_event):
            return
        for target in functions:
            arn = parse_arn(target["Arn"])
            event = original_event
            if target.get("Input"):
                event = json.loads(target["Input"])
            function = get_backend(arn.account, arn.region).get_function(target["Arn"])
            threading.Thread(
                target=function.invoke, args=(json.dumps(event, default=str), {}, {}), daemon=True, name="events"
            ).start()

    Rule.send_to_targets = send_to_targets


def disabled_rules_deliver_nothing() -> None:
    """moto's EventBridge sends events to the targets of a DISABLED rule as to an enabled one.
    AWS delivers nothing through a disabled rule (the tests switch a rule off to lose an event
    on purpose, as an outage would)."""
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.state != "ENABLED":
            return
        original(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


def execution_status_events() -> None:
    """moto's Step Functions publishes no "Step Functions Execution Status Change" event when
    an execution ends, so rules on it (Insight's safety net for executions that fail,
    time out or are stopped outside any Catch) never fire. Publish it as AWS does."""
    from moto.events.models import events_backends
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def millis(moment: Any) -> int | None:
        return int(moment.timestamp() * 1000) if moment else None

    def terminated(self: Any) -> None:
        original(self)
        execution = self.execution
        detail = {
            "executionArn": execution.exec_arn,
            "stateMachineArn": execution.state_machine_arn,
            "name": execution.name,
            "status": str(getattr(execution.exec_status, "value", execution.exec_status)),
            "startDate": millis(execution.start_date),
            "stopDate": millis(execution.stop_date),
            "input": execution.input_data
            if isinstance(execution.input_data, str)
            else json.dumps(execution.input_data),
            "output": json.dumps(execution.output) if execution.output is not None else None,
            "error": execution.error,
            "cause": execution.cause,
        }
        events_backends[execution.account_id][execution.region_name].put_events(
            [
                {
                    "Source": "aws.states",
                    "DetailType": "Step Functions Execution Status Change",
                    "Detail": json.dumps(detail),
                    "Resources": [execution.exec_arn],
                }
            ]
        )

    BaseExecutionWorkerCommunication.terminated = terminated


def complete_eventbridge_events() -> None:
    """moto's EventBridge delivers events to queues without their ``account`` (its default
    input template leaves it out), so strict parsers of the real shape (Powertools'
    EventBridgeModel) reject them. AWS delivers the whole event: add it."""
    from moto.events.utils import EventTemplateParser

    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = (
        '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", '
        '"account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>, '
        '"detail": <detail>}'
    )


class _PolledMappings(dict):  # type: ignore[type-arg]
    """A queue's event source mappings, hidden from moto's own synchronous delivery
    (``Queue.add_message`` iterates ``items()``) and read by the poller (``values()``)."""

    def items(self) -> Any:
        return iter(())


def sqs_event_source_polling() -> None:
    """moto delivers an SQS queue's messages to its Lambda inside ``SendMessage`` (the sender
    waits for the consumer), one message per invocation, with canned record attributes; it
    ignores ``ReportBatchItemFailures`` and never delivers a message again, so nothing ever
    reaches the dead-letter queue.

    Poll each mapped queue on a thread as Lambda does: batches of up to ``BatchSize`` records
    shaped as Lambda sends them (real receive counts, timestamps, FIFO group and
    deduplication ids), delete the records that succeeded, leave the failed ones (the whole
    batch if the function raised) to come back after their visibility timeout, and let the
    queue's redrive policy move them to its dead-letter queue."""
    from moto.sqs.models import Queue

    original_init = Queue.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.lambda_event_source_mappings = _PolledMappings()

    Queue.__init__ = __init__
    original_add = Queue.add_message

    def add_message(self: Any, message: Any) -> None:
        original_add(self, message)
        if dict.__len__(self.lambda_event_source_mappings):
            _queue_poller.wake.set()

    Queue.add_message = add_message
    _queue_poller.start()


class _QueuePoller:
    def __init__(self) -> None:
        self.wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqs-event-sources", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self.wake.wait(0.2)
            self.wake.clear()
            try:
                self._poll()
            except Exception as error:  # a bad tick must not stop the poller
                print(f"sqs event source poller: {type(error).__name__}: {error}")

    def _poll(self) -> None:
        from moto.sqs.models import sqs_backends

        for account_id, regions in list(sqs_backends.items()):
            for region, backend in list(regions.items()):
                for queue in list(backend.queues.values()):
                    for mapping in list(dict.values(queue.lambda_event_source_mappings)):
                        if mapping.enabled:
                            self._deliver(backend, queue, mapping, account_id, region)

    def _deliver(self, backend: Any, queue: Any, mapping: Any, account_id: str, region: str) -> None:
        key = (queue.queue_arn, mapping.uuid)
        with self._lock:
            if key in self._busy:  # one batch in flight per mapping keeps FIFO order simple
                return
        messages = backend.receive_message(queue.name, mapping.batch_size or 10, 0, queue.visibility_timeout)
        if not messages:
            return
        with self._lock:
            self._busy.add(key)
        threading.Thread(
            target=self._invoke,
            args=(backend, queue, mapping, messages, account_id, region, key),
            name="sqs-event-source",
            daemon=True,
        ).start()

    def _invoke(
        self, backend: Any, queue: Any, mapping: Any, messages: list[Any], account_id: str, region: str, key: Any
    ) -> None:
        from moto.awslambda.utils import get_backend

        try:
            records = [_sqs_record(message, queue, region) for message in messages]
            function = get_backend(account_id, region).get_function(mapping.function_arn)
            response_headers: dict[str, Any] = {}
            payload = function.invoke(json.dumps({"Records": records}), {}, response_headers)
            if "x-amz-function-error" in response_headers:
                return  # the whole batch comes back after its visibility timeout
            failed: set[str] = set()
            if "ReportBatchItemFailures" in (mapping.function_response_types or []):
                try:
                    answer = json.loads(payload or "null")
                except (TypeError, ValueError):
                    answer = None
                if isinstance(answer, dict):
                    failed = {str(f.get("itemIdentifier")) for f in answer.get("batchItemFailures") or []}
                if failed - {m.id for m in messages}:  # Lambda fails the batch on an unknown id
                    return
            for message in messages:
                if message.id not in failed:
                    with contextlib.suppress(Exception):  # already gone: the function deleted it
                        backend.delete_message(queue.name, message.receipt_handle)
        finally:
            with self._lock:
                self._busy.discard(key)
            self.wake.set()


_queue_poller = _QueuePoller()


def _sqs_record(message: Any, queue: Any, region: str) -> dict[str, Any]:
    """One record as Lambda's SQS event source sends it."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": message.sender_id,
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if queue.fifo_queue:
        attributes.update(
            {
                "SequenceNumber": str(message.sequence_number),
                "MessageGroupId": message.group_id,
                "MessageDeduplicationId": message.deduplication_id,
            }
        )
    message_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        for name, value in (message.message_attributes or {}).items()
    }
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": region,
    }


def ai_services() -> None:
    """moto's AI services return fixed data whatever the input, or nothing at all. Answer
    with the offline engines of ``insight_local.ai`` instead."""
    from insight_local.ai import services

    for response_class, operations in services.operation_tables():
        for operation, handler in operations.items():
            _answer(response_class, operation, handler)
    services.install_rest_operations()


def _answer(response_class: type, operation: str, handler: Callable[[Any, dict[str, Any]], dict[str, Any]]) -> None:
    """Make moto's ``response_class`` answer ``operation`` (a JSON-protocol API) with ``handler``."""
    from moto.core.utils import camelcase_to_underscores

    def method(self: Any) -> str:
        request = json.loads(self.body or "{}")
        return json.dumps(handler(self, request), default=_json_default)

    method.__name__ = camelcase_to_underscores(operation)
    setattr(response_class, method.__name__, method)


def translate_and_lex_runtime() -> None:
    """moto has no Amazon Translate and no Lex V2 runtime. Its server picks a backend from the
    request's host or SigV4 service: ``translate`` names none (the request falls through to S3),
    and the runtime's ``lex`` is taken by the Lex V2 models backend, which knows no sessions.
    Route both to the offline engines (``insight_local.ai.missing_services``), ahead of moto's
    dispatch; every other request, the models API's included, goes on to moto as before."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from insight_local.ai import missing_services

    original = DomainDispatcherApplication.get_application

    def get_application(self: Any, environ: dict[str, Any]) -> Any:
        service = missing_services.service_of(environ)
        if service is None:
            return original(self, environ)
        return missing_services.application(service)

    DomainDispatcherApplication.get_application = get_application


# --- SageMaker (insight_local/sagemaker) ----------------------------------------------------------


def sagemaker_jobs_run_scripts() -> None:
    """moto marks every processing, training and transform job Completed the moment it is
    created, runs nothing, gives every training job a made-up metric definition and has no
    StopTrainingJob or StopTransformJob. Run each job for real instead (its scripts in a
    subprocess under the container contract: insight_local.sagemaker.jobs), refuse what AWS
    refuses (a reused job name, managed spot training without MaxWaitTimeInSeconds >=
    MaxRuntimeInSeconds, a transform of a model that does not exist) and answer the stops."""
    from moto.core.responses import EmptyResult
    from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    from insight_local.sagemaker import jobs

    def unique(existing: dict[str, Any], name: str) -> None:
        if name in existing:
            raise ResourceInUseException(message="Job name must be unique within an AWS account and region.")

    original_training = SageMakerResponse.create_training_job

    def create_training_job(self: Any) -> Any:
        backend = self.sagemaker_backend
        name = self._get_param("TrainingJobName")
        unique(backend.training_jobs, name)
        definitions = copy.deepcopy((self._get_param("AlgorithmSpecification") or {}).get("MetricDefinitions") or [])
        stopping = self._get_param("StoppingCondition") or {}
        if self._get_param("EnableManagedSpotTraining"):
            wait, runtime = stopping.get("MaxWaitTimeInSeconds"), stopping.get("MaxRuntimeInSeconds", 86400)
            if wait is None or int(wait) < int(runtime):
                raise ValidationError(
                    message="Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to "
                    "MaxRuntimeInSeconds for managed spot training."
                )
        result = original_training(self)
        job = backend.training_jobs[name]
        environment = self._get_param("Environment") or {}
        jobs.start_training(job, definitions, lambda: backend.describe_training_job(name), environment)
        return result

    original_processing = SageMakerResponse.create_processing_job

    def create_processing_job(self: Any) -> Any:
        backend = self.sagemaker_backend
        name = self._get_param("ProcessingJobName")
        unique(backend.processing_jobs, name)
        result = original_processing(self)
        environment = self._get_param("Environment") or {}
        jobs.start_processing(backend.processing_jobs[name], environment, lambda: backend.describe_processing_job(name))
        return result

    original_transform = SageMakerResponse.create_transform_job

    def create_transform_job(self: Any) -> Any:
        backend = self.sagemaker_backend
        name, model_name = self._get_param("TransformJobName"), self._get_param("ModelName")
        unique(backend.transform_jobs, name)
        if model_name not in backend._models:
            raise ValidationError(message=f'Could not find model "{model_name}".')
        result = original_transform(self)
        model = backend._models[model_name].response_object
        jobs.start_transform(
            backend.transform_jobs[name], model, lambda: backend.describe_transform_job(transform_job_name=name)
        )
        return result

    def stopper(kind: str, parameter: str, table: str) -> Callable[[Any], Any]:
        def stop(self: Any) -> Any:
            name = self._get_param(parameter)
            job = getattr(self.sagemaker_backend, table).get(name)
            if job is None:
                raise ValidationError(message=f"Could not find {kind.lower()} job '{name}'.")
            if not jobs.stop(kind, name):
                status = getattr(job, f"{kind.lower()}_job_status")
                raise ValidationError(
                    message=f"The request was rejected because the {kind.lower()} job is in status {status}."
                )
            return EmptyResult()

        return stop

    SageMakerResponse.create_training_job = create_training_job
    SageMakerResponse.create_processing_job = create_processing_job
    SageMakerResponse.create_transform_job = create_transform_job
    SageMakerResponse.stop_training_job = stopper("Training", "TrainingJobName", "training_jobs")
    SageMakerResponse.stop_processing_job = stopper("Processing", "ProcessingJobName", "processing_jobs")
    SageMakerResponse.stop_transform_job = stopper("Transform", "TransformJobName", "transform_jobs")


def sagemaker_sync_jobs() -> None:
    """moto's Step Functions forwards SageMaker tasks as plain calls and raises "Unsupported
    .sync callback procedure" for ``createTrainingJob.sync`` and the other job integrations.
    Wait for the job as AWS does: the Describe answer as output, States.TaskFailed when the
    job failed or was stopped (insight_local.sagemaker.stepfunctions)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory

    from insight_local.sagemaker.stepfunctions import service_class

    integration = service_class()
    state_task_service_factory._UNSUPPORTED_SERVICE_NAMES.discard("sagemaker")
    original = state_task_service_factory.state_task_service_for

    def state_task_service_for(service_name: str) -> Any:
        if service_name == "sagemaker":
            return integration()
        return original(service_name)

    state_task_service_factory.state_task_service_for = state_task_service_for
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    if hasattr(state_task_factory, "state_task_service_for"):
        state_task_factory.state_task_service_for = state_task_service_for


def sagemaker_endpoints_host_models() -> None:
    """moto's endpoints are InService at once and host nothing. Load each variant's model
    through its inference script (insight_local.sagemaker.endpoints): Creating, then InService,
    or Failed with the reason when the model cannot load; an existing name is refused."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import SageMakerModelBackend

    from insight_local.sagemaker import endpoints

    original_create = SageMakerModelBackend.create_endpoint
    original_delete = SageMakerModelBackend.delete_endpoint

    def create_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str, tags: Any) -> Any:
        if endpoint_name in self.endpoints:
            arn = self.endpoints[endpoint_name].arn
            raise ValidationError(message=f'Cannot create already existing endpoint "{arn}".')
        endpoint = original_create(self, endpoint_name, endpoint_config_name, tags)
        endpoints.create(self, endpoint)
        return endpoint

    def delete_endpoint(self: Any, endpoint_name: str) -> None:
        original_delete(self, endpoint_name)
        endpoints.delete(self, endpoint_name)

    SageMakerModelBackend.create_endpoint = create_endpoint
    SageMakerModelBackend.delete_endpoint = delete_endpoint


def sagemaker_runtime_invokes_models() -> None:
    """moto's InvokeEndpoint answers seeded or made-up results whatever the endpoint hosts.
    Answer through the endpoint's model (its variant by weight, or TargetVariant), with
    SageMaker's ModelError (424, OriginalStatusCode, OriginalMessage, LogStreamArn) when the
    inference script fails the request."""
    from urllib.parse import unquote

    from moto.sagemaker.models import sagemaker_backends
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    from insight_local.sagemaker import endpoints

    def invoke_endpoint(self: Any) -> Any:
        name = unquote(self.path.split("/")[2])
        body = self.raw_body if isinstance(self.raw_body, bytes) else str(self.raw_body or "").encode()
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            answer, media, variant = endpoints.invoke(
                sagemaker_backends[self.current_account][self.region],
                name,
                body,
                headers.get("content-type") or "application/octet-stream",
                headers.get("accept") or "application/json",
                headers.get("x-amzn-sagemaker-target-variant"),
            )
        except endpoints.InvokeError as error:
            payload = {"__type": error.code, "message": error.message, **error.extra}
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code, "status": error.status}
            return error.status, headers, json.dumps(payload)
        return 200, {"Content-Type": media, "x-Amzn-Invoked-Production-Variant": variant}, answer

    SageMakerRuntimeResponse.invoke_endpoint = invoke_endpoint


def sagemakerruntime_sdk_integration() -> None:
    """moto's Step Functions knows no ``aws-sdk:sagemakerruntime`` service (boto3 calls it
    ``sagemaker-runtime``) and would put the answer's streamed Body in the state. Map the name,
    read the Body into a string, and name its errors ``SageMakerRuntime.*Exception`` as AWS does.
    And ``aws-sdk:sagemaker`` answers (DescribeEndpoint, DescribeModelPackage...) hold datetimes
    that break DescribeExecution: give them as ISO 8601 strings."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    from insight_local.sagemaker.stepfunctions import iso_datetimes, read_streaming_bodies

    StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES["sagemakerruntime"] = "sagemaker-runtime"
    aws_sdk._SERVICE_ERROR_NAMES["sagemaker-runtime"] = "SageMakerRuntime"
    aws_sdk._SERVICE_ERROR_NAMES["sagemakerruntime"] = "SageMakerRuntime"
    aws_sdk._SERVICE_ERROR_NAMES["sagemaker"] = "SageMaker"
    original = aws_sdk.StateTaskServiceAwsSdk._eval_service_task

    def _eval_service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        original(self, env, *args, **kwargs)
        service = self._get_boto_service_name()
        if service == "sagemaker-runtime":
            env.stack.append(read_streaming_bodies(env.stack.pop()))
        elif service == "sagemaker":
            env.stack.append(iso_datetimes(env.stack.pop()))

    aws_sdk.StateTaskServiceAwsSdk._eval_service_task = _eval_service_task


def sagemaker_update_endpoint() -> None:
    """moto has no UpdateEndpoint. Deploy the new endpoint config as SageMaker does, blue/green
    with the DeploymentConfig's traffic shifting (canary, linear, all at once), baking, and
    rollback on its CloudWatch alarms (evaluated by the engine: moto's CloudWatch evaluates
    none), with DescribeEndpoint's PendingDeploymentSummary and LastDeploymentConfig and the
    deployment state change events (insight_local.sagemaker.endpoints)."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    from insight_local.sagemaker import endpoints

    def update_endpoint(self: Any) -> Any:
        backend = self.sagemaker_backend
        name, config = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise ValidationError(message=f'Could not find endpoint "{name}".')
        if config not in backend.endpoint_configs:
            raise ValidationError(message=f'Could not find endpoint configuration "{config}".')
        deployment = self._get_param("DeploymentConfig")
        if not deployment and self._get_param("RetainDeploymentConfig"):
            deployment = getattr(endpoint, "last_deployment_config", None)
        try:
            endpoints.update(backend, endpoint, config, deployment)
        except endpoints.UpdateRefused as refused:
            raise ValidationError(message=str(refused)) from None
        return ActionResult({"EndpointArn": endpoint.arn})

    SageMakerResponse.update_endpoint = update_endpoint


def sagemaker_model_package_events() -> None:
    """moto publishes no "SageMaker Model Package State Change" event, so rules on a package's
    registration or approval never fire. Publish it on CreateModelPackage and when
    UpdateModelPackage changes the approval status, with the package's Describe answer."""
    from moto.sagemaker.models import SageMakerModelBackend

    from insight_local.sagemaker.aws import emit_in_process

    original_create = SageMakerModelBackend.create_model_package
    original_update = SageMakerModelBackend.update_model_package

    def iso(value: Any) -> Any:  # this event's times are ISO 8601, as in SageMaker's example of it
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(value, dict):
            return {key: iso(item) for key, item in value.items()}
        if isinstance(value, list):
            return [iso(item) for item in value]
        return value

    def publish(backend: Any, arn: str) -> None:
        package = backend.describe_model_package(arn)
        detail = iso(package.gen_response_object())
        emit_in_process(
            backend.account_id, backend.region_name, "SageMaker Model Package State Change", package.arn, detail
        )

    def create_model_package(self: Any, *args: Any, **kwargs: Any) -> str:
        arn = original_create(self, *args, **kwargs)
        publish(self, arn)
        return str(arn)

    def update_model_package(
        self: Any, model_package_arn: str, model_approval_status: Any, *args: Any, **kwargs: Any
    ) -> str:
        before = self.describe_model_package(model_package_arn).model_approval_status
        arn = original_update(self, model_package_arn, model_approval_status, *args, **kwargs)
        if self.describe_model_package(arn).model_approval_status != before:
            publish(self, arn)
        return str(arn)

    SageMakerModelBackend.create_model_package = create_model_package
    SageMakerModelBackend.update_model_package = update_model_package


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot serialise {type(value).__name__}")


EXTENSIONS: tuple[Callable[[], None], ...] = (
    in_process_lambdas,
    logger_state_per_invocation,
    asynchronous_s3_notifications,
    complete_s3_events,
    real_sns_lambda_events,
    presigned_post_policy,
    named_executions,
    task_failure_cause,
    eventbridge_lambda_targets,
    disabled_rules_deliver_nothing,
    execution_status_events,
    sqs_event_source_polling,
    complete_eventbridge_events,
    ai_services,
    translate_and_lex_runtime,
    sagemaker_jobs_run_scripts,
    sagemaker_sync_jobs,
    sagemaker_endpoints_host_models,
    sagemaker_runtime_invokes_models,
    sagemakerruntime_sdk_integration,
    sagemaker_update_endpoint,
    sagemaker_model_package_events,
)
