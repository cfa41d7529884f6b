"""Reference data every installation needs: regions and tiers, loaded idempotently."""
import csv
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import PackageTier, Region

DATA = Path(__file__).resolve().parent / "data"


class _Silent:
    """A file that swallows a progress bar."""

    def write(self, _text):
        return 0

    def flush(self):
        return None

    def isatty(self):
        return False


def progress_file(show):
    """Where click.progressbar draws: the terminal when `show`, else nowhere."""
    return None if show else _Silent()


def read_csv(name):
    """Rows of a seed file as dicts with stripped values."""
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(handle)]


def load_regions(filename="wilayah_dki_jakarta.csv", centroids="kecamatan_centroids.csv"):
    """Upsert regions by code, parents first; kecamatan get approximate centres, kota their mean."""
    existing = {region.code: region for region in db.session.scalars(select(Region))}
    created = 0
    for row in read_csv(filename):
        region = existing.get(row["kode"])
        if region is None:
            region = Region(code=row["kode"])
            db.session.add(region)
            existing[row["kode"]] = region
            created += 1
        region.level = row["level"]
        region.name = row["nama"]
        region.parent = existing.get(row["kode_induk"]) if row["kode_induk"] else None
        region.area_km2 = float(row["luas_km2"]) if row["luas_km2"] else None
        region.population = int(row["penduduk"]) if row["penduduk"] else None
    for row in read_csv(centroids):
        region = existing.get(row["kode"])
        if region is not None:
            region.lat, region.lon = float(row["lat"]), float(row["lon"])
    for _level in ("kabupaten_kota", "provinsi"):  # kota from kecamatan, then provinsi from kota
        _centre_parents(existing.values())
    db.session.flush()
    return created


def _centre_parents(regions):
    """A region without a centre takes the mean of its children's (kota from kecamatan, ...)."""
    by_parent = {}
    for region in regions:
        if region.parent is not None and region.lat is not None:
            by_parent.setdefault(region.parent.code, []).append(region)
    for region in regions:
        children = by_parent.get(region.code)
        if region.lat is None and children:
            region.lat = sum(child.lat for child in children) / len(children)
            region.lon = sum(child.lon for child in children) / len(children)


def load_tiers(filename="tiers.csv"):
    """Upsert the package tiers by code (government may edit them afterwards; we keep their edits)."""
    existing = {tier.code: tier for tier in db.session.scalars(select(PackageTier))}
    created = 0
    for row in read_csv(filename):
        if row["code"] in existing:
            continue
        db.session.add(PackageTier(
            code=row["code"], name=row["name"], description=row["description"],
            min_cost=int(row["min_cost"]), max_cost=int(row["max_cost"]), min_pledge=int(row["min_pledge"]),
            whole_only=row["whole_only"] == "1", covers_all_aspects=row["covers_all_aspects"] == "1",
            sort_order=int(row["sort_order"]),
        ))
        created += 1
    db.session.flush()
    return created
