"""Notification routes: read input, check the notification is the user's own, call one service."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.notifications import bp
from app.permissions import can
from app.services import notifications
from app.urls import safe_next


def _own(notification_id):
    """The current user's notification, else 404 (another user's must not even be confirmed to exist)."""
    notification = notifications.get(notification_id)
    if not can("notification.read", notification):
        abort(404)
    return notification


def _back():
    return redirect(url_for("notifications.index", page=request.args.get("page", type=int)))


@bp.get("/")
@login_required
def index():
    """The user's notifications, newest first; unread ones stand out."""
    page = notifications.page_for(current_user, request.args.get("page", 1, type=int))
    return render_template("notifications/index.html", page=page)


@bp.post("/<int:notification_id>/open")
@login_required
def open_notification(notification_id):
    """Mark read and go where the notification points (local paths only)."""
    notification = _own(notification_id)
    target = safe_next(notification.url)
    notifications.mark_read(notification)
    return redirect(target or url_for("notifications.index"))


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id):
    """Mark one notification read and stay on the list."""
    notifications.mark_read(_own(notification_id))
    return _back()


@bp.post("/read-all")
@login_required
def mark_all_read():
    """Mark every notification of the user read."""
    count = notifications.mark_all_read(current_user)
    flash(ngettext("%(num)s notification marked as read.", "%(num)s notifications marked as read.", count),
          "success")
    return _back()
