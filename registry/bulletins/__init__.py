"""Public disclosure bulletins (公示公告): monthly and weekly periods and the open-data change files between them."""
