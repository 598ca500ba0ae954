"""Each extension of moto in insight_local/moto_gaps.py, proved by a test that fails without it.

``test_every_gap_test_fails_without_its_extension`` runs each gap test again in a
subprocess with that one extension left out (INSIGHT_LOCAL_WITHOUT) and expects it to fail.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from insight_local import moto_gaps
from insight_local.server import LocalAWS
from insight_local.uploading import post_form
from tests.integration import handlers
from tests.integration import sagemaker_support as sm

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/test"


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAWS]:
    local = LocalAWS().start()
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    local.client("iam").create_role(RoleName="test", AssumeRolePolicyDocument=json.dumps(trust))
    yield local
    local.stop()


@pytest.fixture(autouse=True)
def fresh_records() -> None:
    handlers.received.clear()
    handlers.order.clear()
    handlers.release.clear()


def code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "runs in process")
    return buffer.getvalue()


def function(aws: LocalAWS, name: str, handler: str, environment: dict[str, str] | None = None) -> str:
    client = aws.client("lambda")
    try:
        return str(client.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
    except client.exceptions.ResourceNotFoundException:
        pass
    return str(
        client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler=f"tests.integration.handlers.{handler}",
            Code={"ZipFile": code()},
            Timeout=5,
            Environment={"Variables": environment or {}},
        )["FunctionArn"]
    )


def eventually(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(0.05)


def test_gap_in_process_lambdas(aws: LocalAWS) -> None:
    # Given functions whose handlers live in the project
    function(aws, "echo", "echo", {"GREETING": "hello"})
    function(aws, "refuse", "refuse")
    client = aws.client("lambda")
    # When they are invoked through the Lambda API
    ok = client.invoke(FunctionName="echo", Payload=json.dumps({"n": 21}))
    failed = client.invoke(FunctionName="refuse", Payload=json.dumps({"n": 7}))
    # Then the real handler ran with its environment and context
    assert json.loads(ok["Payload"].read()) == {"doubled": 42, "greeting": "hello", "function": "echo"}
    # and an exception comes back in Lambda's error shape
    assert failed["FunctionError"] == "Handled"
    error = json.loads(failed["Payload"].read())
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "refused 7"


def test_gap_logger_state_per_invocation(aws: LocalAWS) -> None:
    # Given two functions that log through one process-wide Powertools logger
    function(aws, "log-a", "log_for_job")
    function(aws, "log-b", "log_for_job")
    client = aws.client("lambda")

    def run(name: str, event: dict[str, Any]) -> dict[str, Any]:
        return dict(json.loads(client.invoke(FunctionName=name, Payload=json.dumps(event))["Payload"].read()))

    # When they run at the same time for different jobs, one appending a key of its own
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(run, "log-a", {"job": "job-a", "together": True, "keys": {"webhook_source": "crm"}})
        b = pool.submit(run, "log-b", {"job": "job-b", "together": True})
        seen = {"a": a.result(timeout=20), "b": b.result(timeout=20)}
    # Then each logged under its own job and function name
    assert (seen["a"]["correlation_id"], seen["a"]["function"]) == ("job-a", "log-a")
    assert (seen["b"]["correlation_id"], seen["b"]["function"]) == ("job-b", "log-b")
    # and the key one appended is in no other invocation's logs, then or later
    assert "webhook_source" in seen["a"]["keys"] and "webhook_source" not in seen["b"]["keys"]
    assert "webhook_source" not in run("log-b", {"job": "job-c"})["keys"]


def test_gap_asynchronous_s3_notifications(aws: LocalAWS) -> None:
    # Given a bucket whose uploads notify a handler that waits to be released
    arn = function(aws, "waiter", "wait_then_record")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="async-notify")
    s3.put_bucket_notification_configuration(
        Bucket="async-notify",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    # When an object is uploaded
    s3.put_object(Bucket="async-notify", Key="a.txt", Body=b"a")
    handlers.order.append("upload returned")
    handlers.release.set()
    # Then the upload did not wait for the handler, which still ran
    eventually(lambda: len(handlers.order) == 2)
    assert handlers.order == ["upload returned", "handler ran"]


def test_gap_complete_s3_events(aws: LocalAWS) -> None:
    from aws_lambda_powertools.utilities.parser.models import S3Model

    arn = function(aws, "recorder", "record")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="complete-events")
    s3.put_bucket_notification_configuration(
        Bucket="complete-events",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(Bucket="complete-events", Key="dir/a b.txt", Body=b"abc")
    eventually(lambda: handlers.received)
    # The event parses as the real S3 event shape
    record = S3Model.model_validate(handlers.received[0]).Records[0]
    assert record.s3.bucket.name == "complete-events"
    assert record.s3.object.key == "dir/a+b.txt"
    assert record.s3.object.size == 3


def test_gap_real_sns_lambda_events(aws: LocalAWS) -> None:
    from aws_lambda_powertools.utilities.parser.models import SnsModel

    arn = function(aws, "recorder", "record")
    sns = aws.client("sns")
    topic = sns.create_topic(Name="completions")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sent = sns.publish(
        TopicArn=topic,
        Message='{"JobId": "1"}',
        Subject="done",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "text"}},
    )
    eventually(lambda: handlers.received)
    record = SnsModel.model_validate(handlers.received[0]).Records[0]
    assert record.Sns.TopicArn == topic
    assert record.Sns.MessageId == sent["MessageId"]
    assert json.loads(record.Sns.Message) == {"JobId": "1"}
    assert record.Sns.MessageAttributes["kind"].Value == "text"


def test_gap_presigned_post_policy(aws: LocalAWS) -> None:
    from botocore.config import Config

    s3 = aws.client("s3")
    s3_v4 = boto3.client("s3", endpoint_url=aws.endpoint, config=Config(signature_version="s3v4"))
    s3.create_bucket(Bucket="forms")

    def form(expires: int = 60) -> dict[str, Any]:
        return dict(
            s3.generate_presigned_post(
                Bucket="forms",
                Key="up/a.pdf",
                Fields={"Content-Type": "application/pdf"},
                Conditions=[{"Content-Type": "application/pdf"}, ["content-length-range", 1, 10]],
                ExpiresIn=expires,
            )
        )

    post = form()
    # A file over the size range is refused
    status, body = post_form(post["url"], post["fields"], "a.pdf", b"x" * 11, "application/pdf")
    assert status == 403 and "content-length-range" in body
    # A form whose Content-Type was changed is refused
    fields = {**post["fields"], "Content-Type": "text/html"}
    status, body = post_form(post["url"], fields, "a.pdf", b"x", "text/html")
    assert status == 403 and "Content-Type" in body
    # An expired form is refused
    expired = form(expires=-10)
    status, body = post_form(expired["url"], expired["fields"], "a.pdf", b"x", "application/pdf")
    assert status == 403 and "expired" in body
    # A policy that is not one S3 could have signed is a bad request (no 500, no traceback)
    later = "2099-01-01T00:00:00Z"
    for policy in (
        "!!!",
        [1],
        {"conditions": []},
        {"expiration": "tomorrow", "conditions": []},
        {"expiration": later, "conditions": [["content-length-range", "a", 10]]},
        {"expiration": later, "conditions": [["eq"]]},
        {"expiration": later, "conditions": [{"a": "1", "b": "2"}]},
        {"expiration": later, "conditions": "none"},
    ):
        encoded = policy if isinstance(policy, str) else base64.b64encode(json.dumps(policy).encode()).decode()
        status, body = post_form(post["url"], {**post["fields"], "policy": encoded}, "a.pdf", b"x", "application/pdf")
        assert status == 400 and "InvalidPolicyDocument" in body, (policy, body)
    # A policy rewritten after signing (here: without the size range) fails its signature
    rewritten = base64.b64encode(json.dumps({"expiration": later, "conditions": []}).encode()).decode()
    status, body = post_form(post["url"], {**post["fields"], "policy": rewritten}, "a.pdf", b"x" * 50, "text/html")
    assert status == 403 and "SignatureDoesNotMatch" in body
    status, body = post_form(post["url"], {**post["fields"], "signature": "0" * 28}, "a.pdf", b"x", "application/pdf")
    assert status == 403 and "SignatureDoesNotMatch" in body
    # (boto3 signs this form with SigV2; the API's forms are SigV4, checked the same way)
    v4 = dict(
        s3_v4.generate_presigned_post(Bucket="forms", Key="up/a.pdf", Conditions=[["content-length-range", 1, 10]])
    )
    assert "x-amz-signature" in v4["fields"]
    status, body = post_form(v4["url"], {**v4["fields"], "policy": rewritten}, "a.pdf", b"x" * 50, "text/html")
    assert status == 403 and "SignatureDoesNotMatch" in body
    # and a form with no policy at all is an anonymous upload, which a private bucket refuses
    status, body = post_form(post["url"], {"key": "up/a.pdf"}, "a.pdf", b"x", "application/pdf")
    assert status == 403 and "AccessDenied" in body
    # A form without a file, or with its file in another field than "file", is a bad request
    import requests

    for files in ({}, {"upload": ("a.pdf", b"x", "application/pdf")}):
        answer = requests.post(post["url"], data=post["fields"], files=files, timeout=10)
        assert answer.status_code == 400 and "InvalidArgument" in answer.text, answer.text
    assert "Contents" not in s3.list_objects_v2(Bucket="forms")
    # A conforming upload is stored with the form's Content-Type
    status, _ = post_form(post["url"], post["fields"], "a.pdf", b"%PDF-1", "application/pdf")
    assert status == 204
    assert s3.head_object(Bucket="forms", Key="up/a.pdf")["ContentType"] == "application/pdf"
    # And the bucket's other POST, DeleteObjects, is not taken for a form, whatever came before it
    s3.put_object(Bucket="forms", Key="up/b.pdf", Body=b"%PDF-1")
    deleted = s3.delete_objects(Bucket="forms", Delete={"Objects": [{"Key": "up/a.pdf"}, {"Key": "up/b.pdf"}]})
    assert sorted(item["Key"] for item in deleted["Deleted"]) == ["up/a.pdf", "up/b.pdf"]
    assert "Contents" not in s3.list_objects_v2(Bucket="forms")


def test_gap_named_executions(aws: LocalAWS) -> None:
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="pass",
        roleArn=ROLE,
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]
    first = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine, input='{"a": 1}')["executionArn"]
    assert first != second
    assert not first.endswith(":None")


def test_gap_task_failure_cause(aws: LocalAWS) -> None:
    # Given a workflow step that waits on a task token
    arn = function(aws, "recorder", "record")
    sfn = aws.client("stepfunctions")
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "End": True,
                "Parameters": {"FunctionName": arn, "Payload": {"token.$": "$$.Task.Token"}},
            }
        },
    }
    machine = sfn.create_state_machine(name="waits", roleArn=ROLE, definition=json.dumps(definition))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="waits-1")["executionArn"]
    eventually(lambda: handlers.received)
    # When the waiting step is failed with an error and a cause
    sfn.send_task_failure(
        taskToken=handlers.received[0]["token"], error="DetectionFailed", cause="page 2 is unreadable"
    )
    eventually(lambda: sfn.describe_execution(executionArn=execution)["status"] == "FAILED")
    # Then the cause reaches the execution, as it would reach a Catch
    described = sfn.describe_execution(executionArn=execution)
    assert described["error"] == "DetectionFailed"
    assert described["cause"] == "page 2 is unreadable"


def route(aws: LocalAWS, rule: str, pattern: dict[str, Any], function_arn: str) -> None:
    events = aws.client("events")
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "recorder", "Arn": function_arn}])


def test_gap_eventbridge_lambda_targets(aws: LocalAWS) -> None:
    # Given a rule whose target is a function, and a scheduled rule with a function target
    route(aws, "orders", {"source": ["shop.orders"]}, function(aws, "recorder", "record"))
    events = aws.client("events")
    events.put_rule(Name="every-hour", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="every-hour", Targets=[{"Id": "sweep", "Arn": function(aws, "recorder", "record")}])
    # When a matching event and a non-matching one are put
    aws.client("events").put_events(
        Entries=[
            {"Source": "shop.orders", "DetailType": "Order Placed", "Detail": json.dumps({"order": 7})},
            {"Source": "shop.other", "DetailType": "Order Placed", "Detail": json.dumps({"order": 8})},
        ]
    )
    # Then the function receives the matching event, in EventBridge's envelope, and the
    # scheduled rule's target nothing
    eventually(lambda: handlers.received)
    time.sleep(0.2)
    assert len(handlers.received) == 1
    event = handlers.received[0]
    assert event["source"] == "shop.orders" and event["detail-type"] == "Order Placed"
    assert event["detail"] == {"order": 7}


def test_gap_disabled_rules_deliver_nothing(aws: LocalAWS) -> None:
    # Given a rule whose target is a function, switched off
    route(aws, "switched-off", {"source": ["shop.refunds"]}, function(aws, "recorder", "record"))
    events = aws.client("events")
    events.disable_rule(Name="switched-off")
    # When a matching event is put
    events.put_events(Entries=[{"Source": "shop.refunds", "DetailType": "Refund", "Detail": json.dumps({"n": 1})}])
    time.sleep(0.5)
    # Then nothing is delivered; once the rule is on again, the next event is
    assert handlers.received == []
    events.enable_rule(Name="switched-off")
    events.put_events(Entries=[{"Source": "shop.refunds", "DetailType": "Refund", "Detail": json.dumps({"n": 2})}])
    eventually(lambda: handlers.received)
    assert [event["detail"] for event in handlers.received] == [{"n": 2}]


def test_gap_execution_status_events(aws: LocalAWS) -> None:
    # Given a rule on the end of a state machine's executions
    sfn = aws.client("stepfunctions")
    definition = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}
    machine = sfn.create_state_machine(name="fails", roleArn=ROLE, definition=json.dumps(definition))["stateMachineArn"]
    pattern = {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": [machine]},
    }
    route(aws, "ended", pattern, function(aws, "recorder", "record"))
    # When an execution fails
    sfn.start_execution(stateMachineArn=machine, name="fails-1", input='{"job_id": "x"}')
    # Then the rule delivers the status change with its error and cause
    eventually(lambda: handlers.received)
    detail = handlers.received[0]["detail"]
    assert detail["name"] == "fails-1" and detail["status"] == "FAILED"
    assert detail["error"] == "Broken" and detail["cause"] == "on purpose"
    assert json.loads(detail["input"]) == {"job_id": "x"}


def test_gap_sqs_event_source_polling(aws: LocalAWS) -> None:
    from aws_lambda_powertools.utilities.parser.models import SqsModel

    # Given a queue with a dead-letter queue after 2 receives, consumed by a function that
    # reports the records it could not process
    sqs = aws.client("sqs")
    dead = sqs.create_queue(QueueName="consumed-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName="consumed",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName=function(aws, "partial", "fail_the_bad_ones"),
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    # When a good and a bad message are sent
    sqs.send_message(QueueUrl=queue, MessageBody="good")
    sqs.send_message(QueueUrl=queue, MessageBody="bad")
    handlers.order.append("sent")
    handlers.release.set()
    # Then the sender did not wait for the consumer
    eventually(lambda: "handler ran" in handlers.order)
    assert handlers.order[0] == "sent"
    # and the records came as Lambda sends them, in batches
    eventually(lambda: handlers.received)
    records = [r for event in handlers.received for r in SqsModel.model_validate(event).Records]
    assert records[0].eventSourceARN == queue_arn

    # and the bad message came back until the redrive policy moved it to the dead-letter queue
    def in_dead_letters() -> list[Any]:
        return list(sqs.receive_message(QueueUrl=dead, WaitTimeSeconds=0).get("Messages", []))

    eventually(lambda: sum(r["body"] == "bad" for e in handlers.received for r in e["Records"]) >= 2, seconds=15)
    found: list[Any] = []
    eventually(lambda: found.extend(in_dead_letters()) or found, seconds=15)
    assert [m["Body"] for m in found] == ["bad"]
    # while the good one was processed once and deleted
    bodies = [r["body"] for e in handlers.received for r in e["Records"]]
    assert bodies.count("good") == 1
    counts = [r["attributes"]["ApproximateReceiveCount"] for e in handlers.received for r in e["Records"]]
    assert "2" in counts


def test_gap_complete_eventbridge_events(aws: LocalAWS) -> None:
    from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

    # Given a rule on a custom bus that sends its events to a queue
    sqs, events = aws.client("sqs"), aws.client("events")
    queue = sqs.create_queue(QueueName="bus-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name="jobs")
    events.put_rule(Name="to-queue", EventBusName="jobs", EventPattern=json.dumps({"source": ["insight"]}))
    events.put_targets(Rule="to-queue", EventBusName="jobs", Targets=[{"Id": "q", "Arn": queue_arn}])
    # When an event is put on the bus
    events.put_events(
        Entries=[{"Source": "insight", "DetailType": "Job State Change", "Detail": '{"a": 1}', "EventBusName": "jobs"}]
    )
    # Then the queue gets the whole event, as EventBridge delivers it
    [message] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    event = EventBridgeModel.model_validate(json.loads(message["Body"]))
    assert event.account == "123456789012"
    assert event.detail_type == "Job State Change" and event.detail == {"a": 1}


def test_gap_ai_services(aws: LocalAWS) -> None:
    comprehend = aws.client("comprehend")
    text = "Maria Anders paid $1,234.50 on March 14, 2026. Write to billing@northwind.example."
    entities = comprehend.detect_entities(Text=text, LanguageCode="en")["Entities"]
    assert any(text[e["BeginOffset"] : e["EndOffset"]] == "March 14, 2026" and e["Type"] == "DATE" for e in entities)
    pii = comprehend.detect_pii_entities(Text=text, LanguageCode="en")["Entities"]
    assert any(text[e["BeginOffset"] : e["EndOffset"]] == "billing@northwind.example" for e in pii)
    textract = aws.client("textract")
    blocks = textract.detect_document_text(Document={"Bytes": (ROOT / "samples" / "invoice.pdf").read_bytes()})[
        "Blocks"
    ]
    assert "INV-2026-0042" in " ".join(b["Text"] for b in blocks if b["BlockType"] == "LINE")
    # moto's Polly answers eight zero bytes whatever the text; the offline engine speaks it
    marks = (
        aws.client("polly")
        .synthesize_speech(Text="Hello there.", VoiceId="Joanna", OutputFormat="json", SpeechMarkTypes=["word"])[
            "AudioStream"
        ]
        .read()
    )
    assert [json.loads(line)["value"] for line in marks.decode().splitlines()] == ["Hello", "there"]


def test_gap_translate_and_lex_runtime(aws: LocalAWS) -> None:
    from insight_local.ai import missing_services

    # Given a bot made with the Lex V2 models API, which moto has
    from insight_local.ai.lex import without_code_hooks

    declaration = without_code_hooks(json.loads((ROOT / "infra" / "bots" / "insight.json").read_text()))
    bot_id, alias_id = missing_services.create_bot(aws.client("lexv2-models"), "gap-bot", declaration, ROLE)
    # When its runtime is asked, as a Lambda would ask it
    answer = aws.client("lexv2-runtime").recognize_text(
        botId=bot_id, botAliasId=alias_id, localeId="en_US", sessionId="gap-1", text="start an analysis of minutes.pdf"
    )
    # Then the offline runtime answers, and the models API still answers for the same bot
    assert answer["sessionState"]["intent"]["slots"]["FileName"]["value"]["interpretedValue"] == "minutes.pdf"
    assert aws.client("lexv2-models").describe_bot(botId=bot_id)["botName"] == "gap-bot"
    # And Translate answers too: the same language comes back as it is, a pair it lacks is refused
    translate = aws.client("translate")
    same = translate.translate_text(Text="Bonjour", SourceLanguageCode="fr", TargetLanguageCode="fr")
    assert same["TranslatedText"] == "Bonjour"
    with pytest.raises(translate.exceptions.UnsupportedLanguagePairException):
        translate.translate_text(Text="Bonjour", SourceLanguageCode="fr", TargetLanguageCode="ja")


SAGEMAKER_BUCKET = "sagemaker-gaps"


def sagemaker_source(aws: LocalAWS) -> str:
    """The tiny script-mode model's source archive and its train channel (the numbers 1 to 4)."""
    s3 = aws.client("s3")
    if SAGEMAKER_BUCKET not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=SAGEMAKER_BUCKET)
        s3.put_object(Bucket=SAGEMAKER_BUCKET, Key="tiny/train/numbers.txt", Body=b"1 2 3 4")
    return sm.tiny_source(SAGEMAKER_BUCKET, s3)


