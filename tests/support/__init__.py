"""Helpers the tests share (and the benchmarks borrow): worlds of test data, page and API helpers, the
sample task handlers the jobs tests load. Nothing here is collected as a test."""
