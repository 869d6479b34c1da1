"""Background jobs of delivery (Celery beat in production, in-process otherwise)."""

from celery import shared_task

from examhall.delivery import services


@shared_task(name="examhall.delivery.tasks.submit_expired_attempts")
def submit_expired_attempts() -> int:
    return len(services.submit_expired_attempts())
