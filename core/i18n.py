"""What PageSight says to people, in English (as written in the code) or in French.

- An answer's own words (that the pages do not answer, that no row gives a figure, that it is quoted) are
  in its question's language (`answer_locale`).
- A face's words follow PAGESIGHT_LOCALE: "auto" takes the request's Accept-Language on the API, the
  terminal's LANG on the command line, the browser's language on the chat page (its own strings.js);
  "en" or "fr" fixes it.
- An error's message is translated when the catalogue below knows its form (`say`); what it quotes
  (file names, numbers) is kept as it was. A message it does not know stays in English: the catalogue
  holds what a user meets (not found, busy, too large, keys, uploads, files it cannot read).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

__all__ = ["LOCALES", "answer_locale", "locale_of", "say", "terminal_locale"]

LOCALES = ("en", "fr")

# Pages a document does not have, as a search says them (retrieve/steps.py): "page 40 (log.pdf has 12)",
# "pages 40, 52 (a.pdf has 6; b.pdf has 3)".
_PAGES_ABSENT = r"pages? [\d, .\-]+ \(.+ has \d+\)"


def _pages_fr(text: str) -> str:
    """"page 40 (log.pdf has 12)" as "la page 40 (log.pdf en a 12)"; "pages ..." as "les pages ..."."""
    text = re.sub(r" has (\d+)(;?)", lambda m: f" en a {m.group(1)}{' ;' if m.group(2) else ''}", text)
    return re.sub(r"^(pages?) ", lambda p: "les pages " if p.group(1) == "pages" else "la page ", text)


# English message (a regular expression over the whole message) -> French, with the groups it quotes.
French = str | Callable[[re.Match], str]
_FRENCH: list[tuple[re.Pattern, French]] = [(re.compile(english, re.DOTALL), french) for english, french in [
    (r"Quoted from the pages, not generated\.", "Cité des pages, non généré."),
    (r"The retrieved pages do not appear to answer the question\.",
     "Les pages trouvées ne semblent pas répondre à la question."),
    (r"No table row on these pages gives this figure for that period; the passages nearest to it:",
     "Aucune ligne de tableau de ces pages ne donne ce chiffre pour cette période ; les passages les plus "
     "proches :"),
    (r"No table row on these pages gives this figure; the passages nearest to it:",
     "Aucune ligne de tableau de ces pages ne donne ce chiffre ; les passages les plus proches :"),
    (r"Not in these documents: the picture matches no page of them well \(few of its words are on the nearest "
     r"page\), so there is nothing to answer from\.",
     "Absent de ces documents : l'image ne correspond bien à aucune de leurs pages (peu de ses mots figurent sur "
     "la page la plus proche), il n'y a donc rien à partir de quoi répondre."),
    (r"Not in these documents: the question asks about (.+), so they do not answer it\.",
     lambda m: f"Absent de ces documents : la question porte sur {_pages_fr(m.group(1))}, ils n'y répondent donc pas."),
    (_PAGES_ABSENT, lambda m: _pages_fr(m.group(0))),
    (r"No indexed page matches the question, so there is nothing to answer from\.",
     "Aucune page indexée ne correspond à la question : il n'y a rien à partir de quoi répondre."),
    (r"Not in these documents: the pages found do not mention (.+), so they do not answer this question\.",
     lambda m: "Absent de ces documents : les pages trouvées ne mentionnent pas "
     + re.sub(r"(\w) in (\d{4})", r"\1 en \2", m.group(1)) + ", elles ne répondent donc pas à cette question."),
    (r"missing or wrong API key: send Authorization: Bearer <key>",
     "clé d'API absente ou erronée : envoyez Authorization: Bearer <clé>"),
    (r"request body over the limit of ([\d,]+) bytes", r"corps de requête au-delà de la limite de \1 octets"),
    (r"no conversation (\S+)", r"aucune conversation \1"),
    (r"no job (\S+)", r"aucune tâche \1"),
    (r"no document matches (.+) \(give an id, a unique prefix of it, or a file name\)",
     r"aucun document ne correspond à \1 (donnez un identifiant, le début unique d'un identifiant ou un nom de "
     "fichier)"),
    (r"no document given \(an empty id\)", "aucun document donné (identifiant vide)"),
    (r"(.+) matches (\d+) documents \((.+)\); give more of the id",
     r"\1 correspond à \2 documents (\3) ; donnez davantage de l'identifiant"),
    (r"no page (\d+) in document (\S+) \((.+) has (\d+)\)", r"aucune page \1 dans le document \2 (\3 en a \4)"),
    (r"no page (\d+) in document (\S+)", r"aucune page \1 dans le document \2"),
    (r"no image for page (\d+) of (.+) \(the document was deleted\)",
     r"aucune image pour la page \1 de \2 (le document a été supprimé)"),
    (r"collection (.+) does not exist in (.+); ingest something first",
     r"la collection \1 n'existe pas dans \2 ; ingérez d'abord un document"),
    (r"this API key may not use collection (.+)", r"cette clé d'API ne peut pas utiliser la collection \1"),
    (r"this API key may read \(search, ask, conversations\), not upload or delete.*",
     "cette clé d'API peut lire (recherche, questions, conversations), pas téléverser ni supprimer : utilisez une "
     "clé d'administration"),
    (r"no files in the upload", "aucun fichier dans l'envoi"),
    (r"invalid request", "requête invalide"),
    (r"(\d+) answers are being generated or waiting, the most this server takes.*",
     r"\1 réponses sont en cours ou en attente, le maximum que ce serveur accepte ; réessayez dans un instant"),
    (r"this conversation holds (\d+) messages, the most one may.*",
     r"cette conversation compte \1 messages, le maximum autorisé ; commencez-en une nouvelle"),
    (r"a page of another origin may not change anything here.*",
     "une page d'une autre origine ne peut rien modifier ici"),
    (r"this server does not answer to that Host name.*", "ce serveur ne répond pas à ce nom d'hôte"),
    (r"the document has no pages", "le document n'a aucune page"),
    (r"cannot read (.+)", r"impossible de lire \1"),
    (r"the file is empty(.*)", r"le fichier est vide\1"),
    (r"(\d+) pages; the limit is (\d+)", r"\1 pages ; la limite est de \2"),
    (r"the PDF is encrypted; give its password \(--password\) to ingest it",
     "le PDF est chiffré ; donnez son mot de passe (--password) pour l'ingérer"),
    (r"the PDF is encrypted and the password given is wrong", "le PDF est chiffré et le mot de passe donné est faux"),
    (r"not ready: (.+)", r"pas prêt : \1"),
    # Pictures asked as questions (ingest/picture.py, api/server/schemas.py, the command line).
    (r"the picture is empty \(0 bytes\)", "l'image est vide (0 octet)"),
    (r"the picture is ([\d.]+) MB; the limit is ([\d.]+) MB", r"l'image fait \1 Mo ; la limite est de \2 Mo"),
    (r"a GIF is not read as a question \(often an animation\): send a PNG, JPEG or WebP still",
     "un GIF n'est pas lu comme une question (c'est souvent une animation) : envoyez une image fixe PNG, JPEG ou "
     "WebP"),
    (r"not a picture: send a PNG, JPEG, WebP or TIFF image \(judged by its content\)",
     "ce n'est pas une image : envoyez une image PNG, JPEG, WebP ou TIFF (jugée par son contenu)"),
    (r"the picture cannot be read: (.+)", lambda m: f"l'image ne peut pas être lue : {say(m.group(1), 'fr')}"),
    (r"the picture has (\d+) frames \(an animation or a multi-page image\); send one still picture",
     r"l'image a \1 trames (une animation ou une image de plusieurs pages) ; envoyez une seule image fixe"),
    (r"the picture is (\d+) x (\d+) pixels; no side may be longer than ([\d,]+) pixels",
     r"l'image fait \1 x \2 pixels ; aucun côté ne peut dépasser \3 pixels"),
    (r"frame (\d+) is (\d+) x (\d+) pixels \((\d+) Mpixels\); the limit is (\d+) Mpixels",
     r"la trame \1 fait \2 x \3 pixels (\4 Mpixels) ; la limite est de \5 Mpixels"),
    (r"the image cannot be decoded \((.+)\)", r"l'image ne peut pas être décodée (\1)"),
    (r"PageSight never fetches a picture from a URL: send the picture itself, as a data: URL or base64",
     "PageSight ne télécharge jamais une image depuis une URL : envoyez l'image elle-même, en URL data: ou en "
     "base64"),
    (r"a picture's data: URL must be base64 \(data:image/png;base64,\.\.\.\)",
     "l'URL data: d'une image doit être en base64 (data:image/png;base64,...)"),
    (r"the picture is not valid base64", "l'image n'est pas du base64 valide"),
    (r"an image_url part needs a url: a data: URL of the picture",
     "une partie image_url demande une url : l'URL data: de l'image"),
    (r"nothing to ask: give a question, --image PICTURE, or both",
     "rien à demander : donnez une question, --image IMAGE, ou les deux"),
    (r"cannot read the picture \((.+)\)", r"impossible de lire l'image (\1)"),
    (r"found by (.+)", lambda m: "trouvée par " + m.group(1).replace(" and ", " et ")),  # a hit's channels
    (r"no results \(do the filters match\?\)", "aucun résultat (les filtres correspondent-ils ?)"),
    (r"the picture: (\d+) words read in ([\d.]+) s, (\d+)% of them on the best page",
     r"l'image : \1 mots lus en \2 s, dont \3 % sur la meilleure page"),
    (r"not in these documents: (.+)", lambda m: f"absente de ces documents : {say(m.group(1), 'fr')}"),
    (r"no words could be read in the picture", "aucun mot n'a pu être lu dans l'image"),
    (r"the picture matches no page well: (\d+)% of its words on the nearest page",
     r"l'image ne correspond bien à aucune page : \1 % de ses mots sur la page la plus proche"),
    (r"error", "erreur"),
    (r"quoted from the pages, not generated", "cité des pages, non généré"),
    (r"box", "zone"),
    (r"whole page", "page entière"),
    (r"not supported by the page it cites", "non étayé par la page citée"),
    (r"the page does not hold", "la page ne contient pas"),
    (r"interrupted: stopping.*", "interrompu : arrêt en cours (le fichier en lecture n'est pas indexé ; Ctrl-C à "
     "nouveau pour arrêter tout de suite)"),
    (r"answerer: (\w+) \((.+)\)", lambda m: f"répondeur : {m.group(1)} ({say(m.group(2), 'fr')})"),
    (r"the server's: (.+)", lambda m: f"celui du serveur : {say(m.group(1), 'fr')}"),
    (r"the (\w+) profile has no generator", r"le profil \1 n'a pas de générateur"),
    (r"(\S+) is not on disk \(`pagesight models pull` fetches it\)",
     r"\1 n'est pas sur le disque (`pagesight models pull` le télécharge)"),
    (r"(\S+) is on disk", r"\1 est sur le disque"),
    (r"asked for", "demandé"),
    (r"set by PAGESIGHT_ANSWERER", "choisi par PAGESIGHT_ANSWERER"),
    (r"PAGESIGHT_REMOTE_URL is set \((.+)\)", r"PAGESIGHT_REMOTE_URL est défini (\1)"),
]]


def say(text: str, locale: str) -> str:
    """`text` in `locale` ("en": as it is; "fr": as the catalogue translates it, else as it is)."""
    if locale != "fr":
        return text
    for english, french in _FRENCH:
        if english.fullmatch(text):
            return english.sub(french, text)
    where, colon, reason = text.partition(": ")  # "file.pdf: reason", as an error names its file
    if colon and reason and (translated := say(reason, locale)) != reason:
        return f"{where} : {translated}"
    return text


def answer_locale(question: str) -> str:
    """The locale an answer speaks in: its question's language."""
    from .language import detect

    return "fr" if detect(question) == "fra" else "en"


def locale_of(accept_language: str | None, setting: str = "auto") -> str:
    """The locale a request is answered in: PAGESIGHT_LOCALE, or with "auto" its Accept-Language's first
    locale PageSight speaks ("fr-CA,fr;q=0.9,en;q=0.8": fr), English when none."""
    if setting in LOCALES:
        return setting
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for _, _, language in sorted(ranked):
        if language in LOCALES:
            return language
    return "en"


def terminal_locale(setting: str = "auto") -> str:
    """The command line's locale: PAGESIGHT_LOCALE, or with "auto" the terminal's (LC_ALL, LC_MESSAGES, LANG)."""
    if setting in LOCALES:
        return setting
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"
