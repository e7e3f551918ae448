"""Every periodic job, in one list; read by ``rq cron app.tasks.schedule``.

Cron fields use the scheduler process's local time: run it with
``TZ=Asia/Ho_Chi_Minh``.
"""

from rq import cron

from app.tasks.imports import sweep_imports
from app.tasks.maintenance import analyze_database, purge_sessions
from app.tasks.notifications import deadline_reminders, email_digest
from app.tasks.reports import report_deadline_notices, schedule_reports, sweep_reports

cron.register(purge_sessions, "default", cron="15 2 * * *", name="purge_sessions")
cron.register(analyze_database, "default", cron="45 2 * * *", name="analyze_database")
cron.register(deadline_reminders, "default", cron="0 6 * * *", name="deadline_reminders")
cron.register(email_digest, "default", cron="30 6 * * *", name="email_digest")
# reports: the day's cut-off ends at midnight; instances and their generation just before it
cron.register(schedule_reports, "default", cron="30 23 * * *", name="schedule_reports")
cron.register(sweep_reports, "default", cron="* * * * *", name="sweep_reports")
cron.register(sweep_imports, "default", cron="* * * * *", name="sweep_imports")
cron.register(report_deadline_notices, "default", cron="10 6 * * *", name="report_deadline_notices")
