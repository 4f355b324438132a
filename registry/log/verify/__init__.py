"""Verifying the log: locally against the database and the keys (`local`, its tree check in `tree`), or
remotely over the public endpoints (`remote`, an HTTP client calling the pure checks in `checks`).

An edit made directly in the database, to the log or to a business table, is named by `verify_local`;
a log that forked or was rolled back since the remote verifier last looked raises its alarm.
"""
from .checks import RemoteError, records_from
from .local import check_checkpoints, check_entries, head_size, open_checkpoints, replay, verify_local
from .remote import http_fetch, load_state, save_state, verify_remote
from .report import Report
from .tree import TREE_CHUNK, check_tree, without_cycle_collector

__all__ = ["TREE_CHUNK", "RemoteError", "Report", "check_checkpoints", "check_entries", "check_tree", "head_size",
           "http_fetch",
           "load_state", "open_checkpoints", "records_from", "replay", "save_state", "verify_local",
           "verify_remote", "without_cycle_collector"]
