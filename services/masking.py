"""Masking of personal data for lists and exports: 张三明 → 张*明, 13812345678 → 138****5678.

Pure functions with no Django imports, so models, templates and exports can all use them.
"""

MASK = "*"


def mask_name(name: str | None) -> str:
    """Keep the first and the last character; mask the middle, or the second of two.

    Latin names are masked per word the same way ("Li Ming" → "L* M**g"), so that a
    two-word name does not keep a whole word readable.
    """
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(_mask_latin_word(word) for word in name.split())
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]


def _mask_latin_word(word: str) -> str:
    if len(word) <= 2:
        return word[0] + MASK * (len(word) - 1)
    return word[0] + MASK * (len(word) - 2) + word[-1]


def mask_phone(phone: str | None) -> str:
    """Keep the first 3 and the last 4 digits of a number of 8 or more digits
    (138****5678); of a shorter one, keep only the last 2. Separators are dropped."""
    digits = "".join(c for c in (phone or "") if c.isdigit())
    if not digits:
        return ""
    if len(digits) >= 8:
        return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]
    if len(digits) <= 2:
        return MASK * len(digits)
    return MASK * (len(digits) - 2) + digits[-2:]
