#!/usr/bin/env python3
"""Deploy infra/template.yaml to LocalStack's CloudFormation and write the resource names to an env file.

Run by scripts/local-stack.sh (with the LocalStack venv's Python, which has boto3):

    .local/ls-venv/bin/python scripts/deploy-local.py --endpoint http://127.0.0.1:4566 \
        --stack seikyu-local --template infra/template.yaml --env-out .local/stack.env

The stack is deployed without the functions (DeployFunctions=false: LocalStack cannot run Lambda code
without Docker; locally the functions run under `cargo lambda watch`). Idempotent: an existing healthy
stack is updated in place ("no updates" counts as success); a stack in a failed or rolled-back state is
deleted and created again (LocalStack 2026.3 loses a stack's state when an update fails and then even
reports UPDATE_COMPLETE, without outputs: such a stack is replaced too). Exit status 0 on success, 1 on
failure, 3 when the broken stack cannot be deleted (restart LocalStack: its state is in memory).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import tempfile
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "ap-northeast-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
SENDER_EMAIL = "billing@seikyu.test"
ADMIN_KEY = "local-admin-key"
ADMIN_KEY_SHA256 = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
WAIT_SECONDS = 180
POLL_SECONDS = 2
DELETE_FAILED_GRACE_SECONDS = 20

# What `sam package` would do: the SAM transform only accepts s3:// code locations, and the template names
# the workspace (`CodeUri: ..`) for `sam build`. The functions are left out of the local stack by their
# condition, so the location is never read; it only has to pass the transform.
LOCAL_CODE_URI = re.compile(r"^(?P<indent>[ \t]*)CodeUri:[ \t]*(?!s3://)[^\s#{\[]+[ \t]*(#.*)?$", re.M)
PLACEHOLDER_CODE_URI = "s3://seikyu-local-unused/functions.zip"

IN_PROGRESS = "_IN_PROGRESS"
# Not UPDATE_ROLLBACK_COMPLETE: on AWS that stack could be updated, but LocalStack loses the stack's state
# when an update fails, so here a rolled-back stack is replaced like a failed one.
UPDATABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
SUCCESS = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
REQUIRED_OUTPUTS = [
    "TableName",
    "ArchiveBucketName",
    "InvoiceIssuedQueueUrl",
    "InvoiceIssuedDLQUrl",
    "ReceiptQueueUrl",
    "ReceiptDLQUrl",
    "ReminderDLQUrl",
    "ReminderQueueUrl",
    "StatementQueueUrl",
    "StatementDLQUrl",
    "EventBusName",
]


def log(msg: str) -> None:
    print(f"[deploy-local] {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", default="http://127.0.0.1:4566")
    p.add_argument("--stack", default="seikyu-local")
    p.add_argument("--template", default="infra/template.yaml")
    p.add_argument("--env-out", default=".local/stack.env")
    return p.parse_args()


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=60),
    )


def template_body(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return LOCAL_CODE_URI.sub(lambda m: f"{m.group('indent')}CodeUri: {PLACEHOLDER_CODE_URI}", text)


def describe(cfn, stack: str) -> dict | None:
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as e:
        if "does not exist" in str(e):
            return None
        raise
    if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
        return None
    return stacks[0]


def wait(cfn, stack: str, what: str) -> dict | None:
    """Poll until the stack leaves *_IN_PROGRESS; returns the final description (None once deleted)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        desc = describe(cfn, stack)
        if desc is None or not desc["StackStatus"].endswith(IN_PROGRESS):
            return desc
        if time.monotonic() > deadline:
            log(f"{what}: still {desc['StackStatus']} after {WAIT_SECONDS} s")
            return desc
        time.sleep(POLL_SECONDS)


def newest_event_id(cfn, stack: str) -> str | None:
    try:
        events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    except ClientError:
        return None
    return events[0]["EventId"] if events else None


def events_since(cfn, stack: str, after_event_id: str | None) -> list[dict]:
    """Events newer than `after_event_id` (all events when None), oldest first."""
    try:
        events = cfn.describe_stack_events(StackName=stack)["StackEvents"]  # newest first
    except ClientError as e:
        log(f"(could not read stack events: {e})")
        return []
    out = []
    for ev in events:
        if after_event_id is not None and ev["EventId"] == after_event_id:
            break
        out.append(ev)
    return out[::-1]


def is_stack_event(ev: dict, stack: str) -> bool:
    return ev.get("ResourceType") == "AWS::CloudFormation::Stack" and ev.get("LogicalResourceId") == stack


