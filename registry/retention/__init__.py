"""Retention (PIPL art. 19, 47): periods, what is due, erasure of workers, deletion of old records."""
