"""Uploaded files: progress photos and spending receipts, checked by content, never trusted by name.

A photo must decode as JPEG, PNG or WebP with Pillow; it is re-encoded to a fresh JPEG, which drops
EXIF, ICC comments and anything appended to the original (the usual polyglot trick), with a thumbnail
beside it. The GPS point is read before re-encoding and returned only when the uploader asked to keep
it. Files that also look like web pages, scripts or archives are refused outright. Receipts may be a
photo (treated like one) or a PDF without scripts or embedded files. Names are generated; files live
under UPLOAD_FOLDER, outside static/, and are served through the app.

Nothing is written until every file of a submission has passed (`prepare_*`), so a refused upload
leaves nothing behind; `Stored.discard()` removes written files when the database write fails.
"""
import io
import re
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; larger decodes are refused as possible bombs
FULL_SIZE, THUMB_SIZE = 2048, 480
# Markup or archive signatures that have no business inside a photo or receipt.
_MARKUP = re.compile(rb"<\s*(?:script|html|svg|iframe|body|object|embed|\?php|!doctype)", re.I)
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|OpenAction|AA)\b")


class UploadError(ValueError):
    """A file refused, with a message for the person who sent it."""


@dataclass
class PreparedPhoto:
    """A checked, re-encoded photo held in memory until the submission is saved."""

    original_name: str
    full: bytes
    thumb: bytes
    width: int
    height: int
    lat: float | None = None
    lon: float | None = None
    caption: str | None = None


@dataclass
class PreparedReceipt:
    """A checked receipt: a re-encoded photo (JPEG) or a PDF, held in memory."""

    content: bytes
    content_type: str
    extension: str


@dataclass
class Stored:
    """Files written for one submission, so they can be removed if the transaction fails."""

    paths: list = field(default_factory=list)

    def discard(self):
        """Remove every file written (after a failed commit)."""
        for path in self.paths:
            Path(path).unlink(missing_ok=True)
        self.paths.clear()


def _read(upload, max_bytes):
    """The upload's bytes, refusing empty and oversized files without reading past the limit."""
    data = upload.stream.read(max_bytes + 1)
    name = upload.filename or "file"
    if not data:
        raise UploadError(_l("“%(name)s” is empty.", name=name))
    if len(data) > max_bytes:
        raise UploadError(_l("“%(name)s” is larger than %(mb)s MB.", name=name, mb=max_bytes // (1024 * 1024)))
    if _MARKUP.search(data) or (b"PK\x03\x04" in data and b"PK\x05\x06" in data):
        raise UploadError(_l("“%(name)s” carries web page, script or archive content and was refused.", name=name))
    return data


def _open_image(data, name):
    """Decode with Pillow, refusing anything that is not a real JPEG/PNG/WebP or is absurdly large."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
            if probe.format not in PHOTO_FORMATS:
                raise UploadError(_l("“%(name)s” is not a JPEG, PNG or WebP photo.", name=name))
            if probe.width * probe.height > MAX_PIXELS:
                raise UploadError(_l("“%(name)s” has too many pixels.", name=name))
            probe.verify()  # checks the structure; the image must be opened again to use it
            image = Image.open(io.BytesIO(data))
            image.load()
        except UploadError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
                Image.DecompressionBombError):
            raise UploadError(_l("“%(name)s” is not a photo we can read (JPEG, PNG or WebP).", name=name)) from None
    return image


def _gps_point(image):
    """Decimal (lat, lon) from the EXIF GPS block, or (None, None)."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps[ExifTags.GPS.GPSLatitudeRef])
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps[ExifTags.GPS.GPSLongitudeRef])
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return round(lat, 6), round(lon, 6)


def _degrees(dms, ref):
    degrees, minutes, seconds = (float(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).upper() in ("S", "W") else value


def _jpeg(image, size):
    """`image` upright, in RGB, fitted within size×size, as a JPEG without metadata."""
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def _upright_rgb(image):
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    return image


def prepare_photo(upload, max_bytes, keep_gps=False):
    """Check and re-encode one uploaded photo (a werkzeug FileStorage); raises UploadError."""
    name = upload.filename or "photo"
    data = _read(upload, max_bytes)
    image = _open_image(data, name)
    lat, lon = _gps_point(image) if keep_gps else (None, None)
    upright = _upright_rgb(image)
    full = _jpeg(upright, FULL_SIZE)
    width, height = Image.open(io.BytesIO(full)).size
    return PreparedPhoto(name, full, _jpeg(upright, THUMB_SIZE), width, height, lat, lon)


def prepare_receipt(upload, max_bytes):
    """Check one receipt: a photo (re-encoded) or a script-free PDF; raises UploadError."""
    name = upload.filename or "receipt"
    data = _read(upload, max_bytes)
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise UploadError(_l("“%(name)s” is not a complete PDF.", name=name))
        if _PDF_ACTIVE.search(data):
            raise UploadError(_l("“%(name)s” contains scripts, actions or embedded files; send a plain PDF or a "
                                 "photo of the receipt.", name=name))
        return PreparedReceipt(data, "application/pdf", "pdf")
    image = _upright_rgb(_open_image(data, name))
    return PreparedReceipt(_jpeg(image, FULL_SIZE), "image/jpeg", "jpg")


def _write(folder, name, content, stored):
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:  # "x": a generated name never overwrites anything
        handle.write(content)
    stored.paths.append(str(path))
    return name


def new_name(extension):
    """A generated, unguessable file name."""
    return f"{secrets.token_hex(16)}.{extension}"


def save_photo(folder, photo, stored):
    """Write a prepared photo and its thumbnail; returns (filename, thumbnail_filename, size_bytes)."""
    base = secrets.token_hex(16)
    full = _write(folder, f"{base}.jpg", photo.full, stored)
    thumb = _write(folder, f"{base}.thumb.jpg", photo.thumb, stored)
    return full, thumb, len(photo.full)


def save_receipt(folder, receipt, stored):
    """Write a prepared receipt; returns its filename."""
    return _write(folder, new_name(receipt.extension), receipt.content, stored)


_SAFE_NAME = re.compile(r"^[0-9a-f]{32}(?:\.thumb)?\.(?:jpg|pdf)$")


def path_of(folder, filename):
    """The path of a stored file, refusing any name the app did not generate."""
    if not filename or not _SAFE_NAME.match(filename):
        raise FileNotFoundError(filename)
    return Path(folder) / filename
