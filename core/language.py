"""Which language a text is written in, among the common languages of Western Europe, by its most
frequent short words (articles, prepositions, pronouns): what a page, an OCR reading or a question
says about its language, without a model.

Codes are Tesseract's (ISO 639-2): "eng", "fra", "deu", "spa", "ita", "por", "nld". A text too short or
too mixed to tell gives None; callers then keep what they knew (the document's language, or English).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["LANGUAGES", "detect", "main_language", "parse_languages"]

LANGUAGES = {"eng": "English", "fra": "français", "deu": "Deutsch", "spa": "español", "ita": "italiano",
             "por": "português", "nld": "Nederlands"}

_ELIDED = "élision"  # what a French elision (l', d', qu' before a vowel) becomes, a word of French alone
# Each language's commonest short words, and the words its questions begin with. A word several languages
# share counts for each of them a share (`de`: French, Spanish, Portuguese, Dutch, a quarter each).
_WORDS = {
    "eng": "the of and to in is that for it with as was on be by this are from or have an which not but at "
           "they has were their its been would also can all will more these what there when who than a do does "
           "did how many much why where into about our your we you i he she his her them should could",
    "fra": "le la les des du de et est un une en que qui dans pour pas sur au aux ce cette sont par plus avec ne "
           "se il elle nous vous leur ou été être ont mais comme tout sa son ses quel quelle quels quelles combien "
           "comment pourquoi où entre selon faut peut lorsque ainsi donc aussi dont à y " + _ELIDED,
    "deu": "der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch es an werden aus er "
           "hat dass sie nach wird bei einer um am sind noch wie einem über so zum war haben nur oder welche "
           "welcher wieviele warum wo wann",
    "spa": "el la los las de y que en un una es por con para no se del al lo como más pero sus le ya o fue este "
           "ha sí porque esta son entre cuando muy sin sobre también hasta hay donde cuál cuáles qué cómo "
           "cuántos cuántas dónde a",
    "ita": "il di che e la per un una in è non con del della le si da dei sono al alla gli lo ha anche più come "
           "ma nel questo degli nella ci delle o se essere tra quale quali quanti quante perché dove a è",
    "por": "o a de que e do da em um uma para com não os no se na por mais as dos como mas ao ele das à seu sua "
           "ou quando muito nos já também só pelo pela até isso ela entre depois sem mesmo qual quais quantos "
           "quantas onde porque sobre é",
    "nld": "de het een en van in is dat op te zijn met voor niet aan er maar om ook als dan bij nog uit naar "
           "worden werd wordt heeft hebben deze dit door over zij ze welke hoeveel waarom waar",
}
_SETS = {code: frozenset(words.split()) for code, words in _WORDS.items()}
_WEIGHT = {word: 1 / sum(word in common for common in _SETS.values()) for common in _SETS.values() for word in common}
# Words standing alone (never a piece of "16d" or "B2"), of one letter only when a language's list
# holds ("à", "y", "è", "é", "o", "a") are what tells a short French question from a Spanish one sharing "que
# le de la"; other single letters (a table's "B", an initial) are dropped rather than counted as no language.
_WORD = re.compile(r"(?<![^\W_])[^\W\d_]+(?![^\W_])", re.UNICODE)
_ONE_LETTER = frozenset(w for common in _SETS.values() for w in common if len(w) == 1)
_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu)['’](?=[aeiouyhéèêàâîôûœ])", re.IGNORECASE)
MIN_WORDS = 4  # fewer words than this say nothing of a language
MIN_SHARE = 0.12  # of its words (weighted) among a language's: below, the text is no prose (a table, names)
MARGIN = 1.25  # the winner's share against the runner-up's


def detect(text: str) -> str | None:
    """The language of `text`, or None when it is too short, no prose, or too close between two."""
    words = [w for w in _WORD.findall(_ELISION.sub(f" {_ELIDED} ", text[:20_000].lower()))
             if len(w) > 1 or w in _ONE_LETTER]
    if len(words) < MIN_WORDS:
        return None
    shares = sorted(((sum(_WEIGHT[w] for w in words if w in common) / len(words), code)
                     for code, common in _SETS.items()), reverse=True)
    (best, code), (second, _) = shares[0], shares[1]
    if best < MIN_SHARE or best < MARGIN * second:
        return None
    return code


_CODE = re.compile(r"^[a-z]{3}(?:_[a-z]+)?$")


def parse_languages(value: str) -> list[str]:
    """"fra+eng" as ["fra", "eng"]; ValueError naming the part that is no language code."""
    parts = [p.strip() for p in value.split("+")]
    bad = [p for p in parts if not _CODE.match(p)]
    if not parts or bad:
        raise ValueError(f"{value!r} is not a list of language codes like fra+eng (three letters each, "
                         "Tesseract's: eng, fra, deu, spa, ita, por, nld, ...)")
    return list(dict.fromkeys(parts))


def main_language(languages: Iterable[str | None]) -> str | None:
    """The language most of these pages are in (their codes; "" or None for a page that did not tell), when
    it is at least half of those that told; else None."""
    told = Counter(code for code in languages if code)
    if not told:
        return None
    code, n = told.most_common(1)[0]
    return code if 2 * n >= sum(told.values()) else None
