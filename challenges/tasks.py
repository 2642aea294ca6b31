"""Celery tasks of challenges: thin, id-based wrappers around services.

`challenge_close_due_task` runs on the beat schedule (settings.CELERY_BEAT_SCHEDULE); the
notification tasks are queued with `transaction.on_commit` by the services.
"""

from celery import shared_task

from challenges import services
from challenges.models import Amendment, Question


@shared_task
def challenge_close_due_task() -> int:
    return services.challenge_close_due()


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=30, max_retries=5)
def question_answer_notify_task(question_id: int) -> int:
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        return 0
    return services.question_answer_notify(question=question)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=30, max_retries=5)
def amendment_notify_task(amendment_id: int) -> int:
    amendment = Amendment.objects.filter(pk=amendment_id).select_related("challenge").first()
    if amendment is None:
        return 0
    return services.amendment_notify(amendment=amendment)
