"""Who may do what to which object — the one place that decides.

Views call `require(action, obj)` (or the `permission_required` decorator); templates call
`can(action, obj)`. Rules are small functions of (user, obj) so object-level checks such as
"an aggregator touches only its own organisation's packages" live beside the role checks.
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from app.domain import OrganisationKind, PackageStatus, ReportStatus, Role
from app.services.assignments import REQUESTABLE, rw_in_operating_regions


def _role(*roles):
    return lambda user, obj=None: user.is_authenticated and user.role in roles


def _own_organisation_package(user, package):
    """Aggregator staff act on packages their organisation manages; government and admins on all."""
    if not user.is_authenticated:
        return False
    if user.role in (Role.GOVERNMENT, Role.ADMIN):
        return True
    return (
        user.role == Role.AGGREGATOR
        and package is not None
        and package.aggregator_id is not None
        and package.aggregator_id == user.organisation_id
    )


def _own_aggregator_work(user, package):
    """Only the managing organisation's staff report progress and spending: government verifies what they
    report, so it does not write reports itself."""
    return (
        user.is_authenticated
        and user.role == Role.AGGREGATOR
        and package is not None
        and package.aggregator_id is not None
        and package.aggregator_id == user.organisation_id
    )


def _report_visible(user, report):
    """A verified report of a public package is public; others only to those who manage the package."""
    if report is None:
        return False
    if report.status == ReportStatus.VERIFIED and report.package.status != PackageStatus.DRAFT:
        return True
    return _own_organisation_package(user, report.package)


def _own_pledge(user, pledge):
    """A collaborator sees their own pledges; the managing aggregator, government and admins too."""
    if not user.is_authenticated or pledge is None:
        return False
    if pledge.collaborator_id == user.id or user.role in (Role.GOVERNMENT, Role.ADMIN):
        return True
    return user.role == Role.AGGREGATOR and pledge.package.aggregator_id == user.organisation_id


def _own_notification(user, notification):
    """Notifications are private to the user they were written for, whatever the role."""
    return user.is_authenticated and notification is not None and notification.user_id == user.id


def _may_request(user, package=None):
    """Staff of a verified aggregator may ask for an open, unassigned package in their operating regions."""
    if not (user.is_authenticated and user.role == Role.AGGREGATOR and user.organisation is not None):
        return False
    organisation = user.organisation
    if organisation.kind != OrganisationKind.AGGREGATOR or not organisation.verified:
        return False
    if package is None:
        return True
    return (
        package.aggregator_id is None
        and package.status in REQUESTABLE
        and rw_in_operating_regions(package.rw, organisation)
    )


RULES = {
    # accounts and organisations
    "admin.users": _role(Role.ADMIN),
    "admin.organisations": _role(Role.ADMIN),
    # regions and packages (government's tools)
    "region.manage": _role(Role.GOVERNMENT, Role.ADMIN),
    "package.create": _role(Role.GOVERNMENT, Role.ADMIN),
    "package.edit": _role(Role.GOVERNMENT, Role.ADMIN),
    "package.publish": _role(Role.GOVERNMENT, Role.ADMIN),
    "package.assign": _role(Role.GOVERNMENT, Role.ADMIN),
    "package.cancel": _role(Role.GOVERNMENT, Role.ADMIN),
    "tier.manage": _role(Role.GOVERNMENT, Role.ADMIN),
    "monitoring.view": _role(Role.GOVERNMENT, Role.ADMIN),
    "manage.view": _role(Role.GOVERNMENT, Role.ADMIN, Role.AGGREGATOR),
    "package.view_draft": _role(Role.GOVERNMENT, Role.ADMIN),
    # aggregator work on one package
    "package.manage": _own_organisation_package,
    "package.request": _may_request,
    "assignment.decide": _role(Role.GOVERNMENT, Role.ADMIN),
    "progress.report": _own_aggregator_work,
    "spending.record": _own_aggregator_work,
    "report.verify": _role(Role.GOVERNMENT, Role.ADMIN),
    "report.view": _report_visible,
    "receipt.view": lambda user, expenditure: expenditure is not None and _own_organisation_package(
        user, expenditure.package),
    # collaborators
    "pledge.create": _role(Role.COLLABORATOR),
    "match.use": _role(Role.COLLABORATOR),
    "pledge.view": _own_pledge,
    "pledge.cancel": lambda user, pledge: (
        user.is_authenticated and pledge is not None and pledge.collaborator_id == user.id
    ),
    "pledge.confirm": lambda user, pledge: pledge is not None and _own_organisation_package(user, pledge.package),
    # everyone signed in
    "notification.read": _own_notification,
}


def can(action, obj=None, user=None):
    """True when `user` (default: the current user) may perform `action` on `obj`."""
    user = user if user is not None else current_user
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"No permission rule named {action!r}")
    return bool(rule(user, obj))


def require(action, obj=None):
    """Abort with 401 (anonymous) or 403 (signed in, not allowed) unless allowed."""
    if can(action, obj):
        return
    abort(401 if not current_user.is_authenticated else 403)


def permission_required(action):
    """View decorator for actions that need no object."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
