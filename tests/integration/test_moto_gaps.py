"""Each extension of moto in insight_local/moto_gaps.py, proved by a test that fails without it.

``test_every_gap_test_fails_without_its_extension`` runs each gap test again in a
subprocess with that one extension left out (INSIGHT_LOCAL_WITHOUT) and expects it to fail.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from insight_local import moto_gaps
from insight_local.server import LocalAWS
from insight_local.uploading import post_form
from tests.integration import handlers

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
    s3 = aws.client("s3")
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
    # A conforming upload is stored with the form's Content-Type
    status, _ = post_form(post["url"], post["fields"], "a.pdf", b"%PDF-1", "application/pdf")
    assert status == 204
    assert s3.head_object(Bucket="forms", Key="up/a.pdf")["ContentType"] == "application/pdf"


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
    marks = aws.client("polly").synthesize_speech(
        Text="Hello there.", VoiceId="Joanna", OutputFormat="json", SpeechMarkTypes=["word"]
    )["AudioStream"].read()
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
