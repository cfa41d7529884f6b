"""Rupiah formatting and parsing."""
import pytest

from app.money import parse_rupiah, rupiah, rupiah_short


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "Rp 0"), (999, "Rp 999"), (1_250_000_000, "Rp 1.250.000.000"), (-1_500, "-Rp 1.500"), (None, "–")],
)
def test_full_form(amount, text):
    assert rupiah(amount) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (1_250_000_000, "Rp 1,25 M"), (250_000_000, "Rp 250 jt"), (2_000_000_000, "Rp 2 M"),
        (1_500_000, "Rp 1,5 jt"), (750_000, "Rp 750 rb"), (500, "Rp 500"), (3_500_000_000_000, "Rp 3,5 T"),
    ],
)
def test_short_form(amount, text):
    assert rupiah_short(amount) == text


@pytest.mark.parametrize("text", ["1500000", "1.500.000", "Rp 1.500.000", "rp1500000", "  Rp. 1.500.000 "])
def test_parse_accepts_what_people_type(text):
    assert parse_rupiah(text) == 1_500_000


@pytest.mark.parametrize("text", ["", "abc", "1,5", "1500000.50", "1.50.000", "-5", "1e6", "Rp", True])
def test_parse_refuses_anything_else(text):
    with pytest.raises(ValueError, match="amount"):
        parse_rupiah(text)
