"""Scheduled housekeeping of the task queue and of the jobs' own records."""
from __future__ import annotations

import logging

from registry.tasks import services
from registry.tasks.models import JobRun

log = logging.getLogger(__name__)


def reclaim(_run: JobRun) -> None:
    """Requeue tasks whose process died; fail those out of attempts."""
    counts = services.reclaim_expired()
    if any(counts.values()):
        log.info("reclaimed tasks: %(requeued)d requeued, %(failed)d failed", counts)


def prune_runs(_run: JobRun) -> None:
    """Forget old scheduled runs."""
    services.prune_job_runs()


def prune_spent_codes(_run: JobRun) -> None:
    """Forget workers' codes and sessions that stopped working long ago, and accounts' ended web sessions."""
    from registry import clock
    from registry.accounts import sessions as account_sessions
    from registry.selfservice import services as selfservice

    now = clock.now()
    counts = selfservice.prune_spent(now)
    # An account session past a lifetime can never sign in again: nothing to keep it for.
    counts["account_sessions"] = account_sessions.prune_ended(now, account_sessions.lifetimes())
    if any(counts.values()):
        log.info("pruned %(codes)d spent codes, %(sessions)d ended worker sessions and "
                 "%(account_sessions)d ended account sessions", counts)


def lapse_attachments(_run: JobRun) -> None:
    """End attachments of existing workers that were not confirmed in time (one log entry each)."""
    from registry import clock
    from registry.clock import today
    from registry.keys import keyring
    from registry.workers import attach

    seqs = attach.end_lapsed(keyring(), today=today(), now=clock.now())
    if seqs:
        log.info("ended %d lapsed attachments awaiting confirmation", len(seqs))


def expire_sanctions(_run: JobRun) -> None:
    """Record the end of every sanction whose publication window has passed (one log entry each; idempotent)."""
    from registry.clock import today
    from registry.keys import keyring
    from registry.sanctions import services as sanctions

    count = sanctions.expire_due(keyring(), today())
    if count:
        log.info("recorded the end of %d sanctions' windows", count)


def queue_bulletins(_run: JobRun) -> None:
    """Withdraw every current bulletin that carries a record changed since it was made (bulletins/follow.py), then
    queue the generation of every ended month and week that has no current bulletin (bulletins.generate)."""
    from registry import clock
    from registry.bulletins import follow, generate
    from registry.keys import keyring

    withdrawn = follow.withdraw_affected(keyring())
    if withdrawn:
        log.info("withdrew the bulletins of %d periods to reissue them: %s", len(withdrawn), ", ".join(withdrawn))
    queued = generate.queue_ended(clock.now())
    if queued:
        log.info("queued the bulletins of %d periods", len(queued))


def refresh_credit_scores(_run: JobRun) -> None:
    """Compute again every kept credit score whose facts stopped giving it (a window ended, a dated fact began)."""
    from registry.clock import today
    from registry.credit import services as credit

    count = credit.refresh_due(today())
    if count:
        log.info("computed again %d credit scores whose components moved", count)


def prune_customer_messages(_run: JobRun) -> None:
    """Delete the outbox's messages to customers (review codes) older than CUSTOMER_MESSAGE_DAYS (30)."""
    from registry import clock
    from registry.notify import services as notify

    count = notify.prune_customer_messages(clock.now())
    if count:
        log.info("deleted %d messages to customers older than their keeping time", count)


def apply_retention(_run: JobRun) -> None:
    """Retention (PIPL art. 19, 47; registry/retention/services.py): erase the workers with no employment for
    RETENTION_WORKER_YEARS (one `worker:erase` entry each), delete staff files after RETENTION_STAFF_FILE_DAYS and
    access and household query records after their years; committed batches (a long job: it commits its own)."""
    from flask import current_app

    from registry import clock
    from registry.keys import keyring
    from registry.retention import rules
    from registry.retention import services as retention

    periods = rules.periods_from(current_app.config)
    problems = rules.check_periods(periods)
    if problems:
        log.error("retention: not applied, the periods are wrong: %s", "; ".join(problems))
        return
    applied = retention.apply(keyring(), today=clock.today(), now=clock.now(), periods=periods,
                              batch=current_app.config["RETENTION_BATCH"])
    log.info("retention: %d workers erased (%s kept by a refusal), %d staff files and %d service files deleted, "
             "%d access records and %d household query records deleted", applied.erased,
             sum(applied.passed_by.values()), applied.staff_files, applied.service_files, applied.access_records,
             applied.household_queries)