def rolled_back(events: list[dict], stack: str) -> bool:
    # LocalStack reports a failed, rolled-back update as UPDATE_COMPLETE: the events tell the truth.
    return any(is_stack_event(ev, stack) and ("ROLLBACK" in ev["ResourceStatus"] or ev["ResourceStatus"].endswith("FAILED"))
               for ev in events)


def print_failure(stack: str, desc: dict | None, events: list[dict]) -> None:
    if desc is not None:
        reason = desc.get("StackStatusReason")
        log(f"stack {stack} is {desc['StackStatus']}" + (f": {reason}" if reason else ""))
    shown = 0
    for ev in events:
        reason = ev.get("ResourceStatusReason")
        if not reason:
            continue
        log(f"  {ev.get('LogicalResourceId')} ({ev.get('ResourceType')}) {ev.get('ResourceStatus')}: {reason}")
        shown += 1
    if not shown:
        failed = [f"{ev.get('LogicalResourceId')} {ev['ResourceStatus']}" for ev in events
                  if "FAILED" in ev["ResourceStatus"] or "ROLLBACK" in ev["ResourceStatus"]]
        log("  (no failure reasons reported" + (f"; events: {', '.join(failed)}" if failed else "") + ")")


def broken_reason(cfn, stack: str, desc: dict) -> str | None:
    """Why an existing stack cannot simply be updated, or None when it can."""
    status = desc["StackStatus"]
    if status not in UPDATABLE:
        # ROLLBACK_COMPLETE (failed create), *_ROLLBACK_COMPLETE, *_FAILED, REVIEW_IN_PROGRESS.
        return status
    outputs = {o["OutputKey"] for o in desc.get("Outputs", [])}
    if missing := [k for k in REQUIRED_OUTPUTS if k not in outputs]:
        # LocalStack: after a failed update the stack says *_COMPLETE but has lost its outputs and state.
        return f"{status} but without outputs {', '.join(missing)}"
    stack_events = [ev for ev in events_since(cfn, stack, None) if is_stack_event(ev, stack)]
    if len(stack_events) >= 2 and stack_events[-1]["ResourceStatus"] == "UPDATE_COMPLETE" \
            and "ROLLBACK" in stack_events[-2]["ResourceStatus"]:
        return f"{status} after a rollback (its last update failed)"
    return None


class StackStuck(Exception):
    """The stack can be neither updated nor deleted (LocalStack keeps it until restarted)."""


RESTART_HINT = ("LocalStack keeps its state in memory and cannot repair this stack: restart it with "
                "`scripts/local-stack.sh down && scripts/local-stack.sh up`")


def delete(cfn, stack: str) -> None:
    log(f"deleting stack {stack}")
    last_event = newest_event_id(cfn, stack)
    try:
        cfn.delete_stack(StackName=stack)
        desc = wait(cfn, stack, "delete")
        # LocalStack shows DELETE_FAILED while it goes on deleting the other resources, then DELETE_COMPLETE
        # (resources it had lost track of are skipped): give it a moment before calling the delete failed.
        grace = time.monotonic() + DELETE_FAILED_GRACE_SECONDS
        while desc is not None and desc["StackStatus"] == "DELETE_FAILED" and time.monotonic() < grace:
            time.sleep(POLL_SECONDS)
            desc = wait(cfn, stack, "delete")
    except ClientError as e:
        raise StackStuck(f"stack {stack} could not be deleted: {e}") from e
    if desc is not None:
        print_failure(stack, desc, events_since(cfn, stack, last_event))
        raise StackStuck(f"stack {stack} could not be deleted ({desc['StackStatus']})")


