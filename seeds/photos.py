"""Demo progress photos, drawn rather than shipped: a street scene in flat colours with the step written
on it, geotagged a few metres from the RW's centre, passed through the same upload checks as real ones."""
import io
import random

from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from app.services import uploads

SKY, ROAD, WALL, ROOF, WATER = (150, 196, 230), (120, 120, 118), (214, 196, 160), (170, 70, 50), (70, 130, 180)


def _scene(step, rng):
    image = Image.new("RGB", (960, 640), SKY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 420, 960, 640), fill=ROAD)
    for left in range(0, 960, 190):
        height = rng.randint(150, 260)
        draw.rectangle((left + 10, 420 - height, left + 170, 420), fill=WALL)
        draw.polygon([(left, 420 - height), (left + 90, 360 - height), (left + 180, 420 - height)], fill=ROOF)
    # The drain: more of it finished at each step.
    draw.rectangle((0, 540, int(960 * step / 100), 580), fill=WATER)
    draw.rectangle((20, 20, 420, 90), fill=(255, 255, 255))
    draw.text((36, 40), f"Rukun demo - progres {step}%", fill=(0, 0, 0))
    return image


def demo_photos(rw, step, count=2, max_bytes=10 * 1024 * 1024):
    """`count` prepared photos for a report at `step` %, located near the RW."""
    rng = random.Random(f"{rw.id}-{step}")  # repeatable demo pictures, not secrets  # nosec B311
    photos = []
    for n in range(count):
        buffer = io.BytesIO()
        _scene(step, rng).save(buffer, "JPEG", quality=80)
        buffer.seek(0)
        photo = uploads.prepare_photo(FileStorage(buffer, f"demo-{n}.jpg"), max_bytes)
        photo.lat = round(rw.lat + rng.uniform(-0.0008, 0.0008), 6)
        photo.lon = round(rw.lon + rng.uniform(-0.0008, 0.0008), 6)
        photo.caption = f"Progres {step} % (foto demo)"
        photos.append(photo)
    return photos
