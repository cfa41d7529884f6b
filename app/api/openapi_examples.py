"""Examples of the OpenAPI document's responses (a test validates each against its schema)."""

REGION = {"kota": {"code": "31.72", "name": "Kota Administrasi Jakarta Utara", "level": "kabupaten_kota"},
          "kecamatan": {"code": "31.72.04", "name": "Cilincing", "level": "kecamatan"},
          "kelurahan": {"code": "31.72.04.1004", "name": "Kalibaru", "level": "kelurahan"}}
CARD = {
    "id": 12, "title": "Drainase dan sanitasi RW 07", "status": "published", "tier": "bersama",
    "estimate": 450_000_000, "committed": 120_000_000, "received": 50_000_000, "remaining": 330_000_000,
    "funded_pct": 26, "progress_pct": 0,
    "rw": {"id": 301, "number": 7, "households": 812, "slum_score": 64, "slum_level": "berat",
           "location_approximate": False},
    "kelurahan": "Kalibaru", "kecamatan": "Cilincing",
    "kota": {"code": "31.72", "name": "Kota Administrasi Jakarta Utara"},
    "aggregator": "Yayasan Kampung Sehat", "published_at": "2024-04-02T03:15:00", "url": "/api/v1/packages/12",
}
PACKAGE_LIST = {"data": [CARD], "meta": {"page": 1, "per_page": 24, "total": 1, "pages": 1},
                "links": {"self": "/api/v1/packages?kota=31.72"}}
RW = {"id": 301, "number": 7, **REGION, "lat": -6.10567, "lon": 106.91234, "location_approximate": False,
      "households": 812, "population": 3105, "area_ha": 6.4, "slum_score": 64, "slum_level": "berat"}
ASSESSMENT = {
    "assessed_on": "2024-03-12", "is_baseline": False,
    "shares": {"bld_irregular": 80.0, "road_coverage": 55.5, "drain_runoff": 76.3, "waste_system": 90.0},
    "aspect_scores": {"bangunan": 5, "jalan": 3, "drainase": 5, "air_limbah": 5},
    "total_score": 64, "level": "berat",
}
PACKAGE = {
    "id": 12, "title": "Drainase dan sanitasi RW 07", "description": "Saluran U-ditch dan IPAL komunal.",
    "status": "published", "tier": {"code": "bersama", "name": "Bersama", "whole_only": False,
                                    "min_pledge": 1_000_000},
    "aggregator": "Yayasan Kampung Sehat", "estimate": 450_000_000, "committed": 120_000_000,
    "received": 50_000_000, "spent": 0, "remaining": 330_000_000, "progress_pct": 0,
    "planned_start": "2024-06-01", "planned_end": "2024-12-15", "rw": RW,
    "work_items": [{"id": 77, "aspect": "drainase", "description": "Saluran U-ditch 40 cm", "quantity": "300.00",
                    "unit": "m", "unit_cost": 1_500_000, "subtotal": 450_000_000, "progress_pct": 0}],
    "assessment": ASSESSMENT,
    "supporters": [{"name": "PT Maju Bersama", "anonymous": False, "amount": 100_000_000, "status": "received"},
                   {"name": None, "anonymous": True, "amount": 20_000_000, "status": "pledged"}],
    "history": [{"at": "2024-04-02T03:15:00", "from": "draft", "to": "published", "by": "Dinas Perkim",
                 "reason": None}],
}
RW_DETAIL = {**RW, "assessments": [ASSESSMENT], "packages": [
    {"id": 12, "title": "Drainase dan sanitasi RW 07", "status": "published", "estimate": 450_000_000,
     "committed": 120_000_000, "url": "/api/v1/packages/12"}]}
PLEDGE = {
    "id": 5012, "package_id": 12, "amount": 2_500_000, "work_item_id": None, "anonymous": False,
    "message": "Semoga lancar", "status": "pledged", "created_at": "2024-05-01T08:00:00",
    "package": {"status": "published", "committed": 122_500_000, "remaining": 327_500_000},
    "receipt_url": "/pledges/5012",
}
PREFERENCES = {"budget": 500_000_000, "aspects": ["drainase", "air_limbah"], "regions": ["Jakarta Utara"],
               "regions_required": False, "tier_ids": [1], "sites": ["Pabrik Cilincing"]}
RECOMMENDATION = {
    "package": CARD, "score": 78.5,
    "parts": {"need": 0.9, "fit": 1.0, "affordability": 1.0, "proximity": 0.6, "momentum": 0.26, "region": 1.0},
    "reasons": ["Severe slum RW (score 64) with 812 households", "Works on drainage, one of your focus aspects"],
    "reason_text": "Severe slum RW (score 64) with 812 households; works on drainage, one of your focus aspects.",
    "nearest_site": {"name": "Pabrik Cilincing", "distance_km": 2.4},
}
RECOMMENDATION_LIST = {
    "data": [RECOMMENDATION],
    "meta": {"page": 1, "per_page": 20, "total": 1, "pages": 1,
             "weights": {"need": 30, "fit": 20, "affordability": 15, "proximity": 15, "momentum": 10, "region": 10},
             "preferences": PREFERENCES},
    "links": {"self": "/api/v1/recommendations?page=1"},
}
PLAN = {
    "budget": 500_000_000, "unit": 100_000, "total": 330_000_000, "leftover": 170_000_000,
    "covered": {"packages": 1, "households": 812, "population": 3105, "area_ha": 6.4},
    "lines": [{**RECOMMENDATION, "amount": 330_000_000, "completes": True, "need_value": 650}],
    "preferences": PREFERENCES,
}
