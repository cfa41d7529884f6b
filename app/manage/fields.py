"""Form fields for numbers as people type them in Indonesia, and a range check that stays quiet
when the field could not be read at all (so each field shows one message, not two)."""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import ValidationError

from app.money import group_thousands, parse_rupiah

_PLAIN = re.compile(r"^-?\d+([.,]\d+)?$")
_GROUPED_ID = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.250,5
_GROUPED_EN = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,250.5


def parse_decimal(text, places=None, grouping=False):
    """'12,5', '12.5', and with `grouping` also '1.250,5' or '1,250.5' → Decimal; else ValueError.

    With at most two decimals allowed, '1.500' can only mean one thousand five hundred, so
    three-digit groups are read as thousands when `grouping` is on.
    """
    cleaned = (text or "").strip().replace(" ", "")
    if grouping and _GROUPED_ID.match(cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif grouping and _GROUPED_EN.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif _PLAIN.match(cleaned):
        cleaned = cleaned.replace(",", ".")
    else:
        raise ValueError("not a number")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if places is not None and value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError("too many decimals")
    return value


class _TypedField(StringField):
    """A text input whose data is parsed; the raw input is shown back when it cannot be read."""

    message = _l("Enter a number.")

    def parse(self, text):
        """Turn the typed text into data (subclasses raise ValueError when it cannot be read)."""
        return text.strip()

    def show(self, value):
        """How stored data is written back into the input."""
        return str(value)

    def process_formdata(self, valuelist):
        """Empty input is no data (InputRequired or Optional decides); unreadable input is one error."""
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = self.parse(str(valuelist[0]))
        except ValueError:
            raise ValueError(self.message) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.show(self.data) if self.data is not None else ""


class DecimalInputField(_TypedField):
    """A decimal number; a comma or a dot as the decimal mark."""

    def __init__(self, label=None, validators=None, places=None, grouping=False, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)
        self.places = places
        self.grouping = grouping
        self.message = (_l("Enter a number with at most %(n)d decimals.", n=places) if places is not None
                        else _l("Enter a number."))

    def parse(self, text):
        """Decimal, at most `places` decimals."""
        return parse_decimal(text, places=self.places, grouping=self.grouping)

    def show(self, value):
        """Without trailing zeros: 12.50 → 12.5."""
        return format(Decimal(str(value)).normalize(), "f")


class CountField(_TypedField):
    """A whole number such as households or population; '12.345' and '12345' both read."""

    message = _l("Enter a whole number.")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)

    def parse(self, text):
        """int, refusing fractions."""
        value = parse_decimal(text, grouping=True)
        if value != value.to_integral():
            raise ValueError("not whole")
        return int(value)


class RupiahField(_TypedField):
    """Whole rupiah: '1500000', '1.500.000' or 'Rp 1.500.000'."""

    message = _l("Enter a whole rupiah amount, such as 1.500.000.")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)

    def parse(self, text):
        """The money module's parser."""
        return parse_rupiah(text)

    def show(self, value):
        """1.500.000."""
        return group_thousands(int(value))


class Between:
    """`low` ≤ data ≤ `high` (either bound optional); silent when the field has no data."""

    def __init__(self, low=None, high=None, message=None, exclusive_low=False):
        self.low = low
        self.high = high
        self.exclusive_low = exclusive_low
        self.message = message

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        too_low = self.low is not None and (value <= self.low if self.exclusive_low else value < self.low)
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            raise ValidationError(self.message or _l("Enter a value from %(low)s to %(high)s.",
                                                     low=self.low, high=self.high))


def without_removed_row(formdata, list_name):
    """Rows added and removed with submit buttons (no JavaScript): a click on `<list_name>-N-remove` drops
    row N's inputs before the form is bound. Returns (form data, True when a row was removed)."""
    pattern = re.compile(rf"^{re.escape(list_name)}-(\d+)-remove$")
    removed = [int(match[1]) for match in map(pattern.match, formdata.keys()) if match]
    if not removed:
        return formdata, False
    prefix = f"{list_name}-{removed[0]}-"
    return MultiDict([(key, value) for key, value in formdata.items(multi=True) if not key.startswith(prefix)]), True
