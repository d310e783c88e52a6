"""The queue on Amazon SQS (boto3): a FIFO queue whose RedrivePolicy names the dead-letter queue.

``MessageDeduplicationId`` comes from the task Key and ``MessageGroupId`` from the playbook slug
(``domain/queue_ids.py`` keeps both within SQS's 128-character rule), so a resend within 5 minutes
is dropped by SQS itself. SendMessageBatch takes 10 entries and may accept some
and fail others: failed entries (throttling, a 5xx inside the batch) are resent with the same
deduplication id, so a retry never makes a second copy; whole-call throttling and 5xx are
retried by botocore's ``standard`` retry mode. Only this module imports boto3.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from clawbot_assets.adapters.queue import (
    MAX_BATCH,
    OutgoingMessage,
    QueueDepth,
    QueueUnavailableError,
    ReceivedMessage,
    SendOutcome,
)
from clawbot_assets.observability.tracing import external_call

ENTRY_RETRIES = 4
DEPTH_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


def sqs_client(endpoint_url: str | None = None, region_name: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=25)
    return boto3.client("sqs", endpoint_url=endpoint_url or None, region_name=region_name or None, config=config)


class SqsQueue:
    def __init__(self, client: Any, url: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.url = url
        self.name = url.rstrip("/").rsplit("/", 1)[-1]
        self.sleep = sleep

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        """One SQS API call, in one span (botocore's own retries happen inside it)."""
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

        with external_call("sqs", what, self.name) as span:
            try:
                response = call()
            except (ClientError, BotoCoreError) as error:
                # SQS answered (ClientError) or was never reached (ConnectionError): nothing landed.
                # Any other transport failure came after the request left: it may have landed.
                unknown = isinstance(error, HTTPClientError) and not isinstance(error, ConnectionError)
                raise QueueUnavailableError(f"SQS {what} on {self.name} failed: {error}", delivery_unknown=unknown) from error
            attempts = (response or {}).get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1 if isinstance(response, dict) else 1
            span.record(attempts=attempts, retries=attempts - 1)
            return response

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> SendOutcome:
        outcome = SendOutcome()
        for start in range(0, len(messages), MAX_BATCH):
            self._send_ten(list(messages[start : start + MAX_BATCH]), outcome)
        return outcome

    def _send_ten(self, batch: list[OutgoingMessage], outcome: SendOutcome) -> None:
        pending = {str(index): message for index, message in enumerate(batch)}
        for attempt in range(ENTRY_RETRIES + 1):
            entries = [
                {"Id": entry_id, "MessageBody": m.body, "MessageDeduplicationId": m.sqs_dedup_id, "MessageGroupId": m.sqs_group_id}
                for entry_id, m in pending.items()
            ]
            outcome.requests += 1
            response = self._call("SendMessageBatch", lambda: self.client.send_message_batch(QueueUrl=self.url, Entries=entries))
            for success in response.get("Successful", []):
                outcome.sent.append(pending.pop(success["Id"]).dedup_id)
            failed = {entry["Id"]: entry for entry in response.get("Failed", [])}
            retryable = {entry_id: entry for entry_id, entry in failed.items() if not entry.get("SenderFault")}
            for entry_id, entry in failed.items():
                if entry_id not in retryable:
                    outcome.failed[pending.pop(entry_id).dedup_id] = f"{entry.get('Code')}: {entry.get('Message', '')}"
            if not pending:
                return
            if attempt < ENTRY_RETRIES:
                outcome.retried += len(pending)
                self.sleep(min(0.2 * 2**attempt, 3.0))
        for entry_id, message in pending.items():
            entry = failed.get(entry_id, {})
            outcome.failed[message.dedup_id] = f"{entry.get('Code', 'Failed')}: {entry.get('Message', '')} (after {ENTRY_RETRIES} retries)"

    def receive(self, max_messages: int = MAX_BATCH, visibility_timeout: int | None = None) -> list[ReceivedMessage]:
        options: dict[str, Any] = {
            "QueueUrl": self.url,
            "MaxNumberOfMessages": min(max_messages, MAX_BATCH),
            "MessageSystemAttributeNames": ["ApproximateReceiveCount", "MessageDeduplicationId", "MessageGroupId"],
            "WaitTimeSeconds": 0,
        }
        if visibility_timeout is not None:
            options["VisibilityTimeout"] = visibility_timeout
        response = self._call("ReceiveMessage", lambda: self.client.receive_message(**options))
        return [
            ReceivedMessage(
                message_id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m.get("Body", ""),
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
                dedup_id=m.get("Attributes", {}).get("MessageDeduplicationId", ""),
                group_id=m.get("Attributes", {}).get("MessageGroupId", ""),
            )
            for m in response.get("Messages", [])
        ]

    def delete(self, receipt_handle: str) -> None:
        self._call("DeleteMessage", lambda: self.client.delete_message(QueueUrl=self.url, ReceiptHandle=receipt_handle))

    def release(self, receipt_handle: str) -> None:
        self._call("ChangeMessageVisibility", lambda: self.client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=0))

    def depth(self) -> QueueDepth:
        response = self._call(
            "GetQueueAttributes", lambda: self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=DEPTH_ATTRIBUTES)
        )
        attributes = response.get("Attributes", {})
        return QueueDepth(int(attributes.get(DEPTH_ATTRIBUTES[0], 0)), int(attributes.get(DEPTH_ATTRIBUTES[1], 0)))

    def arn(self) -> str:
        response = self._call("GetQueueAttributes", lambda: self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"]))
        return response["Attributes"]["QueueArn"]

    def start_move_task(self, source_arn: str, destination_arn: str) -> str | None:
        """SQS's own DLQ redrive (StartMessageMoveTask); ``None`` where it is unavailable (moto, or
        a policy that does not allow it), so the caller falls back to receive, send, delete."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.start_message_move_task(SourceArn=source_arn, DestinationArn=destination_arn)
        except (ClientError, BotoCoreError, NotImplementedError):
            return None
        return response.get("TaskHandle")
