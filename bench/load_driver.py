"""The load driver: client threads sending a mix of browsing and pledging to a server on loopback.

Plain http.client, one connection per request (gunicorn's sync workers close them anyway). Every
request is timed and its status counted by kind; every accepted pledge is remembered so the books
can be checked against what the clients were told. Loops stop at a deadline and a request cap.
"""
import http.client
import json
import math
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Relative weights of what a client does next: mostly reading, as the public does, a fifth pledging.
MIX = {"home": 8, "catalogue": 20, "package": 18, "map": 5, "map_data": 4, "transparency": 5, "ledger": 6,
       "api_read": 14, "pledge": 20}
HOT = 10  # this many packages take a third of the pledges, so their last rupiah is fought over
SORTS = ("need", "remaining", "funded", "newest")


@dataclass
class Target:
    """What the clients may ask for: pledge targets, pages to browse, and one API token per client."""

    pledge_package_ids: list
    browse_package_ids: list
    rw_ids: list
    kota_codes: list
    tokens: list


class Recorder:
    """Latencies and statuses by kind, accepted pledges, and broken promises, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.statuses = defaultdict(Counter)
        self.accepted = {}  # pledge id -> (package id, amount), as the server answered
        self.outcomes = Counter()
        self.violations = []
        self.seconds = 0.0
        self.requests = 0

    def add(self, kind, status, seconds):
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1
            self.requests += 1

    def outcome(self, name, pledge=None, package_id=None, amount=None):
        with self.lock:
            self.outcomes[name] += 1
            if pledge is not None:
                known = self.accepted.setdefault(pledge, (package_id, amount))
                if known != (package_id, amount):
                    self.violations.append(f"pledge {pledge} answered as {known} and as {(package_id, amount)}")

    def violation(self, text):
        with self.lock:
            self.violations.append(text)

    def status_totals(self):
        """Counter of every status over every kind."""
        total = Counter()
        for counts in self.statuses.values():
            total.update(counts)
        return total

    @property
    def server_errors(self):
        """Responses 500 and above, and requests that got no response at all."""
        return sum(n for status, n in self.status_totals().items() if not isinstance(status, int) or status >= 500)


def percentile(values, share):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Client:
    """One simulated visitor or API user; `step()` does one thing from MIX."""

    def __init__(self, host, port, target, token, rng, recorder):
        self.host, self.port, self.target, self.token = host, port, target, token
        self.rng, self.recorder = rng, recorder
        self.kinds, self.weights = list(MIX), list(MIX.values())

    def request(self, kind, path, body=None, headers=None):
        """(status, body bytes); a failure to connect or read is recorded as a status string."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        started = time.perf_counter()
        try:
            connection.request("POST" if body is not None else "GET", path, body=body, headers=headers or {})
            response = connection.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            status, data = f"no response ({type(error).__name__})", b""
        finally:
            connection.close()
        self.recorder.add(kind, status, time.perf_counter() - started)
        return status, data

    def step(self):
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind == "pledge":
            return self.pledge()
        return self.request(kind, self.path(kind))

    def path(self, kind):
        rng, target = self.rng, self.target
        if kind == "home":
            return "/"
        if kind == "catalogue":
            args = {"sort": rng.choice(SORTS)}
            if rng.random() < 0.5:
                args["kota"] = rng.choice(target.kota_codes)
            if rng.random() < 0.3:
                args["status"] = "published"
                args["tier"] = "bersama"
            if rng.random() < 0.2:
                args["funded_min"] = rng.choice((25, 50, 75))
            if rng.random() < 0.2:
                args["page"] = rng.randint(2, 5)
            return "/packages?" + urlencode(args)
        if kind == "package":
            return f"/packages/{rng.choice(target.browse_package_ids)}"
        if kind == "map":
            return "/map"
        if kind == "map_data":
            query = urlencode({"kota": rng.choice(target.kota_codes)}) if rng.random() < 0.5 else ""
            return "/map/packages.geojson" + (f"?{query}" if query else "")
        if kind == "transparency":
            return "/transparency"
        if kind == "ledger":
            return "/ledger" + (f"?page={rng.randint(2, 4)}" if rng.random() < 0.3 else "")
        choice = rng.random()  # api_read
        if choice < 0.4:
            return "/api/v1/packages?" + urlencode({"kota": rng.choice(target.kota_codes), "per_page": 24})
        if choice < 0.8:
            return f"/api/v1/packages/{rng.choice(target.browse_package_ids)}"
        return f"/api/v1/rws/{rng.choice(target.rw_ids)}"

    def pledge(self):
        """A pledge of a random amount, or — after reading the package — exactly the remainder, or
        deliberately more than remains (which must be refused); a tenth of the accepted ones are retried."""
        rng, ids = self.rng, self.target.pledge_package_ids
        package_id = rng.choice(ids[:HOT]) if rng.random() < 1 / 3 else rng.choice(ids)
        amount, over, roll = rng.randint(1, 25) * 1_000_000, False, rng.random()
        if roll < 0.4:
            status, data = self.request("api_read", f"/api/v1/packages/{package_id}")
            remaining = json.loads(data)["remaining"] if status == 200 else 0
            if remaining > 0:
                over = roll < 0.2
                amount = remaining + 1_000_000 if over else remaining
        body = json.dumps({"amount": amount}).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": str(uuid.uuid4()),
                   "Content-Type": "application/json"}
        path = f"/api/v1/packages/{package_id}/pledges"
        status, data = self.request("pledge", path, body, headers)
        if status == 201:
            pledge_id = json.loads(data)["id"]
            self.recorder.outcome("created", pledge_id, package_id, amount)
            if over:
                self.recorder.violation(f"package {package_id}: {amount} accepted though more than remained")
            if rng.random() < 0.1:
                again, replayed = self.request("pledge", path, body, headers)
                if again != 201 or json.loads(replayed)["id"] != pledge_id:
                    self.recorder.violation(f"replay of pledge {pledge_id} answered {again}")
                self.recorder.outcome("replayed")
        elif status == 409:
            self.recorder.outcome("refused (over the remainder)" if over else "refused")
        else:
            self.recorder.outcome(f"unexpected {status}")


