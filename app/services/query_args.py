"""Reading query-string filters: each reader adds the good values to `values` and names the bad ones in
`errors` (parameter → message), so pages can keep the input, say what was wrong and ignore it."""
from flask_babel import lazy_gettext as _l


def whole_numbers(args, specs, errors, values):
    """(name, low, high) specs: optional whole numbers within their bounds."""
    for name, low, high in specs:
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit()):
            errors[name] = _l("Must be a whole number.")
        elif not low <= int(raw) <= high:
            errors[name] = _l("Must be from %(low)d to %(high)d.", low=low, high=high)
        else:
            values[name] = int(raw)


def region_code(args, name, errors, values):
    """An optional Kemendagri code such as 31.72 or 31.72.04.1004."""
    code = (args.get(name) or "").strip()
    if code and (len(code) > 20 or not all(part.isascii() and part.isalnum() for part in code.split("."))):
        errors[name] = _l("Not a region code.")
    elif code:
        values[name] = code
