"""Progress reports with photos, government verification, completion, the timeline and notifications."""
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.domain import PackageStatus, ReportStatus, Role
from app.extensions import db
from app.models import LedgerEntry, Notification, ProgressPhoto, ProgressReport
from app.services import progress
from tests.functional.conftest import KALIBARU, jpeg
from tests.functional.test_catalogue import queries_for

pytestmark = pytest.mark.usefixtures("english_pages")


def report_data(site, drain=40, road=0, photos=(), **extra):
    data = {"report_date": progress.jakarta_today().isoformat(), "body": "Galian saluran selesai 40 %.",
            f"item_{site.drain.id}": str(drain), f"item_{site.road.id}": str(road),
            "photos": [(io.BytesIO(content), name) for name, content in photos]}
    data.update(extra)
    return data


def photo_files(app):
    folder = Path(app.config["UPLOAD_FOLDER"]) / "photos"
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def test_report_with_photos_is_verified_and_shown_to_the_public(app, client, login_as, site, english):
    login_as(site.staff)
    response = client.post(f"/manage/packages/{site.package.id}/reports/new", content_type="multipart/form-data",
                           data=report_data(site, photos=[("depan.jpg", jpeg(gps=KALIBARU)),
                                                          ("belakang.png", _png())], keep_gps="y",
                                            caption="Saluran baru di gang 3"))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    db.session.expire_all()
    report = db.session.scalars(select(ProgressReport)).one()
    assert report.status == ReportStatus.SUBMITTED
    assert db.session.get(type(site.package), site.package.id).status == PackageStatus.IN_PROGRESS

    photos = report.photos
    assert len(photos) == 2
    upload_root = Path(app.config["UPLOAD_FOLDER"]).resolve()
    static_root = Path(app.static_folder).resolve()
    for photo in photos:
        path = upload_root / "photos" / photo.filename
        assert path.is_file() and static_root not in path.parents
        assert photo.filename not in ("depan.jpg", "belakang.png") and photo.filename.endswith(".jpg")
        stored = Image.open(path)
        assert stored.format == "JPEG" and not stored.getexif()  # camera make, model, date and GPS gone
        assert b"KameraHP" not in path.read_bytes()
        thumb = Image.open(upload_root / "photos" / photo.thumbnail_filename)
        assert max(thumb.size) <= 480 < max(stored.size)
    located = next(photo for photo in photos if photo.lat is not None)
    assert located.lat == pytest.approx(-6.108333, abs=1e-5) and located.lon == pytest.approx(106.92, abs=1e-5)
    assert located.caption == "Saluran baru di gang 3"

    # Before verification: the public sees neither the report nor its photos; the aggregator does.
    thumb_url = f"/photos/{located.id}/thumb"
    assert client.get(thumb_url).status_code == 200
    client.post("/auth/logout")
    assert client.get(thumb_url).status_code == 404
    page = client.get(f"/packages/{site.package.id}").get_data(as_text=True)
    assert "Galian saluran" not in page and thumb_url not in page

    login_as(site.government)
    queue = client.get("/manage/reports").get_data(as_text=True)
    assert "Drainase Kalibaru" in queue and f"/manage/reports/{report.id}" in queue
    review = client.get(f"/manage/reports/{report.id}").get_data(as_text=True)
    assert "Saluran U-ditch" in review and "40 %" in review
    assert client.post(f"/manage/reports/{report.id}/verify").status_code == 302
    client.post("/auth/logout")

    db.session.expire_all()
    package = db.session.get(type(site.package), site.package.id)
    assert package.progress_pct == 30  # 40 % of 150 jt over 200 jt
    page = client.get(f"/packages/{package.id}").get_data(as_text=True)
    assert "Galian saluran" in page and thumb_url in page and f"/photos/{located.id}/full" in page
    assert 'data-figure="progress">30 %' in page
    assert "Progress report verified" in page and "Pledge received" in page
    timeline = re.findall(r'data-action="([a-z._]+)"', page)
    assert timeline == ["package.created", "package.status", "package.status", "pledge.received", "package.status",
                        "report.verified"]  # oldest first; pledges made and reports awaiting review stay out
    served = client.get(thumb_url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]

    notes = db.session.scalars(select(Notification).where(Notification.user_id == site.funder.id)).all()
    assert {"package_in_progress", "report_verified"} <= {note.kind for note in notes}


