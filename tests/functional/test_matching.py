"""Matching: each preference moves the ranking the way it should; reasons say why; preferences, the
recommendations page, the planner and pledging a whole plan on the web; the same over the API."""
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain import PackageStatus, Role
from app.extensions import db
from app.models import CollaboratorSite, MatchPreference, Package, Pledge
from app.services import lifecycle, matching, pledging, preferences, tokens
from app.services.packages import ItemInput, aspect_mask, create_package

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def client(client):
    return client.use_language("en")


def items(*pairs):
    return [ItemInput(aspect, "Pekerjaan", Decimal(1), "ls", cost) for aspect, cost in pairs]


def open_package(make, rw, tier, pairs, title="Paket"):
    package = create_package(rw, tier, title, items(*pairs))
    lifecycle.transition(package, PackageStatus.PUBLISHED)
    db.session.commit()
    return package


@pytest.fixture
def twins(make):
    """Two Bersama packages identical in need, funding and place, to be told apart by one preference."""
    kelurahan = make.region_tree("31.72")
    tier = make.tier()
    a = open_package(make, make.rw(kelurahan=kelurahan, share=60.0), tier, [("drainase", 300_000_000)], "A")
    b = open_package(make, make.rw(kelurahan=kelurahan, share=60.0), tier, [("drainase", 300_000_000)], "B")
    return a, b


def ranked_ids(profile):
    return [item.card.id for item in matching.recommend(profile, per_page=50).items]


def test_aspect_mask_counts_aspects_taking_a_tenth_and_always_the_largest():
    assert aspect_mask([("drainase", 95), ("jalan", 5)]) == matching.aspect_bit("drainase")
    assert aspect_mask([("drainase", 90), ("jalan", 10)]) == (matching.aspect_bit("drainase")
                                                              | matching.aspect_bit("jalan"))
    assert aspect_mask([("air_limbah", 5), ("jalan", 3), ("sampah", 3)]) != 0
    assert aspect_mask([]) == 0


def test_without_preferences_need_ranks_first(make):
    tier = make.tier()
    kelurahan = make.region_tree("31.72")
    mild = open_package(make, make.rw(kelurahan=kelurahan, share=30.0), tier, [("drainase", 300_000_000)])
    severe = open_package(make, make.rw(kelurahan=kelurahan, share=90.0), tier, [("drainase", 300_000_000)])
    assert ranked_ids(matching.Profile()) == [severe.id, mild.id]


def test_more_households_rank_higher_all_else_equal(make):
    tier = make.tier()
    kelurahan = make.region_tree("31.72")
    small = open_package(make, make.rw(kelurahan=kelurahan, households=100), tier, [("drainase", 300_000_000)])
    large = open_package(make, make.rw(kelurahan=kelurahan, households=900), tier, [("drainase", 300_000_000)])
    assert ranked_ids(matching.Profile()) == [large.id, small.id]


def test_focus_aspects_lift_packages_that_work_on_them(make):
    tier = make.tier()
    kelurahan = make.region_tree("31.72")
    roads = open_package(make, make.rw(kelurahan=kelurahan, share=80.0), tier, [("jalan", 300_000_000)])
    sanitation = open_package(make, make.rw(kelurahan=kelurahan, share=60.0), tier,
                              [("air_limbah", 200_000_000), ("drainase", 100_000_000)])
    assert ranked_ids(matching.Profile())[0] == roads.id  # more severe
    focused = matching.Profile(aspects=("air_limbah", "drainase"))
    assert ranked_ids(focused) == [sanitation.id, roads.id]
    best = matching.recommend(focused).items[0]
    assert best.parts["fit"] == 1.0
    assert "wastewater and sanitation and drainage match your focus" in best.reason_text.lower()


def test_a_budget_that_completes_a_package_beats_one_that_does_not(make):
    tier = make.tier()
    kelurahan = make.region_tree("31.72")
    big = open_package(make, make.rw(kelurahan=kelurahan, share=80.0), tier, [("drainase", 700_000_000)])
    small = open_package(make, make.rw(kelurahan=kelurahan, share=75.0), tier, [("drainase", 150_000_000)])
    assert ranked_ids(matching.Profile())[0] == big.id
    profile = matching.Profile(budget=200_000_000)
    assert ranked_ids(profile) == [small.id, big.id]
    first, second = matching.recommend(profile).items
    assert first.parts["affordability"] == 1.0
    assert second.parts["affordability"] == pytest.approx(200 / 700, abs=1e-3)
    assert "Rp 150 jt completes it" in first.reason_text


