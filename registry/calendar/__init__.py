"""The official working-day calendar: China's statutory holidays and make-up working days (调休).

`workdays.py` counts working days (pure), `builtin.py` holds the built-in schedules from the chinesecalendar
and holidays packages (pure), `services.py` adds the years operators load (`calendar_years`, a logged aggregate)
and answers deadlines; `cli.py` is `flask calendar load|show`. No pages, no API.
"""
