"""The jobs process: scheduled jobs and the queue of long tasks (`python -m jobs`)."""
