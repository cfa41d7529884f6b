"""Plain-dict views of domain objects for the JSON API (money in integer rupiah)."""
from app.domain import CRITERIA


def region_ref(region):
    """{code, name, level}."""
    return {"code": region.code, "name": region.name, "level": region.level}


def card(c, url_for):
    """A catalogue card."""
    return {
        "id": c.id,
        "title": c.title,
        "status": c.status,
        "tier": c.tier_code,
        "estimate": c.estimate,
        "committed": c.committed,
        "received": c.received,
        "remaining": c.remaining,
        "funded_pct": c.funded_pct,
        "progress_pct": c.progress_pct,
        "rw": {"id": c.rw_id, "number": c.rw_number, "households": c.households, "slum_score": c.slum_score,
               "slum_level": c.slum_level, "location_approximate": c.location_approximate},
        "kelurahan": c.kelurahan,
        "kecamatan": c.kecamatan,
        "kota": {"code": c.kota_code, "name": c.kota},
        "aggregator": c.aggregator,
        "published_at": c.published_at.isoformat() if c.published_at else None,
        "url": url_for("api.package", package_id=c.id),
    }


def assessment(record, score):
    """A slum assessment with its shares, per-aspect scores, total and level."""
    return {
        "assessed_on": record.assessed_on.isoformat(),
        "is_baseline": record.is_baseline,
        "shares": {column: getattr(record, column) for column, _aspect, _label in CRITERIA},
        "aspect_scores": score.aspects,
        "total_score": score.total,
        "level": str(score.level),
    }


def rw(record):
    """An RW without its history."""
    return {
        "id": record.id,
        "number": record.number,
        "kelurahan": region_ref(record.kelurahan),
        "kecamatan": region_ref(record.kecamatan),
        "kota": region_ref(record.kota),
        "lat": record.lat,
        "lon": record.lon,
        "location_approximate": record.location_approximate,
        "households": record.households,
        "population": record.population,
        "area_ha": record.area_ha,
        "slum_score": record.slum_score,
        "slum_level": record.slum_level,
    }


def package(detail):
    """A package with its RAB, funding, supporters (anonymous ones unnamed) and history."""
    p = detail.package
    return {
        "id": p.id,
        "title": p.title,
        "description": p.description,
        "status": p.status,
        "tier": {"code": p.tier.code, "name": p.tier.name, "whole_only": p.tier.whole_only,
                 "min_pledge": p.tier.min_pledge},
        "aggregator": p.aggregator.name if p.aggregator else None,
        "estimate": p.estimate,
        "committed": p.committed,
        "received": p.received,
        "spent": p.spent,
        "remaining": p.remaining,
        "progress_pct": p.progress_pct,
        "planned_start": p.planned_start.isoformat() if p.planned_start else None,
        "planned_end": p.planned_end.isoformat() if p.planned_end else None,
        "rw": rw(p.rw),
        "work_items": [
            {"id": item.id, "aspect": item.aspect, "description": item.description, "quantity": str(item.quantity),
             "unit": item.unit, "unit_cost": item.unit_cost, "subtotal": item.subtotal,
             "progress_pct": item.progress_pct}
            for item in p.items
        ],
        "assessment": assessment(detail.assessment, detail.score) if detail.assessment else None,
        "supporters": [
            {"name": s.organisation or s.name, "anonymous": s.name is None, "amount": s.amount, "status": s.status}
            for s in detail.supporters
        ],
        "history": [
            {"at": h.created_at.isoformat(), "from": h.before, "to": h.after, "by": h.name, "reason": h.reason}
            for h in detail.history
        ],
    }