def sagemaker_model(aws: LocalAWS, key: str, model: dict[str, Any]) -> str:
    return sm.tiny_model(SAGEMAKER_BUCKET, aws.client("s3"), key, model)


def in_service(aws: LocalAWS, name: str, timeout: float = 20) -> dict[str, Any]:
    sagemaker = aws.client("sagemaker")
    return sm.wait_for(
        lambda: sagemaker.describe_endpoint(EndpointName=name), "EndpointStatus", ("InService", "Failed"), timeout
    )


def execution_of(aws: LocalAWS, definition: dict[str, Any], name: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(definition))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name=f"{name}-1", input=json.dumps(payload))[
        "executionArn"
    ]
    return sm.wait_for(
        lambda: sfn.describe_execution(executionArn=execution), "status", ("SUCCEEDED", "FAILED", "ABORTED"), 40
    )


def test_gap_sagemaker_jobs_run_scripts(aws: LocalAWS) -> None:
    # Given a script-mode training job whose script prints its loss
    source = sagemaker_source(aws)
    sagemaker = aws.client("sagemaker")
    sagemaker.create_training_job(**sm.tiny_training("gap-train", SAGEMAKER_BUCKET, source, scale=3))
    # When it runs
    done = sm.wait_for(
        lambda: sagemaker.describe_training_job(TrainingJobName="gap-train"), "TrainingJobStatus", timeout=30
    )
    # Then the script ran on its channel: its metric parsed with the job's definition, its model archived
    assert done["TrainingJobStatus"] == "Completed"
    assert [(metric["MetricName"], metric["Value"]) for metric in done["FinalMetricDataList"]] == [("loss", 1.5)]
    archive = aws.client("s3").get_object(Bucket=SAGEMAKER_BUCKET, Key="models/gap-train/output/model.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(archive["Body"].read())) as tar:
        assert json.loads(tar.extractfile("model.json").read()) == {"mean": 2.5, "scale": 3}  # type: ignore[union-attr]


def test_gap_sagemaker_sync_jobs(aws: LocalAWS) -> None:
    # Given a state machine whose task trains through the .sync integration
    source = sagemaker_source(aws)
    request = sm.tiny_training("gap-sync", SAGEMAKER_BUCKET, source, scale=3)
    definition = {
        "StartAt": "Train",
        "States": {
            "Train": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                # moto's ASL grammar takes "RoleArn.$" for the task's Credentials field: a static role
                "Parameters": {"RoleArn": sm.ROLE, **{f"{key}.$": f"$.{key}" for key in request if key != "RoleArn"}},
                "ResultSelector": {"status.$": "$.TrainingJobStatus", "metrics.$": "$.FinalMetricDataList"},
                "End": True,
            }
        },
    }
    # When an execution trains a good model, and another a crashing one
    good = execution_of(aws, definition, "gap-sync-good", request)
    crashing = sm.tiny_training("gap-sync-crash", SAGEMAKER_BUCKET, source, fail="out of memory")
    failed = execution_of(aws, definition, "gap-sync-bad", crashing)
    # Then the task waited for the job: its output is the Completed job's Describe answer
    assert good["status"] == "SUCCEEDED", good
    output = json.loads(good["output"])
    assert output["status"] == "Completed"
    assert [(metric["MetricName"], metric["Value"]) for metric in output["metrics"]] == [("loss", 1.5)]
    # and the crashed job failed the task with States.TaskFailed and the Describe answer as the cause
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.TaskFailed"
    cause = json.loads(failed["cause"])
    assert cause["TrainingJobStatus"] == "Failed" and "RuntimeError: out of memory" in cause["FailureReason"]