def _png():
    buffer = io.BytesIO()
    Image.new("RGBA", (640, 480), (10, 200, 90, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def _submit(site, drain, road, final=False):
    report = progress.submit_report(site.package, site.staff, progress.jakarta_today(), "Laporan",
                                    {site.drain.id: drain, site.road.id: road}, is_final=final)
    db.session.commit()
    return report


def test_final_report_completes_the_package_and_funders_hear_of_it(client, login_as, site, english):
    progress.verify_report(_submit(site, 100, 60), site.government, site.package)
    db.session.commit()
    login_as(site.staff)
    refused = client.post(f"/manage/packages/{site.package.id}/reports/new",
                          data=report_data(site, drain=100, road=90, is_final="y", body="Hampir selesai"))
    assert refused.status_code == 422
    assert "A final report has every work item at 100 %" in refused.get_data(as_text=True)
    assert "Hampir selesai" in refused.get_data(as_text=True)  # input kept
    assert db.session.scalar(select(func.count(ProgressReport.id))) == 1

    assert client.post(f"/manage/packages/{site.package.id}/reports/new",
                       data=report_data(site, drain=100, road=100, is_final="y")).status_code == 302
    final = db.session.scalars(select(ProgressReport).where(ProgressReport.is_final.is_(True))).one()
    client.post("/auth/logout")
    login_as(site.government)
    assert client.post(f"/manage/reports/{final.id}/verify").status_code == 302
    db.session.expire_all()
    package = db.session.get(type(site.package), site.package.id)
    assert (package.status, package.progress_pct) == (PackageStatus.COMPLETED, 100)
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == site.funder.id)).all()
    assert "package_completed" in kinds
    # A completed package takes no more reports.
    client.post("/auth/logout")
    login_as(site.staff)
    assert client.post(f"/manage/packages/{package.id}/reports/new",
                       data=report_data(site, drain=100, road=100)).status_code == 422


def test_rejection_needs_a_reason_tells_the_aggregator_and_counts_nothing(client, login_as, site, english):
    report = _submit(site, 80, 80)
    login_as(site.government)
    empty = client.post(f"/manage/reports/{report.id}/reject", data={"reason": "  "})
    assert empty.status_code == 422
    assert client.post(f"/manage/reports/{report.id}/reject",
                       data={"reason": "Foto tidak menunjukkan paving"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ProgressReport, report.id).status == ReportStatus.REJECTED
    assert db.session.get(type(site.package), site.package.id).progress_pct == 0
    note = db.session.scalars(select(Notification).where(Notification.user_id == site.staff.id,
                                                         Notification.kind == "report_rejected")).one()
    assert "Foto tidak menunjukkan paving" in note.body
    # Deciding twice is refused.
    assert client.post(f"/manage/reports/{report.id}/verify").status_code == 409
    entries = db.session.scalars(select(LedgerEntry.action).where(LedgerEntry.subject_type == "progress_reports"))
    assert sorted(entries) == ["report.rejected", "report.submitted"]


BAD_UPLOADS = {
    "text renamed": ("foto.jpg", b"just some text pretending to be a photo" * 10, "not a photo we can read"),
    "svg": ("gambar.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "web page, script or archive"),
    "html": ("foto.jpg", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
             "web page, script or archive"),
    "polyglot": ("foto.jpg", jpeg(extra=b"<script>alert(document.cookie)</script>"), "web page, script or archive"),
    "gif": ("anim.gif", None, "not a JPEG, PNG or WebP"),
    "too big": ("besar.jpg", None, "larger than"),
    "empty": ("kosong.jpg", b"", "is empty"),
}


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_bad_uploads_are_refused_and_nothing_is_stored(app, client, login_as, site, english, case):
    name, content, message = BAD_UPLOADS[case]
    if case == "gif":
        buffer = io.BytesIO()
        Image.new("P", (50, 50)).save(buffer, "GIF")
        content = buffer.getvalue()
    if case == "too big":
        app.config["PHOTO_MAX_BYTES"] = 50_000
        content = jpeg(width=3000, height=3000) + bytes(60_000)
    login_as(site.staff)
    response = client.post(f"/manage/packages/{site.package.id}/reports/new", content_type="multipart/form-data",
                           data=report_data(site, photos=[("ok.jpg", jpeg()), (name, content)],
                                            body="Teks yang harus tetap ada"))
    app.config["PHOTO_MAX_BYTES"] = 10 * 1024 * 1024
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "Teks yang harus tetap ada" in html
    assert db.session.scalar(select(func.count(ProgressReport.id))) == 0
    assert db.session.scalar(select(func.count(ProgressPhoto.id))) == 0
    assert photo_files(app) == []
    db.session.expire_all()
    assert db.session.get(type(site.package), site.package.id).status == PackageStatus.FUNDED


def test_a_request_over_the_size_limit_gets_a_clear_page(app, client, login_as, site, english):
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    login_as(site.staff)
    response = client.post(f"/manage/packages/{site.package.id}/reports/new", content_type="multipart/form-data",
                           data=report_data(site, photos=[("a.jpg", jpeg() + bytes(200_000))]))
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    assert response.status_code == 413
    assert "nothing was saved" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ProgressReport.id))) == 0


