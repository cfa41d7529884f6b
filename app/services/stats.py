"""Headline figures, computed by SQL aggregates (a fixed number of queries at any scale)."""
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from app.domain import PackageStatus
from app.extensions import db
from app.models import RW, Package, Region

# Packages that count towards the programme's need: public and not cancelled.
COUNTED_STATUSES = (
    PackageStatus.PUBLISHED, PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED,
)


@dataclass
class Headline:
    """The landing page's numbers."""

    rws: int = 0
    rws_by_level: dict = field(default_factory=dict)
    packages_by_status: dict = field(default_factory=dict)
    needed: int = 0
    committed: int = 0
    received: int = 0
    households_funded: int = 0

    @property
    def public_packages(self):
        """Packages visible to the public."""
        return sum(self.packages_by_status.get(status, 0) for status in COUNTED_STATUSES)

    @property
    def committed_pct(self):
        """Share of the need committed, whole percent."""
        return 100 * self.committed // self.needed if self.needed else 0


def kotas_with_rws():
    """(code, name) of every kabupaten/kota that has RWs, for the finder on the landing page."""
    return db.session.execute(
        select(Region.code, Region.name).where(Region.id.in_(select(RW.kota_id).distinct())).order_by(Region.code)
    ).all()


def headline():
    """RWs by severity, packages by status, and the money of public packages: three queries."""
    figures = Headline()
    for level, count in db.session.execute(select(RW.slum_level, func.count(RW.id)).group_by(RW.slum_level)):
        figures.rws_by_level[level] = count
        figures.rws += count
    public = Package.status.in_(COUNTED_STATUSES)
    for status, count in db.session.execute(
        select(Package.status, func.count(Package.id)).group_by(Package.status)
    ):
        figures.packages_by_status[status] = count
    funded = Package.status.in_((PackageStatus.FUNDED, PackageStatus.IN_PROGRESS, PackageStatus.COMPLETED))
    row = db.session.execute(
        select(
            func.coalesce(func.sum(Package.estimate), 0),
            func.coalesce(func.sum(Package.committed), 0),
            func.coalesce(func.sum(Package.received), 0),
            func.coalesce(func.sum(case((funded, RW.households), else_=0)), 0),
        ).join(RW, RW.id == Package.rw_id).where(public)
    ).one()
    figures.needed, figures.committed, figures.received, figures.households_funded = (int(v) for v in row)
    return figures
