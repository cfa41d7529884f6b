"""URL helpers shared by blueprints."""
from urllib.parse import urlsplit


def safe_next(target):
    """`target` when it is a local path (no scheme, no host, no '//' or '\\' tricks), else None."""
    if not target or not isinstance(target, str):
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    return target
