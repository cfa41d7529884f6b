"""Column types and helpers shared by the models (kept apart from models so extensions can use them)."""
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, CheckConstraint, DateTime
from sqlalchemy.types import TypeDecorator

# Rupiah are whole numbers; BIGINT holds any programme (and 10^18) without floats anywhere.
Money = BigInteger


def utcnow():
    """Timezone-aware now, used as a column default callable (never evaluated at import)."""
    return datetime.now(UTC)


def in_choices(column, choices, name):
    """CHECK constraint keeping a string column inside an enum's values."""
    values = ", ".join(f"'{choice}'" for choice in choices)
    return CheckConstraint(f"{column} IN ({values})", name=name)


class FixedDecimal(TypeDecorator):
    """A decimal stored exactly as a scaled integer (e.g. 12.5 m → 1250 with scale 2).

    SQLite has no exact decimal type; this keeps quantities exact on both databases.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale=2):
        super().__init__()
        self.scale = scale
        self.factor = Decimal(10) ** scale

    def process_bind_param(self, value, dialect):
        """Decimal/int/str → scaled integer."""
        if value is None:
            return None
        scaled = (Decimal(str(value)) * self.factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return int(scaled)

    def process_result_value(self, value, dialect):
        """Scaled integer → Decimal with `scale` places."""
        if value is None:
            return None
        return (Decimal(value) / self.factor).quantize(Decimal(1).scaleb(-self.scale))


class UTCDateTime(TypeDecorator):
    """Timestamps stored as naive UTC and always read back timezone-aware (UTC).

    SQLite keeps no offsets, so storing naive UTC on both databases gives the same values back.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Aware → naive UTC; naive values are taken to be UTC already."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        """Naive UTC → aware UTC."""
        return value.replace(tzinfo=UTC) if value is not None else None