def test_gap_sagemaker_endpoints_host_models(aws: LocalAWS) -> None:
    # Given endpoints of a model that loads and of one whose model_fn raises
    source = sagemaker_source(aws)
    sagemaker = aws.client("sagemaker")
    good = sagemaker_model(aws, "gap/good.tar.gz", {"mean": 2, "scale": 3})
    broken = sagemaker_model(aws, "gap/broken.tar.gz", {"mean": 2, "scale": 3, "broken_at_load": True})
    sm.tiny_endpoint(sagemaker, "gap-hosted", SAGEMAKER_BUCKET, source, good)
    sm.tiny_endpoint(sagemaker, "gap-unloadable", SAGEMAKER_BUCKET, source, broken)
    # Then the first is InService once loaded, the second Failed with model_fn's error
    assert in_service(aws, "gap-hosted")["EndpointStatus"] == "InService"
    failed = in_service(aws, "gap-unloadable")
    assert failed["EndpointStatus"] == "Failed"
    assert "RuntimeError: the weights are corrupt" in failed["FailureReason"]


def test_gap_sagemaker_runtime_invokes_models(aws: LocalAWS) -> None:
    # Given an endpoint of a model that multiplies by mean * scale, and one whose predict crashes
    source = sagemaker_source(aws)
    sagemaker = aws.client("sagemaker")
    sm.tiny_endpoint(
        sagemaker,
        "gap-answers",
        SAGEMAKER_BUCKET,
        source,
        sagemaker_model(aws, "gap/m.tar.gz", {"mean": 2, "scale": 3}),
    )
    crashing = sagemaker_model(aws, "gap/crash.tar.gz", {"mean": 2, "scale": 3, "broken": True})
    sm.tiny_endpoint(sagemaker, "gap-crashes", SAGEMAKER_BUCKET, source, crashing)
    in_service(aws, "gap-answers"), in_service(aws, "gap-crashes")
    runtime = aws.client("sagemaker-runtime")
    # When they are invoked
    answer = runtime.invoke_endpoint(EndpointName="gap-answers", ContentType="text/csv", Body=b"1,2")
    with pytest.raises(runtime.exceptions.ModelError) as crashed:
        runtime.invoke_endpoint(EndpointName="gap-crashes", ContentType="text/csv", Body=b"1")
    # Then the model answered, and the crash came back as SageMaker's ModelError
    assert json.loads(answer["Body"].read()) == [6.0, 12.0]
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert crashed.value.response["OriginalStatusCode"] == 500
    assert "RuntimeError: the model crashed" in crashed.value.response["OriginalMessage"]


