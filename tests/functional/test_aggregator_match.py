"""The aggregator's ranked view of unassigned packages: who appears, how each factor moves the ranking,
the reasons given, the pages that show them, their query count and who may see them."""
import re

import pytest

from app.domain import PackageStatus, Role
from app.extensions import db
from app.services import aggregator_match, lifecycle, packages, regions
from app.services.aggregator_match import WEIGHTS
from tests.functional.test_catalogue import QueryCounter


@pytest.fixture
def client(client):
    """The shared client, reading English so reasons can be matched."""
    return client.use_language("en")


@pytest.fixture
def area(make):
    """Kota 31.99 with kecamatan A (kelurahan a1 and Penjaringan) and kecamatan B (kelurahan b1); kota 31.98
    in the same province; an aggregator operating in kota 31.99."""
    a1 = make.region_tree("31.99")
    kota = make.kota_of(a1)
    penjaringan = make.kelurahan_in(a1.parent, name="Penjaringan")
    b1 = make.kelurahan_in(kota)
    elsewhere = make.region_tree("31.98")
    organisation = make.operating_in(make.organisation(name="Yayasan Kampung Bersih"), kota)
    return {"a1": a1, "penjaringan": penjaringan, "b1": b1, "elsewhere": elsewhere, "kota": kota,
            "province": kota.parent, "org": organisation}


def open_package(make, kelurahan, share=80.0, households=250, estimate=200_000_000, aggregator=None):
    """A published package on a new RW of `kelurahan` (share 80 → slum score 80, 60 → 48)."""
    return make.package(rw_=make.rw(kelurahan=kelurahan, share=share, households=households), estimate=estimate,
                        aggregator=aggregator)


def ranked(organisation, **kwargs):
    """{package id: Match}, in rank order."""
    return {match.package.id: match for match in aggregator_match.rank(organisation, **kwargs).items}


def active_work(make, organisation, kelurahan, count):
    """`count` published packages the organisation runs in `kelurahan`."""
    return [open_package(make, kelurahan, aggregator=organisation) for _ in range(count)]


def test_only_open_unassigned_packages_inside_the_operating_regions_appear(make, area):
    org = area["org"]
    published = open_package(make, area["a1"])
    funded = open_package(make, area["b1"], estimate=100_000_000)
    make.pledge(funded, 100_000_000)
    outside = open_package(make, area["elsewhere"])
    other_org = open_package(make, area["a1"], aggregator=make.organisation(name="Lain"))
    own = open_package(make, area["a1"], aggregator=org)
    draft = make.package(rw_=make.rw(kelurahan=area["a1"]), status="draft")
    cancelled = open_package(make, area["a1"])
    packages.cancel_package(cancelled, "Lahan sengketa")
    page = aggregator_match.rank(org)
    assert {match.package.id for match in page.items} == {published.id, funded.id}
    assert page.total == 2 and funded.status == PackageStatus.FUNDED
    for hidden in (outside, other_org, own, draft, cancelled):
        assert hidden.id not in {match.package.id for match in page.items}
    for match in page.items:
        assert 0 <= match.score <= 100 and match.score == sum(match.parts.values())


def test_a_more_severe_rw_ranks_higher_all_else_equal(make, area):
    moderate = open_package(make, area["a1"], share=60.0)
    severe = open_package(make, area["a1"], share=80.0)
    matches = ranked(area["org"])
    assert list(matches) == [severe.id, moderate.id]
    assert matches[severe.id].score > matches[moderate.id].score
    assert matches[severe.id].parts["need"] == 30 + 4 and matches[moderate.id].parts["need"] == 18 + 4
    assert {key: value for key, value in matches[severe.id].parts.items() if key != "need"} == {
        key: value for key, value in matches[moderate.id].parts.items() if key != "need"}


def test_more_households_rank_higher_and_cap_at_the_full_mark(make, area):
    small = open_package(make, area["a1"], households=100)
    big = open_package(make, area["a1"], households=1000)
    huge = open_package(make, area["a1"], households=5000)
    matches = ranked(area["org"])
    assert matches[big.id].score > matches[small.id].score
    assert matches[huge.id].parts["need"] == matches[big.id].parts["need"] == 30 + WEIGHTS["households"]


