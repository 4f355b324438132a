"""Public disclosure bulletins (公示公告): ..."""