def test_whole_only_packages_count_as_unaffordable_when_the_budget_falls_short(make):
    kelurahan = make.region_tree("31.72")
    utama = make.whole_tier()
    package = open_package(make, make.rw(kelurahan=kelurahan), utama, [("drainase", 1_000_000_000)])
    item = matching.recommend(matching.Profile(budget=900_000_000)).items[0]
    assert item.card.id == package.id
    assert item.parts["affordability"] == 0.0
    assert "adopted whole" in item.reason_text


def test_a_site_lifts_nearby_packages_and_says_how_far(twins):
    a, b = twins
    b.rw.lat, b.rw.lon = -6.30, 106.90
    db.session.commit()
    site = matching.Site("Cakung plant", -6.301, 106.901, 5)
    profile = matching.Profile(sites=(site,))
    assert ranked_ids(profile) == [b.id, a.id]
    near = matching.recommend(profile).items[0]
    assert near.distance_km < 0.2
    assert "km from your Cakung plant site, within its 5 km ring" in near.reason_text
    # A second, nearer site to A turns the order round: the nearest site counts.
    other = matching.Site("Office", a.rw.lat, a.rw.lon, 5)
    assert ranked_ids(replace(profile, sites=(site, other)))[0] in (a.id, b.id)
    assert matching.recommend(replace(profile, sites=(other,))).items[0].card.id == a.id


def test_momentum_lifts_the_package_closer_to_fully_funded(twins, make):
    a, b = twins
    make.pledge(b, 200_000_000)
    assert ranked_ids(matching.Profile()) == [b.id, a.id]
    assert "already 66% funded" in matching.recommend(matching.Profile()).items[0].reason_text


def test_region_preference_weighs_and_filters_when_required(make):
    tier = make.tier()
    north, east = make.region_tree("31.72"), make.region_tree("31.75")
    in_north = open_package(make, make.rw(kelurahan=north, share=60.0), tier, [("drainase", 300_000_000)])
    in_east = open_package(make, make.rw(kelurahan=east, share=80.0), tier, [("drainase", 300_000_000)])
    kota = make.kota_of(north)
    assert ranked_ids(matching.Profile()) == [in_east.id, in_north.id]
    preferring = matching.Profile(regions=((kota.id, kota.name),))
    assert ranked_ids(preferring) == [in_north.id, in_east.id]
    assert ranked_ids(replace(preferring, regions_required=True)) == [in_north.id]


def test_tiers_filter_and_closed_packages_never_appear(make, twins):
    a, b = twins
    kelurahan = make.region_tree("31.72")
    utama = make.whole_tier()
    whole = open_package(make, make.rw(kelurahan=kelurahan), utama, [("drainase", 900_000_000)])
    make.package(status="draft", rw_=make.rw(kelurahan=kelurahan))
    make.pledge(a, a.estimate)  # funded: nothing left
    assert set(ranked_ids(matching.Profile())) == {b.id, whole.id}
    assert ranked_ids(matching.Profile(tier_ids=(utama.id,))) == [whole.id]


def test_scores_are_the_weighted_mean_of_the_parts(make, twins):
    profile = matching.Profile(budget=500_000_000, aspects=("drainase",),
                               sites=(matching.Site("Home", -6.2, 106.8, 3),))
    for item in matching.recommend(profile).items:
        weights = {name: matching.WEIGHTS[name] for name in item.parts}
        expected = 100 * sum(item.parts[n] * w for n, w in weights.items()) / sum(weights.values())
        assert item.score == pytest.approx(expected, abs=0.06)


def test_recommendations_take_a_constant_number_of_queries(make, app):
    from sqlalchemy import event

    tier = make.tier()
    kelurahan = make.region_tree("31.72")
    profile = matching.Profile(budget=10**9, aspects=("drainase",), sites=(matching.Site("S", -6.2, 106.8, 5),))

    def count():
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            matching.recommend(profile)
            plan = matching.plan(profile, 450_000_000)
            assert plan.completed and len(plan.items) > len(plan.completed)  # both stages ran
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for _ in range(2):
        open_package(make, make.rw(kelurahan=kelurahan), tier, [("drainase", 300_000_000)])
    few = count()
    for _ in range(12):
        open_package(make, make.rw(kelurahan=kelurahan), tier, [("air_limbah", 200_000_000)])
    assert count() == few


