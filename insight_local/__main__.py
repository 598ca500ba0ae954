"""`make run`: the local runtime and the API on 127.0.0.1:8000, the samples pushed through
the real upload path, each job's outcome printed as it finishes, a chat exchange about one of
them, the SageMaker loop of the example model as it goes (``insight_local/model_loop.py``);
then it keeps serving."""

from __future__ import annotations

import argparse
import contextlib
import json
import mimetypes
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from insight_local.runtime import Runtime
from insight_local.uploading import post_form

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
#: The samples pushed through, each with what its upload asks for beyond the file: the scanned
#: invoice is a PNG read as a document (a PNG is analysed as an image otherwise); the voicemail
#: is translated into Spanish and summed up aloud.
DEMO: tuple[tuple[str, dict[str, Any]], ...] = (
    ("invoice.pdf", {}),
    ("report.pdf", {}),
    ("invoice-scan.png", {"kind": "DOCUMENT"}),
    ("astronaut.jpg", {}),
    ("voicemail.mp3", {"translate_to": ["es"], "spoken_summary": True}),
    ("bad/not_a_png.png", {}),
)


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    import urllib.error

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def submit(base: str, path: Path, quiet: bool = False, **fields: Any) -> str | None:
    """POST /uploads for ``path`` (with any further ``fields`` of the request), then its form."""
    data = path.read_bytes()
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    request = {"file_name": path.name, "content_type": content_type, "size": len(data), **fields}
    status, ticket = call(base, "POST", "/uploads", request)
    if status != 201:
        print(f"  {path.name}: refused by the API ({status}): {ticket['message']}")
        return None
    code, answer = post_form(ticket["upload"]["url"], ticket["upload"]["fields"], path.name, data, content_type)
    if code >= 300:
        print(f"  {path.name}: the upload was refused ({code}): {answer}")
        return None
    if not quiet:
        print(f"  {path.name}: uploaded as job {ticket['job_id']}")
    return str(ticket["job_id"])


def describe(view: dict[str, Any], results: dict[str, Any] | None) -> str:
    job = view["job"]
    origin = f", from the {job['origin']['source']} webhook {job['origin']['event_id']}" if job.get("origin") else ""
    lines = [f"\n== {job['file_name']} ({job['kind']}, job {job['job_id']}{origin}): {job['status']}"]
    if job["status"] == "FAILED":
        lines.append(f"   {job['error']['type']}: {job['error']['reason']}")
        return "\n".join(lines)
    if job["kind"] == "IMAGE":
        lines += describe_image(job["summary"], results)
    elif job["kind"] == "MEDIA":
        lines += describe_media(job["summary"], results)
    else:
        lines += describe_document(job["summary"], results)
    lines.append(f"   results: s3://{job['results']['bucket']}/{job['results']['key']}")
    return "\n".join(lines)


def describe_text(results: dict[str, Any]) -> list[str]:
    entities = [f"{e['Type']}: {e['Text']}" for e in results["entities"][:10]]
    pii = sorted({e["Type"] for e in results["pii_entities"]})
    return ["   entities: " + "; ".join(entities), "   PII found: " + (", ".join(pii) or "none")]


def describe_document(summary: dict[str, Any], results: dict[str, Any] | None) -> list[str]:
    lines = [
        f"   {summary['pages']} page(s), {summary['characters']} characters, language {summary['language']}, "
        f"sentiment {summary['sentiment']}"
    ]
    if results:
        first = [line for line in results["text"].splitlines() if line.strip()][:4]
        lines.append("   text: " + " | ".join(first))
        lines += describe_text(results)
    lines.append("   key phrases: " + "; ".join(summary["key_phrases"][:6]))
    return lines


def describe_image(summary: dict[str, Any], results: dict[str, Any] | None) -> list[str]:
    moderation = summary["moderation"]
    checked = (
        ", ".join(moderation["labels"]) or "nothing flagged"
        if moderation["status"] == "checked"
        else f"unavailable ({moderation['reason']})"
    )
    lines = [
        f"   {summary['media_type']}, {summary['width']} x {summary['height']} pixels, {summary['faces']} face(s)",
        "   labels: " + (", ".join(summary["labels"]) or "none"),
        "   text: " + (" | ".join(summary["text"]) or "none"),
        f"   moderation: {checked}",
    ]
    if results and results["image"]["changes"]:
        lines.append("   analysed copy: " + "; ".join(results["image"]["changes"]))
    thumbnail = summary["thumbnail"]
    lines.append(f"   thumbnail: s3://{thumbnail['bucket']}/{thumbnail['key']}")
    return lines


def describe_media(summary: dict[str, Any], results: dict[str, Any] | None) -> list[str]:
    lines = [
        f"   {summary['duration_seconds']} s, {summary['characters']} characters transcribed, language "
        f"{summary['language']}, sentiment {summary['sentiment']}"
    ]
    if results:
        lines.append(f"   transcript: {results['transcript']['text']}")
        lines += describe_text(results)
        lines.append(f"   redacted: {results['redacted_transcript']}")
        for translation in results["translations"]:
            said = translation.get("text") or f"unavailable ({translation.get('reason')})"
            lines.append(f"   in {translation['language']}: {said}")
        lines.append(f"   spoken summary: {results['spoken_summary']['text']}")
    audio = summary["spoken_summary"]
    if audio:
        lines.append(f"   spoken summary audio: s3://{audio['bucket']}/{audio['key']}")
    return lines