def test_gap_sagemakerruntime_sdk_integration(aws: LocalAWS) -> None:
    # Given an endpoint, and a state machine that invokes it through the aws-sdk integration
    source = sagemaker_source(aws)
    sagemaker = aws.client("sagemaker")
    sm.tiny_endpoint(
        sagemaker, "gap-sdk", SAGEMAKER_BUCKET, source, sagemaker_model(aws, "gap/sdk.tar.gz", {"mean": 2, "scale": 1})
    )
    in_service(aws, "gap-sdk")
    definition = {
        "StartAt": "Predict",
        "States": {
            "Predict": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemakerruntime:invokeEndpoint",
                "Parameters": {"EndpointName": "gap-sdk", "ContentType": "text/csv", "Body.$": "$.csv"},
                "ResultSelector": {"prediction.$": "States.StringToJson($.Body)"},
                "ResultPath": "$.answer",
                "Next": "Describe",
            },
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeEndpoint",
                "Parameters": {"EndpointName": "gap-sdk"},
                "ResultSelector": {"status.$": "$.EndpointStatus", "created.$": "$.CreationTime"},
                "ResultPath": "$.endpoint",
                "End": True,
            },
        },
    }
    # When it runs
    done = execution_of(aws, definition, "gap-sdk-predict", {"csv": "5,7"})
    # Then the model's answer is in the output, as a string Step Functions can parse
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["answer"] == {"prediction": [10.0, 14.0]}
    # and the endpoint's Describe answer came through, its timestamps as strings
    assert output["endpoint"]["status"] == "InService"
    assert output["endpoint"]["created"].startswith(time.strftime("%Y-"))