def test_the_more_specific_operating_region_ranks_higher(make, area, english):
    org = area["org"]
    make.operating_in(org, area["province"], area["kota"], area["b1"].parent, area["penjaringan"])
    by_kelurahan = open_package(make, area["penjaringan"])
    by_kecamatan = open_package(make, area["b1"])
    by_kota = open_package(make, area["a1"])
    by_province = open_package(make, area["elsewhere"])
    matches = ranked(org)
    assert list(matches) == [by_kelurahan.id, by_kecamatan.id, by_kota.id, by_province.id]
    assert [match.fit_level for match in matches.values()] == ["kelurahan", "kecamatan", "kabupaten_kota",
                                                                "provinsi"]
    assert [match.parts["region"] for match in matches.values()] == [25, 18, 10, 4]
    assert "in your kelurahan Penjaringan" in matches[by_kelurahan.id].reasons
    assert f"in your kecamatan {area['b1'].parent.name}" in matches[by_kecamatan.id].reasons
    assert "in your operating region Kota Uji 31.99" in matches[by_kota.id].reasons
    assert "in your operating province Provinsi Uji" in matches[by_province.id].reasons


def test_a_kelurahan_match_beats_a_kota_match_even_when_less_severe(make, area):
    make.operating_in(area["org"], area["kota"], area["penjaringan"])
    named = open_package(make, area["penjaringan"], share=60.0)
    kota_wide = open_package(make, area["b1"], share=80.0)
    matches = ranked(area["org"])
    assert list(matches) == [named.id, kota_wide.id]


def test_a_cluster_of_active_work_in_the_kecamatan_ranks_higher(make, area, english):
    org = area["org"]
    same_kecamatan = open_package(make, area["penjaringan"])
    other_kecamatan = open_package(make, area["b1"])
    before = ranked(org)
    assert before[same_kecamatan.id].score == before[other_kecamatan.id].score
    active_work(make, org, area["a1"], 2)
    # work that is not active does not count: a draft and a cancelled package of the organisation
    make.package(rw_=make.rw(kelurahan=area["b1"]), status="draft", aggregator=org)
    packages.cancel_package(open_package(make, area["b1"], aggregator=org), "Batal")
    matches = ranked(org)
    assert list(matches) == [same_kecamatan.id, other_kecamatan.id]
    assert matches[same_kecamatan.id].parts["cluster"] == round(WEIGHTS["cluster"] * 2 / 3)
    assert matches[same_kecamatan.id].nearby == 2 and matches[other_kecamatan.id].nearby == 0
    assert matches[other_kecamatan.id].parts["cluster"] == 0
    assert "you already run 2 packages in this kecamatan" in matches[same_kecamatan.id].reasons
    assert "already run" not in matches[other_kecamatan.id].reasons
    active_work(make, org, area["a1"], 2)
    assert ranked(org)[same_kecamatan.id].parts["cluster"] == WEIGHTS["cluster"]


def test_a_heavy_load_lowers_packages_far_from_current_work(make, area, english):
    org = area["org"]
    near = open_package(make, area["penjaringan"], share=60.0)
    far = open_package(make, area["b1"], share=80.0)
    active_work(make, org, area["a1"], aggregator_match.LOAD_COMFORTABLE)
    light = ranked(org)
    assert light[far.id].parts["capacity"] == light[near.id].parts["capacity"] == WEIGHTS["capacity"]
    assert "away from your current work" not in light[far.id].reasons
    active_work(make, org, area["a1"], aggregator_match.LOAD_HEAVY - aggregator_match.LOAD_COMFORTABLE)
    heavy = ranked(org)
    assert heavy[far.id].parts["capacity"] == 0 and heavy[near.id].parts["capacity"] == WEIGHTS["capacity"]
    assert heavy[far.id].score == light[far.id].score - WEIGHTS["capacity"]
    assert heavy[far.id].parts["need"] == light[far.id].parts["need"]
    assert f"away from your current work while you run {aggregator_match.LOAD_HEAVY} active packages" in (
        heavy[far.id].reasons)
    assert list(heavy) == [near.id, far.id]