# --- preferences on the web ---------------------------------------------------------------------------


def test_collaborator_saves_preferences_with_sites_and_sees_them_used(make, client, login_as):
    kelurahan = make.region_tree("31.72")
    kota = make.kota_of(kelurahan)
    tier = make.tier()
    open_package(make, make.rw(kelurahan=kelurahan, share=70.0), tier, [("air_limbah", 300_000_000)])
    person = make.user(Role.COLLABORATOR)
    login_as(person)
    page = client.get("/profile/preferences")
    assert page.status_code == 200
    added = client.post("/profile/preferences", data={"budget": "500.000.000", "add_site": "y"})
    assert added.status_code == 200 and added.get_data(as_text=True).count("data-site-row") == 1
    response = client.post("/profile/preferences", data={
        "budget": "Rp 500.000.000", "aspects": ["air_limbah"], "region_ids": [str(kota.id)],
        "tier_ids": [str(tier.id)], "sites-0-name": "Pabrik Cakung", "sites-0-lat": "-6,19",
        "sites-0-lon": "106.93", "sites-0-radius_km": "7", "submit": "y",
    })
    assert response.status_code == 302 and response.headers["Location"].endswith("/recommendations")
    saved = db.session.get(MatchPreference, person.id)
    assert saved.budget == 500_000_000 and saved.aspects == ["air_limbah"]
    assert [r.id for r in saved.regions] == [kota.id] and [t.id for t in saved.tiers] == [tier.id]
    site = db.session.scalar(select(CollaboratorSite).where(CollaboratorSite.user_id == person.id))
    assert (site.name, site.lat, site.radius_km) == ("Pabrik Cakung", -6.19, 7)
    page = client.get("/recommendations").get_data(as_text=True)
    assert "match your focus" in page and "Pabrik Cakung" in page and 'data-part="proximity"' in page
    again = client.get("/profile/preferences").get_data(as_text=True)
    assert 'value="Pabrik Cakung"' in again and 'value="500.000.000"' in again


