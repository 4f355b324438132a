"""Every action tag a log entry may carry: one enum, never loose strings."""
from enum import Enum


class Action(str, Enum):  # noqa: UP042 — str(action) and format() stay as they were for every stored tag
    AGENCY_CREATE = "agency:create"
    AGENCY_USER_ADD = "agency:user:add"
    COMPANY_REGISTER = "company:register"
    COMPANY_REGISTER_REVIEWED = "company:register:reviewed"
    COMPANY_VERIFY = "company:verify"
    COMPANY_REJECT = "company:reject"
    COMPANY_UPDATE = "company:update"
    COMPANY_CHANGE_REQUEST = "company:change:request"
    COMPANY_CHANGE_APPROVE = "company:change:approve"
    COMPANY_CHANGE_REJECT = "company:change:reject"
    COMPANY_CHANGE_WITHDRAW = "company:change:withdraw"
    COMPANY_PLEDGE_SIGN = "company:pledge:sign"
    # A regulator of the company records that its current pledge was found broken (docs/rules.md).
    COMPANY_PLEDGE_BREAK = "company:pledge:break"
    COMPANY_USER_ADD = "company:user:add"
    WORKER_REGISTER = "worker:register"
    # Attaching an existing worker, confirmed at once: entries written before confirmations existed.
    WORKER_EMPLOY = "worker:employ"
    # Attaching an existing worker: pending until the worker confirms; lapsed if they never do.
    WORKER_EMPLOY_PENDING = "worker:employ:pending"
    WORKER_EMPLOY_CONFIRM = "worker:employ:confirm"
    WORKER_EMPLOY_LAPSE = "worker:employ:lapse"
    WORKER_EMPLOYMENT_END = "worker:employment:end"
    WORKER_RECORD_ADD = "worker:record:add"
    WORKER_RECORD_CORRECT = "worker:record:correct"
    WORKER_PHOTO_SET = "worker:photo:set"
    # The worker's name, ID number, phone and photo erased (PIPL art. 47): by `system` when the retention period
    # ended, or by a regulator's or operator's account on a lawful request (registry/retention/erasure.py).
    WORKER_ERASE = "worker:erase"
    CARD_ISSUE = "card:issue"
    REPORT_FILE = "report:file"
    REPORT_CLOSE = "report:close"
    SANCTION_RECORD = "sanction:record"
    SANCTION_NOTIFY = "sanction:notify"
    SANCTION_DECIDE = "sanction:decide"
    SANCTION_APPROVE = "sanction:approve"
    SANCTION_PUBLISH = "sanction:publish"
    SANCTION_EXPIRE = "sanction:expire"
    SANCTION_CORRECT = "sanction:correct"
    # Credit repair (信用修复): the subject applies; the issuing agency approves (repaired) or rejects.
    SANCTION_REPAIR_APPLY = "sanction:repair:apply"
    SANCTION_REPAIR_APPROVE = "sanction:repair:approve"
    SANCTION_REPAIR_REJECT = "sanction:repair:reject"
    # A revoked decision: its revocation recorded (pending withdrawal), then withdrawn by the issuing agency.
    SANCTION_REVOCATION = "sanction:revocation"
    SANCTION_WITHDRAW = "sanction:withdraw"
    # Objections (异议) to a sanction: the subject files one; the issuing agency accepts or rejects it, then upholds
    # it (correcting or withdrawing the sanction in the same entry) or dismisses it.
    SANCTION_OBJECTION_FILE = "sanction:objection:file"
    SANCTION_OBJECTION_ACCEPT = "sanction:objection:accept"
    SANCTION_OBJECTION_REJECT = "sanction:objection:reject"
    SANCTION_OBJECTION_UPHOLD = "sanction:objection:uphold"
    SANCTION_OBJECTION_DISMISS = "sanction:objection:dismiss"
    ACCOUNT_DISABLE = "account:disable"
    ACCOUNT_ENABLE = "account:enable"
    ACCOUNT_PASSWORD_CHANGE = "account:password:change"  # noqa: S105
    ACCOUNT_PASSWORD_RESET = "account:password:reset"  # noqa: S105
    ACCOUNT_TOTP_RESET = "account:totp:reset"
    ACCOUNT_TOKEN_ISSUE = "account:token:issue"  # noqa: S105
    ACCOUNT_TOKEN_REVOKE = "account:token:revoke"  # noqa: S105
    # An operator loads a year's official working-day schedule (or a corrected one).
    CALENDAR_LOAD = "calendar:load"
    # A public disclosure bulletin's version is published (its files and signed manifest), or withdrawn.
    BULLETIN_PUBLISH = "bulletin:publish"
    BULLETIN_WITHDRAW = "bulletin:withdraw"
    # A company records a service (追溯); the customer reviews it once (anonymous); the company replies once.
    SERVICE_RECORD = "service:record"
    SERVICE_REVIEW = "service:review"
    SERVICE_REPLY = "service:reply"
    # Objections (异议) to a service's review: its company or worker files one; a regulator of the company's sector
    # (or market supervision) accepts or rejects it, then upholds it (withdrawing the review from every public
    # summary in the same entry) or dismisses it.
    SERVICE_OBJECTION_FILE = "service:objection:file"
    SERVICE_OBJECTION_ACCEPT = "service:objection:accept"
    SERVICE_OBJECTION_REJECT = "service:objection:reject"
    SERVICE_OBJECTION_UPHOLD = "service:objection:uphold"
    SERVICE_OBJECTION_DISMISS = "service:objection:dismiss"
    # Complaints (投诉): filed (anonymous), each regulator's step, the subject's responses.
    COMPLAINT_FILE = "complaint:file"
    COMPLAINT_ACCEPT = "complaint:accept"
    COMPLAINT_REJECT = "complaint:reject"
    COMPLAINT_INVESTIGATE = "complaint:investigate"
    COMPLAINT_SUBSTANTIATE = "complaint:substantiate"
    COMPLAINT_DISMISS = "complaint:dismiss"
    COMPLAINT_RESPOND = "complaint:respond"
    # Objections (异议) to a substantiated complaint: the subject files one; the concluding agency accepts or
    # rejects it, then upholds it (withdrawing the complaint or correcting its category in the same entry) or
    # dismisses it.
    COMPLAINT_OBJECTION_FILE = "complaint:objection:file"
    COMPLAINT_OBJECTION_ACCEPT = "complaint:objection:accept"
    COMPLAINT_OBJECTION_REJECT = "complaint:objection:reject"
    COMPLAINT_OBJECTION_UPHOLD = "complaint:objection:uphold"
    COMPLAINT_OBJECTION_DISMISS = "complaint:objection:dismiss"
    # Commendations (表彰): a regulator of the company's sectors (or market supervision) records one; the recording
    # agency revokes one recorded in error.
    COMMENDATION_RECORD = "commendation:record"
    COMMENDATION_REVOKE = "commendation:revoke"
    # An operator adopts a credit-rules version (credit_rules): one entry; the recompute it queues writes none.
    CREDIT_RULES_ADOPT = "credit_rules:adopt"
    # Human review of a credit score (PIPL art. 24): the company or the worker asks for it; a regulator who may
    # answer does, with a note and optionally a correction that enters the score in the same entry.
    SCORE_REVIEW_FILE = "score_review:file"
    SCORE_REVIEW_ANSWER = "score_review:answer"

    def __str__(self) -> str:
        return self.value