def test_gap_sagemaker_update_endpoint(aws: LocalAWS) -> None:
    # Given an endpoint serving a first model, and an endpoint config of a second with the same variant
    source = sagemaker_source(aws)
    sagemaker = aws.client("sagemaker")
    first = sagemaker_model(aws, "gap/v1.tar.gz", {"mean": 1, "scale": 1})
    sm.tiny_endpoint(sagemaker, "gap-update", SAGEMAKER_BUCKET, source, first, config="gap-update-v1")
    in_service(aws, "gap-update")
    second = sagemaker_model(aws, "gap/v2.tar.gz", {"mean": 5, "scale": 1})
    sm.tiny_endpoint(sagemaker, "gap-update", SAGEMAKER_BUCKET, source, second, config="gap-update-v2", create=False)
    deployment = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": 1,
            },
            "TerminationWaitInSeconds": 1,
            "MaximumExecutionTimeoutInSeconds": 600,
        }
    }
    # When it is updated blue/green
    sagemaker.update_endpoint(
        EndpointName="gap-update", EndpointConfigName="gap-update-v2", DeploymentConfig=deployment
    )
    assert sagemaker.describe_endpoint(EndpointName="gap-update")["EndpointStatus"] == "Updating"
    time.sleep(0.2)
    done = in_service(aws, "gap-update")
    # Then the second model serves, and the endpoint says how it was deployed
    assert done["EndpointConfigName"] == "gap-update-v2"
    assert done["LastDeploymentConfig"] == deployment
    answer = aws.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="gap-update", ContentType="text/csv", Body=b"1"
    )
    assert json.loads(answer["Body"].read()) == [5.0]