def test_capacity_falls_step_by_step_between_the_thresholds(app):
    points = [aggregator_match.Load(active=active).far_capacity for active in range(0, 11)]
    assert points[:aggregator_match.LOAD_COMFORTABLE + 1] == [WEIGHTS["capacity"]] * 4
    assert points == sorted(points, reverse=True) and points[aggregator_match.LOAD_HEAVY:] == [0, 0, 0]
    assert sum(WEIGHTS.values()) == 100


def test_the_reasons_read_as_one_sentence(make, area, english):
    org = area["org"]
    make.operating_in(org, area["kota"], area["penjaringan"])
    package = open_package(make, area["penjaringan"], households=420)
    active_work(make, org, area["a1"], 2)
    (match,) = ranked(org).values()
    assert match.reasons == ("Severe slum (80/80), 420 households; in your kelurahan Penjaringan; "
                             "you already run 2 packages in this kecamatan")
    assert match.package.id == package.id
    unassessed = make.package(rw_=regions.create_rw(area["b1"], 99, -6.2, 106.8, households=1500))
    match = ranked(org)[unassessed.id]
    assert match.reasons.startswith("No slum assessment yet, 1,500 households; in your operating region Kota Uji")
    assert match.parts["need"] == WEIGHTS["households"]


def test_the_load_summary_counts_active_packages_by_status(make, area):
    org = area["org"]
    open_package(make, area["a1"], aggregator=org, estimate=200_000_000)
    funded = open_package(make, area["a1"], aggregator=org, estimate=100_000_000)
    make.pledge(funded, 100_000_000)
    started = open_package(make, area["b1"], aggregator=org, estimate=300_000_000)
    make.pledge(started, 300_000_000)
    lifecycle.transition(started, "in_progress")
    db.session.commit()
    make.package(rw_=make.rw(kelurahan=area["a1"]), status="draft", aggregator=org)
    open_package(make, area["a1"], aggregator=make.organisation(name="Lain"))
    load = aggregator_match.load_summary(org)
    assert (load.active, load.estimate) == (3, 600_000_000)
    assert load.by_status == {"published": (1, 200_000_000), "funded": (1, 100_000_000),
                              "in_progress": (1, 300_000_000)}


def test_pages_continue_the_same_ranking(make, area):
    for share in (30.0, 45.0, 60.0, 70.0, 80.0):
        open_package(make, area["a1"], share=share)
    whole = list(ranked(area["org"]))
    pages = [list(ranked(area["org"], page=n, per_page=2)) for n in (1, 2, 3)]
    assert [package_id for page in pages for package_id in page] == whole
    assert aggregator_match.rank(area["org"], page=-3, per_page=2).page == 1
    assert aggregator_match.rank(area["org"], page=99, per_page=2).items == []


def rows_in(html):
    """Package ids of the ranked rows, in page order."""
    return [int(found) for found in re.findall(r'data-package="(\d+)"', html)]


def test_the_available_page_shows_the_ranking_reasons_and_load(client, make, login_as, area):
    org = area["org"]
    make.operating_in(org, area["kota"], area["penjaringan"])
    best = open_package(make, area["penjaringan"], households=420)
    weaker = open_package(make, area["b1"], share=60.0)
    active_work(make, org, area["a1"], 2)
    staff = make.user(Role.AGGREGATOR, organisation=org)
    login_as(staff)
    html = client.get("/manage/available").get_data(as_text=True)
    assert rows_in(html) == [best.id, weaker.id]
    assert ("Severe slum (80/80), 420 households; in your kelurahan Penjaringan; "
            "you already run 2 packages in this kecamatan") in html
    assert "Active packages" in html and "Rp 400.000.000" in html and 'data-load="published">2' in html
    assert f"/manage/packages/{best.id}/request" in html
    assert client.post(f"/manage/packages/{best.id}/request", data={"note": "siap"}).status_code == 302
    html = client.get("/manage/available?page=abc").get_data(as_text=True)
    assert "Requested" in html and f"/manage/packages/{best.id}/request" not in html
    assert client.get("/manage/available?page=7").status_code == 200


