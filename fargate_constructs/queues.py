"""Dead-letter queues made the same way wherever the library needs one."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

DEAD_LETTER_RETENTION = Duration.days(14)  # SQS's longest


def create_dead_letter_queue(scope: Construct, id: str, *, key: kms.IKey | None) -> sqs.Queue:
    """An SSL-only queue keeping messages 14 days, encrypted with ``key`` (SSE-SQS without
    one). It says which queues may redrive into it instead of having a DLQ of its own
    (Control Tower's SQS.PR.1 accepts either). ``allowAll``: the control refuses ``denyAll``,
    and ``byQueue`` naming the source queue would be a cycle (that queue's redrive policy
    already names this one)."""
    return sqs.Queue(
        scope,
        id,
        encryption=None if key is not None else sqs.QueueEncryption.SQS_MANAGED,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION,
        redrive_allow_policy=sqs.RedriveAllowPolicy(
            redrive_permission=sqs.RedrivePermission.ALLOW_ALL
        ),
    )