def register_package(sagemaker: Any, group: str, approval: str) -> str:
    """A model package of the gap tests' model in ``group``, with its approval status."""
    return str(
        sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus=approval,
            InferenceSpecification={
                "Containers": [{"Image": sm.IMAGE, "ModelDataUrl": "s3://sagemaker-gaps/gap/v1.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
        )["ModelPackageArn"]
    )


def test_gap_sagemaker_model_package_events(aws: LocalAWS) -> None:
    # Given a rule that sends model package state changes to a queue
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="package-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = aws.client("events")
    events.put_rule(
        Name="packages",
        EventPattern=json.dumps({"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"]}),
    )
    events.put_targets(Rule="packages", Targets=[{"Id": "queue", "Arn": queue_arn}])
    sagemaker = aws.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="gap-packages")
    # When a package is registered pending approval, then approved
    arn = register_package(sagemaker, "gap-packages", "PendingManualApproval")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    # Then both changes were published, with the package's approval status
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while len(received) < 2 and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            received.append(json.loads(message["Body"]))
    assert [event["detail"]["ModelApprovalStatus"] for event in received] == ["PendingManualApproval", "Approved"]
    assert {event["detail"]["ModelPackageArn"] for event in received} == {arn}
    assert received[0]["resources"] == [arn] and received[0]["source"] == "aws.sagemaker"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", received[0]["detail"]["CreationTime"])


