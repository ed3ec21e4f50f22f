"""How a worker is shown where the public may see them: the masked name of the public notice
(公示) of subsidy recipients. Pure; the ID number's mask is ``shared.pii.mask_national_id``."""


def mask_name(name: str) -> str:
    """A person's name as a public notice shows it: the first and last characters kept, those
    between starred (王小明 → 王*明, 欧阳小明 → 欧**明); a two-character name keeps its first
    (王明 → 王*), a one-character name is all starred."""
    chars = list(name.strip())
    if len(chars) <= 1:
        return "*" * len(chars)
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]