@pytest.mark.parametrize("data, message", [
    ({"budget": "lima juta"}, "Enter a whole rupiah amount"),
    ({"budget": "0"}, "Enter a budget above Rp 0"),
    ({"aspects": ["teleportasi"]}, "not a valid choice"),
    ({"sites-0-name": "X", "sites-0-lat": "-95", "sites-0-lon": "106.8", "sites-0-radius_km": "5"},
     "Latitude is a number from -90 to 90."),
    ({"sites-0-name": "X", "sites-0-lat": "-6.2", "sites-0-lon": "106.8", "sites-0-radius_km": "500"},
     "A radius is 1 to 100 km."),
    ({"regions_required": "y"}, "Choose regions to keep to"),
])
def test_bad_preferences_are_refused_kept_and_nothing_is_saved(make, client, login_as, data, message):
    person = make.user(Role.COLLABORATOR)
    login_as(person)
    response = client.post("/profile/preferences", data={**data, "submit": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    for value in data.values():
        if isinstance(value, str) and value not in ("y",):
            assert f'value="{value}"' in html
    assert db.session.get(MatchPreference, person.id) is None
    assert db.session.scalar(select(func.count(CollaboratorSite.id))) == 0


def test_preferences_refuse_regions_that_are_not_kota_or_kecamatan(make):
    kelurahan = make.region_tree("31.72")
    person = make.user(Role.COLLABORATOR)
    with pytest.raises(preferences.PreferenceError):
        preferences.save(person, preferences.PreferenceInput(region_ids=[kelurahan.id]))
    assert db.session.get(MatchPreference, person.id) is None


@pytest.mark.parametrize("role", [Role.AGGREGATOR, Role.GOVERNMENT, Role.ADMIN])
def test_only_collaborators_get_matching_pages(make, client, login_as, role):
    login_as(make.user(role))
    for path in ("/recommendations", "/plan", "/profile/preferences"):
        assert client.get(path).status_code == 403


def test_matching_pages_need_sign_in(client):
    for path in ("/recommendations", "/plan", "/profile/preferences"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_bad_page_number_is_a_400(make, client, login_as):
    login_as(make.user(Role.COLLABORATOR))
    assert client.get("/recommendations?page=abc").status_code == 400
    assert client.get("/recommendations?page=0").status_code == 400


# --- the planner on the web -----------------------------------------------------------------------------


@pytest.fixture
def plan_world(make):
    """Three Bersama packages and one Utama: Rp 1 M cannot complete all of them."""
    kelurahan = make.region_tree("31.72")
    bersama, utama = make.tier(), make.whole_tier()
    packages = [
        open_package(make, make.rw(kelurahan=kelurahan, share=90.0, households=800), bersama,
                     [("air_limbah", 400_000_000)], "Severe and big"),
        open_package(make, make.rw(kelurahan=kelurahan, share=90.0, households=700), bersama,
                     [("drainase", 350_000_000)], "Severe too"),
        open_package(make, make.rw(kelurahan=kelurahan, share=40.0, households=200), bersama,
                     [("jalan", 500_000_000)], "Mild"),
        open_package(make, make.rw(kelurahan=kelurahan, share=90.0, households=300), utama,
                     [("drainase", 900_000_000)], "Whole"),
    ]
    return packages


def plan_lines(html):
    return re.search(r'name="lines" type="hidden" value="([^"]*)"', html).group(1)


def hidden(html, name):
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def test_plan_page_proposes_complete_funding_then_pledges_it_all_once(make, client, login_as, plan_world):
    severe, severe_too, mild, whole = plan_world
    person = make.user(Role.COLLABORATOR)
    login_as(person)
    page = client.get("/plan?budget=Rp 1.000.000.000")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    lines = plan_lines(html)
    assert lines.startswith(f"{severe.id}:400000000,{severe_too.id}:350000000")
    assert "completes it" in html and "Households covered" in html
    assert re.search(r'data-figure="plan-households">1,500<', html)
    form = {"budget": hidden(html, "budget"), "lines": lines, "key": hidden(html, "key"), "confirm": "y"}
    first = client.post("/plan", data=form)
    assert first.status_code == 302 and first.headers["Location"].endswith("/pledges")
    again = client.post("/plan", data=form)  # a second click
    assert again.status_code == 302
    pledges = db.session.scalars(select(Pledge).where(Pledge.collaborator_id == person.id)).all()
    assert sorted((p.package_id, p.amount) for p in pledges) == sorted(
        (int(a), int(b)) for a, b in (part.split(":") for part in lines.split(",")))
    db.session.expire_all()
    assert db.session.get(Package, severe.id).status == PackageStatus.FUNDED
    assert sum(p.amount for p in pledges) <= 1_000_000_000


def test_a_stale_plan_pledges_nothing_and_is_replanned(make, client, login_as, plan_world):
    severe, severe_too, mild, whole = plan_world
    person = make.user(Role.COLLABORATOR)
    login_as(person)
    html = client.get("/plan?budget=1000000000").get_data(as_text=True)
    form = {"budget": hidden(html, "budget"), "lines": plan_lines(html), "key": hidden(html, "key"), "confirm": "y"}
    make.pledge(severe_too, 100_000_000)  # someone else pledges meanwhile
    response = client.post("/plan", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Nothing was pledged" in page and "Only Rp 250.000.000 remains" in page
    assert db.session.scalar(select(func.count(Pledge.id)).where(Pledge.collaborator_id == person.id)) == 0
    db.session.expire_all()
    assert db.session.get(Package, severe.id).committed == 0
    assert f"{severe_too.id}:250000000" in plan_lines(page)


@pytest.mark.parametrize("field, value", [("lines", "12:abc"), ("lines", ""), ("budget", "lots"),
                                          ("lines", "1:999999999999999")])
def test_a_tampered_plan_is_refused_without_pledging(make, client, login_as, plan_world, field, value):
    login_as(make.user(Role.COLLABORATOR))
    html = client.get("/plan?budget=1000000000").get_data(as_text=True)
    form = {"budget": hidden(html, "budget"), "lines": plan_lines(html), "key": hidden(html, "key"), "confirm": "y"}
    form[field] = value
    assert client.post("/plan", data=form).status_code == 422
    assert db.session.scalar(select(func.count(Pledge.id))) == 0


def test_bad_budget_on_the_plan_page_is_a_clear_400(make, client, login_as):
    login_as(make.user(Role.COLLABORATOR))
    response = client.get("/plan?budget=banyak")
    assert response.status_code == 400
    assert "Enter a budget above Rp 0" in response.get_data(as_text=True)
    assert 'value="banyak"' in response.get_data(as_text=True)


def test_pledge_plan_is_all_or_nothing_in_the_service(make, plan_world):
    severe, severe_too, mild, whole = plan_world
    person = make.user(Role.COLLABORATOR)
    with pytest.raises(pledging.PlanRefused) as refused:
        pledging.pledge_plan(person, [(severe.id, 400_000_000), (whole.id, 100_000_000)], "k1")
    assert refused.value.package_id == whole.id
    assert db.session.scalar(select(func.count(Pledge.id))) == 0
    db.session.expire_all()
    assert db.session.get(Package, severe.id).committed == 0
    pledges, replayed = pledging.pledge_plan(person, [(severe.id, 400_000_000), (mild.id, 5_000_000)], "k2")
    assert not replayed and [p.amount for p in pledges] == [400_000_000, 5_000_000]
    with pytest.raises(pledging.PledgeError):
        pledging.pledge_plan(person, [(severe.id, 1_000_000)], "k2")


# --- the API ---------------------------------------------------------------------------------------------


def bearer(user):
    secret, _record = tokens.create_token(user, "test")
    return {"Authorization": f"Bearer {secret}"}


def test_api_recommendations_with_reasons_and_schema(make, client, plan_world, schema_of):
    person = make.user(Role.COLLABORATOR)
    headers = bearer(person)
    response = client.get("/api/v1/recommendations?budget=400000000&aspects=air_limbah,drainase", headers=headers)
    body = response.get_json()
    assert response.status_code == 200, body
    schema_of(body, "RecommendationList")
    assert body["meta"]["total"] == 4
    assert set(body["meta"]["weights"]) == {"need", "fit", "affordability", "momentum"}
    first = body["data"][0]
    assert first["package"]["id"] == plan_world[0].id
    assert "Rp 400 jt completes it" in first["reason_text"]
    assert [d["score"] for d in body["data"]] == sorted((d["score"] for d in body["data"]), reverse=True)


def test_api_plan_matches_the_web_plan(make, client, plan_world, schema_of):
    person = make.user(Role.COLLABORATOR)
    response = client.get("/api/v1/plan?budget=1000000000", headers=bearer(person))
    body = response.get_json()
    assert response.status_code == 200, body
    schema_of(body, "Plan")
    assert body["total"] + body["leftover"] == 1_000_000_000
    assert [line["package"]["id"] for line in body["lines"] if line["completes"]][:2] == [
        plan_world[0].id, plan_world[1].id]
    assert body["covered"]["households"] >= 1500


@pytest.mark.parametrize("query, field", [("budget=-5", "budget"), ("aspects=magic", "aspects"),
                                          ("per_page=0", "per_page"), ("colour=red", "colour")])
def test_api_recommendations_refuse_bad_parameters(make, client, query, field):
    response = client.get(f"/api/v1/recommendations?{query}", headers=bearer(make.user(Role.COLLABORATOR)))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_api_matching_needs_a_collaborator_token(make, client):
    assert client.get("/api/v1/recommendations").status_code == 401
    assert client.get("/api/v1/plan?budget=1").status_code == 401
    aggregator = make.user(Role.AGGREGATOR)
    assert client.get("/api/v1/recommendations", headers=bearer(aggregator)).status_code == 403
    assert client.get("/api/v1/plan", headers=bearer(make.user(Role.COLLABORATOR))).status_code == 422


def test_remove_site_drops_that_row_and_keeps_the_others(make, client, login_as):
    login_as(make.user(Role.COLLABORATOR))
    response = client.post("/profile/preferences", data={
        "budget": "1.000.000", "sites-0-name": "Pabrik", "sites-0-lat": "-6.1", "sites-0-lon": "106.9",
        "sites-0-radius_km": "5", "sites-1-name": "Kantor", "sites-1-lat": "-6.2", "sites-1-lon": "106.8",
        "sites-1-radius_km": "3", "sites-0-remove": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("data-site-row") == 1
    assert 'value="Kantor"' in html and 'value="Pabrik"' not in html and 'value="1.000.000"' in html
    assert db.session.scalar(select(func.count(CollaboratorSite.id))) == 0