def test_package_events_need_no_server_when_moto_runs_in_process(
    aws: LocalAWS, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the extensions installed (this module's local AWS) and moto then used in process,
    # with no server where the local AWS's address points (another module's, stopped)
    monkeypatch.setenv("MOTO_PORT", "9")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        sagemaker.create_model_package_group(ModelPackageGroupName="in-process")
        # When a package is registered
        arn = register_package(sagemaker, "in-process", "Approved")
    # Then it is, its event published in process (no connection to refuse)
    assert arn.endswith("/in-process/1")


GAP_TESTS = sorted(name for name in dir(sys.modules[__name__]) if name.startswith("test_gap_"))


def test_there_is_a_gap_test_for_every_extension() -> None:
    assert {f"test_gap_{extension.__name__}" for extension in moto_gaps.EXTENSIONS} == set(GAP_TESTS)


@pytest.mark.skipif(os.environ.get("INSIGHT_LOCAL_WITHOUT") is not None, reason="already the inner run")
def test_every_gap_test_fails_without_its_extension() -> None:
    survivors = []
    for extension in moto_gaps.EXTENSIONS:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-p",
                "no:cacheprovider",
                f"{__file__}::test_gap_{extension.__name__}",
            ],
            cwd=ROOT,
            env={**os.environ, "INSIGHT_LOCAL_WITHOUT": extension.__name__},
            capture_output=True,
            text=True,
            timeout=240,
        )
        if run.returncode == 0:
            survivors.append(extension.__name__)
    assert survivors == [], f"these gap tests pass without their extension: {survivors}"
