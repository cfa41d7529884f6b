"""What a person does in every browser session of the journey and dashboard tests: choose English through
the language menu, sign in and out through the navbar, and leave a numbered screenshot of each step; and a
fixture that keeps the live server's count of requests in flight right when a browser drops a connection."""
import io
import os
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wsgi import ClosingIterator

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def snap(page, name):
    """A full-page screenshot as test-artifacts/<name>-<database>.png (both passes of `make test` kept)."""
    ARTIFACTS.mkdir(exist_ok=True)
    database = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    page.screenshot(path=str(ARTIFACTS / f"{name}-{database}.png"), full_page=True)


def navbar(page):
    """The main navigation bar."""
    return page.get_by_role("navigation", name="Main navigation")


def use_english(page):
    """Switch the interface to English through the language menu (the session keeps the choice)."""
    page.locator("a.dropdown-toggle", has=page.locator(".bi-translate")).click()
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def sign_in(page, email, name, password=PASSWORD):
    """Sign in from the navbar's link and wait for the greeting."""
    navbar(page).get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text=f"Signed in as {name}")).to_be_visible()


def sign_out(page, name):
    """Sign out through the account menu."""
    navbar(page).get_by_role("button", name=name).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert").filter(has_text="You are signed out")).to_be_visible()


def _dms(degrees):
    """Decimal degrees → (degrees, minutes, seconds), as EXIF stores a GPS coordinate."""
    degrees = abs(degrees)
    minutes = (degrees - int(degrees)) * 60
    return (float(int(degrees)), float(int(minutes)), round((minutes - int(minutes)) * 60, 2))


def camera_jpeg(lat, lon, size=(1200, 800), colour=(40, 120, 200)):
    """A JPEG as a phone takes it: camera make and model, and the GPS point (signed decimal degrees)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraHP"
    exif[ExifTags.Base.Model] = "Model 9"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S" if lat < 0 else "N", ExifTags.GPS.GPSLatitude: _dms(lat),
        ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W", ExifTags.GPS.GPSLongitude: _dms(lon),
    }
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture
def dropped_requests_end(live_server, monkeypatch):
    """Count a request as ended when Chromium resets its connection after reading the response.

    Werkzeug discards a request body the app never read (the sign-out form's) after responding; when the
    browser has already reset the connection, that read raises and werkzeug skips closing the response, so
    the live server's InFlight middleware (which counts a request as ended when its response is closed)
    waits for it forever at teardown. Here the response is closed when werkzeug reports the dropped
    connection and had not closed it. Request it before `page`, so it outlives the page's teardown.
    """
    in_flight = live_server.in_flight
    app = in_flight.wsgi_app
    dropped = WSGIRequestHandler.connection_dropped

    def app_noting_close(environ, start_response):
        response = ClosingIterator(app(environ, start_response), [lambda: environ.pop("rukun.test.response")])
        environ["rukun.test.response"] = response
        return response

    def connection_dropped(handler, error, environ=None):
        dropped(handler, error, environ)
        response = (environ or {}).get("rukun.test.response")
        if response is not None:  # still open: close it as werkzeug would have, and end it for InFlight
            response.close()
            in_flight._done()

    monkeypatch.setattr(in_flight, "wsgi_app", app_noting_close)
    monkeypatch.setattr(WSGIRequestHandler, "connection_dropped", connection_dropped)
    yield
