"""Property-based tests of the whole API against its own OpenAPI document (schemathesis, through the WSGI app).

Every documented operation, reads and writes, gets generated requests, valid and invalid (schemathesis'
positive and negative modes), with a collaborator's token; every response must be no 5xx, a documented
status, the documented content type, and a body that fits the documented schema. Hypothesis is
derandomized with a small example budget, so a run is deterministic and bounded.
"""
import json
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks

from app.api import openapi
from app.domain import Role
from app.extensions import db
from app.services import preferences, tokens

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]
# Small and derandomized for `make test`; raise it for a deeper search: RUKUN_API_FUZZ_EXAMPLES=500 pytest ...
MAX_EXAMPLES = int(os.environ.get("RUKUN_API_FUZZ_EXAMPLES", 30))
SEEN = os.environ.get("RUKUN_API_FUZZ_LOG")  # a file to append "METHOD path status" lines to, when set
# The WSGI transport hands over the body as sent, where an HTTP client would inflate gzip: ask for it
# uncompressed (gzip has its own tests in test_open_data_api.py).
HEADERS = {"Accept-Encoding": "identity"}


@pytest.fixture
def token(world, make):
    """A collaborator's personal token, with a saved budget so the planner has something to plan."""
    collaborator = make.user(Role.COLLABORATOR)
    preferences.save(collaborator, preferences.PreferenceInput(
        budget=400_000_000, aspects=["drainase"], sites=[preferences.SiteInput("Pabrik", -6.2, 106.8, 5)]))
    plain, _token = tokens.create_token(collaborator, "Schemathesis")
    rw = world["Sanitasi Utara"].rw
    rw.boundary_geojson = json.dumps({"type": "Polygon", "coordinates": [
        [[106.8, -6.2], [106.81, -6.2], [106.81, -6.21], [106.8, -6.2]]]})
    db.session.commit()
    return plain


@pytest.fixture
def api_schema(app, token):
    """The app's own document, loaded and exercised through WSGI; each request in a fresh app context
    (as a server runs it) so requests share no `g` or database session with the test or each other."""

    def wsgi(environ, start_response):
        with app.app_context():
            body = app(environ, start_response)
            try:
                return [b"".join(body)]  # read a streamed body while its context is open
            finally:
                getattr(body, "close", lambda: None)()

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi)


# One pytest item per operation, each with fresh data, driven through Hypothesis directly: schemathesis'
# own pytest integration (`schemathesis.pytest.from_fixture`) reaches for `Node._nodeid`, which pytest 9.2
# no longer has.
def documented_operations():
    """(method, path) of every operation, read from the document the app serves (built without a request)."""
    paths = openapi.document("http://localhost/api/v1")["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), documented_operations())
def test_api_conforms_to_its_document(api_schema, token, world, method, path):
    operation = api_schema[path][method]
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)
    names = re.findall(r"{(\w+)}", path)
    if names:  # random ids mostly name nothing: also aim at an open package and its RW, to get past the 404
        package = world["Sanitasi Utara"]
        known = {"package_id": package.id, "rw_id": package.rw_id}
        cases |= operation.as_strategy(GenerationMode.POSITIVE, path_parameters={n: known[n] for n in names})

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
    def call(case):
        response = case.call_and_validate(headers=HEADERS | {"Authorization": f"Bearer {token}"}, checks=CHECKS)
        if SEEN:
            with open(SEEN, "a") as log:
                log.write(f"{method} {path} {response.status_code}\n")

    call()
