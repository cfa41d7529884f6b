"""Rupiah: integer amounts, formatted the Indonesian way and parsed from what people type."""
import re

_DIGITS_WITH_DOTS = re.compile(r"^\d{1,3}(\.\d{3})+$")
_DIGITS = re.compile(r"^\d+$")


def group_thousands(amount, separator="."):
    """1250000 → '1.250.000'."""
    return f"{amount:,}".replace(",", separator)


def rupiah(amount):
    """Full form: Rp 1.250.000.000 (negative amounts keep their sign)."""
    if amount is None:
        return "–"
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {group_thousands(abs(int(amount)))}"


def rupiah_short(amount):
    """Tight form: Rp 1,25 M (miliar), Rp 250 jt (juta), Rp 750 rb (ribu), else the full form."""
    if amount is None:
        return "–"
    value = abs(int(amount))
    sign = "-" if amount < 0 else ""
    for size, suffix in ((10**12, "T"), (10**9, "M"), (10**6, "jt"), (10**3, "rb")):
        if value >= size:
            number = f"{value / size:.2f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{sign}Rp {number} {suffix}"
    return rupiah(amount)


def parse_rupiah(text):
    """'1500000', '1.500.000' or 'Rp 1.500.000' → 1500000; anything else → ValueError.

    A comma or a single dot that is not a thousands separator (e.g. '1500000.50') is refused:
    amounts are whole rupiah.
    """
    if isinstance(text, bool):
        raise ValueError("not an amount")
    if isinstance(text, int):
        return text
    cleaned = str(text or "").strip()
    cleaned = re.sub(r"^rp\.?\s*", "", cleaned, flags=re.IGNORECASE).replace(" ", "")
    if _DIGITS.match(cleaned):
        return int(cleaned)
    if _DIGITS_WITH_DOTS.match(cleaned):
        return int(cleaned.replace(".", ""))
    raise ValueError("not a whole rupiah amount")