def drive(base_url, target, seconds, clients, max_requests=200_000, seed=2021):
    """Run `clients` threads against `base_url` (loopback only) until `seconds` pass or `max_requests` are
    sent; returns the Recorder."""
    parts = urlsplit(base_url)
    if parts.hostname not in LOOPBACK:
        raise ValueError(f"the load driver only targets loopback, not {parts.hostname!r}")
    recorder = Recorder()
    deadline = time.monotonic() + seconds

    def loop(index):
        client = Client(parts.hostname, parts.port, target, target.tokens[index % len(target.tokens)],
                        random.Random(seed + index), recorder)  # repeatable mix, not secrets  # nosec B311
        while time.monotonic() < deadline and recorder.requests < max_requests:
            client.step()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(loop, index) for index in range(clients)]:
            future.result()
    recorder.seconds = time.perf_counter() - started
    return recorder


def report_rows(recorder):
    """Table rows: kind, requests, per second, p50/p95/p99/max in ms, statuses."""
    rows = []
    for kind in [*MIX, *sorted(set(recorder.latencies) - set(MIX))]:
        values = recorder.latencies.get(kind)
        if not values:
            continue
        ms = [percentile(values, share) * 1000 for share in (0.5, 0.95, 0.99, 1.0)]
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(recorder.statuses[kind].items(), key=str))
        rows.append((kind, len(values), f"{len(values) / recorder.seconds:.1f}", *(f"{v:.0f}" for v in ms), statuses))
    every = [v for values in recorder.latencies.values() for v in values]
    if every:
        ms = [percentile(every, share) * 1000 for share in (0.5, 0.95, 0.99, 1.0)]
        rows.append(("**all**", len(every), f"{len(every) / recorder.seconds:.1f}", *(f"{v:.0f}" for v in ms),
                     f"5xx/none: {recorder.server_errors}"))
    return rows