def test_the_dashboard_shows_the_top_five(client, make, login_as, area):
    org = area["org"]
    sizes = (100, 200, 300, 400, 500, 600)
    created = {households: open_package(make, area["a1"], households=households) for households in sizes}
    login_as(make.user(Role.AGGREGATOR, organisation=org))
    html = client.get("/manage/").get_data(as_text=True)
    assert rows_in(html) == [created[households].id for households in reversed(sizes[1:])]
    assert "Severe slum (80/80)" in html and "/manage/available" in html
    assert "Active packages" in html


def test_query_count_does_not_grow_with_the_packages(client, make, login_as, area):
    org = area["org"]
    make.operating_in(org, area["province"], area["kota"], area["b1"].parent, area["penjaringan"])
    login_as(make.user(Role.AGGREGATOR, organisation=org))
    places = [area["a1"], area["penjaringan"], area["b1"], area["elsewhere"]]

    def add(count):
        for n in range(count):
            kelurahan = places[n % len(places)]
            open_package(make, kelurahan, share=30.0 + n % 50, aggregator=org if n % 5 == 0 else None)

    def counts():
        db.session.expire_all()
        result = []
        for url in ("/manage/available", "/manage/"):
            with QueryCounter() as counter:
                assert client.get(url).status_code == 200
            result.append(counter.count)
        return result

    add(4)
    few = counts()
    add(40)
    many = counts()
    print("queries for /manage/available and /manage/ at 4 and 44 packages:", few, many)
    assert many == few
    assert few[0] <= 10


def test_each_organisation_sees_only_its_own_view(client, make, login_as, area):
    ours = open_package(make, area["a1"])
    theirs = open_package(make, area["elsewhere"])
    rival = make.operating_in(make.organisation(name="Rival"), make.kota_of(area["elsewhere"]))
    login_as(make.user(Role.AGGREGATOR, organisation=rival))
    for url in ("/manage/available", "/manage/"):
        html = client.get(url).get_data(as_text=True)
        assert rows_in(html) == [theirs.id] and ours.id not in rows_in(html)
    client.post("/auth/logout")
    login_as(make.user(Role.AGGREGATOR, organisation=area["org"]))
    assert rows_in(client.get("/manage/available").get_data(as_text=True)) == [ours.id]


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.GOVERNMENT])
def test_collaborators_and_government_cannot_open_the_aggregator_view(client, make, login_as, area, role):
    open_package(make, area["a1"])
    login_as(make.user(role))
    assert client.get("/manage/available").status_code == 403


def test_an_unverified_organisation_sees_the_ranking_but_cannot_request(client, make, login_as, area):
    package = open_package(make, area["a1"])
    area["org"].verified = False
    db.session.commit()
    login_as(make.user(Role.AGGREGATOR, organisation=area["org"]))
    assert client.get("/manage/available").status_code == 403
    html = client.get("/manage/").get_data(as_text=True)
    assert rows_in(html) == [package.id] and f"/manage/packages/{package.id}/request" not in html


def test_an_organisation_working_in_one_kecamatan_sees_and_may_request_its_packages(make, client, login_as):
    from app.permissions import can

    kelurahan = make.region_tree("31.74")
    other = make.region_tree("31.75")
    org = make.organisation("Yayasan Kecamatan")
    make.operating_in(org, kelurahan.parent)
    inside = make.package(rw_=make.rw(kelurahan=kelurahan))
    outside = make.package(rw_=make.rw(kelurahan=other))
    staff = make.user(Role.AGGREGATOR, organisation=org)
    ranked = [match.package.id for match in aggregator_match.rank(org).items]
    assert ranked == [inside.id]
    assert can("package.request", inside, user=staff) and not can("package.request", outside, user=staff)
