"""Domain events: services announce what happened; listeners (notifications) react.

Receivers run synchronously inside the sender's transaction, so whatever they write (an in-app
notification, an outbox e-mail) is committed together with the change, or not at all.
Each signal is sent with the object as sender and `actor=` the user who caused it (may be None).
"""
from blinker import Namespace

_events = Namespace()

pledge_created = _events.signal("pledge-created")
pledge_received = _events.signal("pledge-received")
pledge_cancelled = _events.signal("pledge-cancelled")
package_status_changed = _events.signal("package-status-changed")  # sender=package, before=, after=
report_verified = _events.signal("report-verified")  # sender=report, package=
report_rejected = _events.signal("report-rejected")  # sender=report, package=, reason=
