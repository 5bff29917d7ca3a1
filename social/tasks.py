"""E-mail delivery from the outbox, and the sweep that makes a broker outage harmless."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from social.models import OutgoingEmail
from social.services import email_enqueue

logger = logging.getLogger(__name__)

# An unsent row older than this is re-queued by the sweep (its first enqueue may be lost).
REQUEUE_AFTER = timedelta(minutes=2)


@shared_task(name="social.tasks.email_send", bind=True, max_retries=8, ignore_result=True, acks_late=True)
def email_send(self, email_id: str) -> bool:
    """Sends one outbox row, exactly once as far as this database can tell.

    The row stays locked (SELECT … FOR UPDATE) while the mail goes out and `sent_at` is
    written in the same transaction. A worker killed mid-send rolls the transaction
    back, the row is still unsent, and the redelivered task (acks_late) sends it. A
    concurrent duplicate of this task skips the locked row, and a later one sees
    `sent_at` and does nothing.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None or email.sent_at is not None:
            return False
        email.attempts += 1
        try:
            message = EmailMessage(
                subject=email.subject,
                body=email.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[email.to_email],
                headers={"Message-ID": f"<{email.pk}@tunewave>"},
            )
            message.send(fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - SMTP trouble: record it and retry later
            OutgoingEmail.objects.filter(pk=email.pk).update(attempts=email.attempts, last_error=str(exc)[:500])
            failed = exc
        else:
            email.sent_at = timezone.now()
            email.last_error = ""
            email.save(update_fields=["sent_at", "attempts", "last_error"])
            return True
    if self.app.conf.task_always_eager:
        logger.warning("e-mail %s failed; the sweep will retry", email_id)
        return False
    raise self.retry(exc=failed, countdown=min(3600, 30 * 2**self.request.retries))


@shared_task(name="social.tasks.emails_requeue", ignore_result=True)
def emails_requeue(limit: int = 500) -> int:
    """Periodic: re-enqueues outbox rows still unsent after REQUEUE_AFTER. Idempotent."""
    cutoff = timezone.now() - REQUEUE_AFTER
    ids = list(
        OutgoingEmail.objects.filter(sent_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for email_id in ids if email_enqueue(email_id=email_id))