def test_who_may_report_verify_and_see(client, login_as, make, site, english):
    report = _submit(site, 10, 10)
    other_staff = make.user(Role.AGGREGATOR)
    collaborator = make.user(Role.COLLABORATOR)
    new_report = f"/manage/packages/{site.package.id}/reports/new"
    assert client.get(new_report).status_code == 302  # anonymous → sign in
    for user, expected in ((other_staff, 403), (collaborator, 403), (site.government, 403), (site.staff, 200)):
        login_as(user)
        assert client.get(new_report).status_code == expected, user.role
        client.post("/auth/logout")
    login_as(site.staff)
    assert client.post(f"/manage/reports/{report.id}/verify").status_code == 403
    assert client.get("/manage/reports").status_code == 403
    client.post("/auth/logout")
    login_as(other_staff)
    assert client.get(f"/manage/reports/{report.id}").status_code == 404
    assert client.get(f"/manage/packages/{site.package.id}/progress").status_code == 403


def test_work_can_start_explicitly(client, login_as, site, english):
    login_as(site.staff)
    page = client.get(f"/manage/packages/{site.package.id}/progress").get_data(as_text=True)
    assert "Start the work" in page
    assert client.post(f"/manage/packages/{site.package.id}/start").status_code == 302
    db.session.expire_all()
    assert db.session.get(type(site.package), site.package.id).status == PackageStatus.IN_PROGRESS
    assert db.session.scalar(select(func.count(ProgressReport.id))) == 0


def test_future_dates_and_out_of_range_percentages_are_refused(client, login_as, site, english):
    login_as(site.staff)
    tomorrow = (progress.jakarta_today() + timedelta(days=1)).isoformat()
    response = client.post(f"/manage/packages/{site.package.id}/reports/new",
                           data=report_data(site, drain=140, report_date=tomorrow))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "cannot be in the future" in html and "from 0 to 100" in html and 'value="140"' in html
    assert db.session.scalar(select(func.count(ProgressReport.id))) == 0


def test_package_page_queries_do_not_grow_with_reports(app, client, site):
    def count():
        return queries_for(client, f"/packages/{site.package.id}")

    progress.verify_report(_submit(site, 10, 10), site.government, site.package)
    db.session.commit()
    few = count()
    folder = str(Path(app.config["UPLOAD_FOLDER"]) / "photos")
    for step in range(20, 90, 10):
        report = progress.submit_report(site.package, site.staff, progress.jakarta_today(), "Lagi",
                                        {site.drain.id: step}, photos=[_prepared()] * 2, folder=folder)
        progress.verify_report(report, site.government, site.package)
        db.session.commit()
    assert count() == few


def _prepared():
    from werkzeug.datastructures import FileStorage

    from app.services import uploads
    return uploads.prepare_photo(FileStorage(io.BytesIO(jpeg(200, 200)), "x.jpg"), 10**7)
