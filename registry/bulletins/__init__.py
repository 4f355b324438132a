"""Public disclosure bulletins (公示公告): the monthly and weekly signed PDFs and open data of the blacklist."""