def show_secrets(runtime: Runtime) -> None:
    """The signing secrets provisioning made for this run: development values, never real ones."""
    assert runtime.deployment is not None
    sources = json.loads(runtime.deployment.secrets["WebhookSecrets"])
    print("Webhook signing secrets of this run (development values, made at start):")
    for source, secret in sources.items():
        print(f"  POST {runtime.api.url}/webhooks/{source:<7} {secret}")
    print(f"Callbacks are signed (Standard Webhooks) with {runtime.deployment.secrets['CallbackSigningSecret']}")


def send_webhook(runtime: Runtime, base: str, job_id: str) -> str | None:
    """A CRM's signed "document.attached" webhook naming the file of an earlier upload."""
    import urllib.error
    import uuid

    from chalicelib.signatures import standard_headers

    assert runtime.deployment is not None
    _, view = call(base, "GET", f"/jobs/{job_id}")
    source = view["job"]["source"]
    event_id = f"evt_{uuid.uuid4().hex[:12]}"
    body = json.dumps({"type": "document.attached", "data": {"bucket": source["bucket"], "key": source["key"]}})
    secret = json.loads(runtime.deployment.secrets["WebhookSecrets"])["crm"]
    request = urllib.request.Request(
        f"{base}/webhooks/crm",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", **standard_headers(secret, event_id, body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, answer = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        print(f"  the webhook was refused ({error.code}): {error.read().decode()}")
        return None
    print(f"  POST /webhooks/crm {event_id} (document.attached, s3://{source['bucket']}/{source['key']})")
    print(f"  -> {status}, queued; it starts job {answer['job_id']}")
    return str(answer["job_id"])


def follow(runtime: Runtime, base: str, jobs: list[str], timeout: float = 120) -> None:
    pending = set(jobs)
    deadline = time.monotonic() + timeout
    s3 = runtime.aws.client("s3")
    while pending and time.monotonic() < deadline:
        for job_id in sorted(pending):
            status, view = call(base, "GET", f"/jobs/{job_id}")
            if status == 200 and view["job"]["status"] in ("SUCCEEDED", "FAILED"):
                results = None
                if view["job"]["results"]:
                    ref = view["job"]["results"]
                    results = json.loads(s3.get_object(Bucket=ref["bucket"], Key=ref["key"])["Body"].read())
                print(describe(view, results), flush=True)
                pending.discard(job_id)
        time.sleep(0.3)
    for job_id in pending:
        print(f"\n== job {job_id} has not finished after {timeout:.0f}s")


def converse(base: str, job_id: str) -> None:
    """A conversation through POST /chat: Lex's RecognizeText, the offline Lex runtime and the
    bot alias's code hook (the ChatFulfillment Lambda), about a real job."""
    print("\nA chat through POST /chat (Lex RecognizeText -> the declared bot -> its code hook Lambda):", flush=True)
    session: str | None = None
    for text in ("what is the status of my job?", "12345", job_id, f"show me the results for job {job_id}"):
        status, reply = call(base, "POST", "/chat", {"text": text, **({"session_id": session} if session else {})})
        print(f"  you: {text}")
        if status != 200:
            print(f"  ({status}) {reply.get('message') if isinstance(reply, dict) else reply}")
            return
        session = reply["session_id"]
        for message in reply["messages"]:
            print(f"  bot: {message['content']}")
    print(
        f"  (go on: curl -s -X POST {base}/chat -H 'Content-Type: application/json' "
        f"-d '{{\"session_id\": \"{session}\", \"text\": \"is it done?\"}}')"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Insight's local runtime")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-samples", action="store_true", help="serve the API without pushing the samples")
    parser.add_argument("--once", action="store_true", help="stop after the samples instead of serving")
    parser.add_argument("--no-models", action="store_true", help="skip the SageMaker loop of the example model")
    parser.add_argument(
        "--verbose", action="store_true", help="show every function's JSON logs, EMF metrics and API request"
    )
    args = parser.parse_args(argv)

    print("Starting the local runtime (moto on 127.0.0.1, Step Functions, in-process Lambdas)...", flush=True)
    if not args.verbose:
        # The functions' own logs (JSON, with the job id as correlation id) and EMF metrics
        # are what CloudWatch gets on AWS; here only warnings and errors are shown.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from insight_local.model_loop import demo_stack, run_loop

    # The models' waits (settle window, canary, baking) cut to seconds for the demonstration.
    runtime = Runtime(api_port=args.port, access_log=args.verbose, stack=demo_stack()).start()
    base = runtime.api.url
    print(f"Local AWS at {runtime.aws.endpoint}; API at {base} (try: curl {base}/jobs)", flush=True)
    show_secrets(runtime)
    try:
        if not args.no_samples:
            print("\nUploading the samples through POST /uploads and their presigned forms:", flush=True)
            jobs = [job for name, fields in DEMO if (job := submit(base, SAMPLES / name, **fields))]
            follow(runtime, base, jobs)
            if jobs:
                print("\nA business system's signed webhook about a file already uploaded:", flush=True)
                webhook_job = send_webhook(runtime, base, jobs[0])
                if webhook_job:
                    follow(runtime, base, [webhook_job])
                converse(base, jobs[0])
        if not args.no_models:
            run_loop(runtime, lambda method, path, body=None: call(base, method, path, body))
        if args.once:
            return 0
        print(f"\nServing {base} until Ctrl-C.", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        return 0
    finally:
        runtime.stop()


if __name__ == "__main__":
    sys.exit(main())
