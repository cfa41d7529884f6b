"""No over-funding, ever: many pledges at once, through the app, on the suite's database."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.domain import PackageStatus, Role
from app.extensions import db
from app.models import Package, Pledge
from app.services import ledger, pledging, tokens

WORKERS = 16


def fire(app, url, requests):
    """Send every (token, body) at once from its own thread and client; return the status codes."""
    barrier = threading.Barrier(len(requests))

    def send(index, token, body):
        client = app.test_client()
        barrier.wait()
        response = client.post(url, json=body, headers={"Authorization": f"Bearer {token}",
                                                        "Idempotency-Key": f"race-{index}"})
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(send, i, token, body) for i, (token, body) in enumerate(requests)]
        return [future.result(timeout=120) for future in futures]


def collaborators_with_tokens(make, n):
    return [tokens.create_token(make.user(Role.COLLABORATOR), "race")[0] for _ in range(n)]


def assert_books_balance(package_id):
    db.session.expire_all()
    package = db.session.get(Package, package_id)
    live = db.session.scalar(select(func.coalesce(func.sum(Pledge.amount), 0)).where(
        Pledge.package_id == package_id, Pledge.status != "cancelled"))
    assert package.committed == live <= package.estimate
    assert ledger.package_totals_from_ledger(package_id)[package_id][0] == package.committed
    return package


def test_sixteen_pledges_at_the_last_rupiah(app, make):
    package = make.package(estimate=100_000_000)
    pledging.create_pledge(package, make.user(Role.COLLABORATOR), 99_000_000)
    requests = [(token, {"amount": 1_000_000}) for token in collaborators_with_tokens(make, WORKERS)]
    codes = fire(app, f"/api/v1/packages/{package.id}/pledges", requests)
    assert set(codes) <= {201, 409}, codes
    assert codes.count(201) == 1
    package = assert_books_balance(package.id)
    assert (package.committed, package.status) == (100_000_000, PackageStatus.FUNDED)


def test_sixteen_pledges_for_a_gap_that_fits_five(app, make):
    package = make.package(estimate=150_000_000)
    pledging.create_pledge(package, make.user(Role.COLLABORATOR), 100_000_000)
    requests = [(token, {"amount": 10_000_000}) for token in collaborators_with_tokens(make, WORKERS)]
    codes = fire(app, f"/api/v1/packages/{package.id}/pledges", requests)
    assert set(codes) <= {201, 409}, codes
    assert codes.count(201) == 5
    assert assert_books_balance(package.id).committed == 150_000_000


@pytest.mark.parametrize("same_key_replays", [WORKERS])
def test_one_adoption_of_a_whole_package_and_replays_never_double(app, make, same_key_replays):
    package = make.package(estimate=900_000_000, tier_=make.whole_tier())
    requests = [(token, {"amount": 900_000_000}) for token in collaborators_with_tokens(make, WORKERS)]
    codes = fire(app, f"/api/v1/packages/{package.id}/pledges", requests)
    assert sorted(codes) == [201] + [409] * (WORKERS - 1)
    assert_books_balance(package.id)
    # one collaborator retrying the same request many times at once still makes one pledge
    other = make.package(estimate=200_000_000)
    token = collaborators_with_tokens(make, 1)[0]
    barrier = threading.Barrier(same_key_replays)
    url = f"/api/v1/packages/{other.id}/pledges"  # read here: ORM objects belong to this thread's session

    def retry(_):
        client = app.test_client()
        barrier.wait()
        return client.post(url, json={"amount": 5_000_000},
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same"}).status_code

    with ThreadPoolExecutor(max_workers=same_key_replays) as pool:
        retry_codes = list(pool.map(retry, range(same_key_replays)))
    assert set(retry_codes) == {201}
    assert db.session.scalar(select(func.count()).where(Pledge.package_id == other.id)) == 1
    assert assert_books_balance(other.id).committed == 5_000_000