def deploy(cfn, stack: str, body: str) -> dict | None:
    """Create or update the stack; returns its description when it is CREATE_/UPDATE_COMPLETE, else None."""
    params = [
        {"ParameterKey": "Stage", "ParameterValue": "local"},
        {"ParameterKey": "DeployFunctions", "ParameterValue": "false"},
        {"ParameterKey": "ArchiveRetentionYears", "ParameterValue": "1"},
        {"ParameterKey": "SenderEmail", "ParameterValue": SENDER_EMAIL},
        {"ParameterKey": "AdminKeySha256", "ParameterValue": ADMIN_KEY_SHA256},
    ]
    common = dict(StackName=stack, TemplateBody=body, Parameters=params,
                  Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])

    desc = describe(cfn, stack)
    # REVIEW_IN_PROGRESS (a change set that was never executed) does not settle by itself: delete it below.
    if desc is not None and desc["StackStatus"].endswith(IN_PROGRESS) and desc["StackStatus"] != "REVIEW_IN_PROGRESS":
        log(f"stack {stack} is {desc['StackStatus']}; waiting for it to settle")
        desc = wait(cfn, stack, "settle")
        if desc is not None and desc["StackStatus"].endswith(IN_PROGRESS):
            return None
    if desc is not None and (reason := broken_reason(cfn, stack, desc)):
        log(f"stack {stack} is {reason}; deleting and creating it again")
        delete(cfn, stack)
        desc = None

    if desc is None:
        log(f"creating stack {stack}")
        cfn.create_stack(OnFailure="ROLLBACK", **common)
        what, last_event = "create", None
    else:
        log(f"updating stack {stack} (was {desc['StackStatus']})")
        last_event = newest_event_id(cfn, stack)
        try:
            cfn.update_stack(**common)
        except ClientError as e:
            if "No updates are to be performed" in str(e):
                log("no changes")
                return desc
            raise
        what = "update"

    desc = wait(cfn, stack, what)
    events = events_since(cfn, stack, last_event)
    if desc is not None and desc["StackStatus"] in SUCCESS and not rolled_back(events, stack):
        return desc
    print_failure(stack, desc, events)
    if what == "update":
        # LocalStack 2026.3 loses a stack's resource state when an update fails (it even reports
        # UPDATE_COMPLETE, without outputs); the stack cannot be updated any more, only replaced.
        log("LocalStack loses the stack's state when an update fails: the next run deletes the stack and "
            "creates it again (new, empty table; the archive bucket is kept)")
    return None


def write_env(path: str, values: dict[str, str]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".stack.env.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for key, value in values.items():
            f.write(f"{key}={value}\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    cfn = client("cloudformation", args.endpoint)

    try:
        body = template_body(args.template)
        desc = deploy(cfn, args.stack, body)
        if desc is None:
            log("deploy failed")
            return 1

        outputs = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}
        missing = [k for k in REQUIRED_OUTPUTS if not outputs.get(k)]
        if missing:
            log(f"stack {args.stack} lacks outputs: {', '.join(missing)}")
            return 1

        # The template does not create the SES identity; SES (v1) rejects unverified senders.
        client("ses", args.endpoint).verify_email_identity(EmailAddress=SENDER_EMAIL)
    except StackStuck as e:
        log(f"{e}. {RESTART_HINT}")
        return 3
    except ClientError as e:
        log(f"AWS error: {e}")
        return 1

    env = {
        "TABLE_NAME": outputs["TableName"],
        "ARCHIVE_BUCKET": outputs["ArchiveBucketName"],
        "ISSUED_QUEUE_URL": outputs["InvoiceIssuedQueueUrl"],
        "ISSUED_DLQ_URL": outputs["InvoiceIssuedDLQUrl"],
        "RECEIPT_QUEUE_URL": outputs["ReceiptQueueUrl"],
        "RECEIPT_DLQ_URL": outputs["ReceiptDLQUrl"],
        "REMINDER_QUEUE_URL": outputs["ReminderQueueUrl"],
        "REMINDER_DLQ_URL": outputs["ReminderDLQUrl"],
        # S3 notifies this queue of statements archived; the importer's dead letters go to the DLQ.
        "STATEMENT_QUEUE_URL": outputs["StatementQueueUrl"],
        "STATEMENT_DLQ_URL": outputs["StatementDLQUrl"],
        "EVENT_BUS_NAME": outputs["EventBusName"],
        "SENDER_EMAIL": SENDER_EMAIL,
        # SSM parameters {prefix}/{seller}/{provider} hold each seller's webhook signing secrets.
        "WEBHOOK_SECRETS_PREFIX": "/seikyu/local/webhooks",
        "ADMIN_KEY": ADMIN_KEY,
        "ADMIN_KEY_SHA256": ADMIN_KEY_SHA256,
        "AWS_ENDPOINT_URL": args.endpoint,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    write_env(args.env_out, env)

    log(f"stack {args.stack}: {desc['StackStatus']} in {time.monotonic() - started:.1f} s")
    for key in (
        "TABLE_NAME",
        "ARCHIVE_BUCKET",
        "ISSUED_QUEUE_URL",
        "RECEIPT_QUEUE_URL",
        "REMINDER_QUEUE_URL",
        "EVENT_BUS_NAME",
        "SENDER_EMAIL",
    ):
        log(f"  {key}={env[key]}")
    log(f"  env file: {args.env_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
