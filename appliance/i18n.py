"""Translatable messages for what the core says to people (errors above all).

``_()`` marks a message for extraction into the translation catalog (webui/translations)
and fills in its ``{name}`` fields. It translates only when a caller has chosen a language
for the current context: the web layer does so per request (the screen's language); the
CLI and the logs stay English.
"""

from __future__ import annotations

import contextvars

_translations: contextvars.ContextVar = contextvars.ContextVar("tillbox_translations",
                                                               default=None)


def _(message: str, /, **fields) -> str:
    translations = _translations.get()
    text = translations.gettext(message) if translations is not None else message
    return text.format(**fields) if fields else text


def use(translations) -> contextvars.Token:
    """Translate messages in this context (a request) with ``translations`` (gettext-like)."""
    return _translations.set(translations)


def reset(token: contextvars.Token) -> None:
    _translations.reset(token)


def catalog(language: str):
    """The translations for ``language`` ("zh_CN", "zh", "en"): the same catalog as the pages.

    English is the source language, so it (and anything unknown) translates to itself.
    """
    from importlib import resources

    from babel.support import NullTranslations, Translations
    code = language.split("_")[0].split("-")[0].lower()
    if code == "en":
        return NullTranslations()
    return Translations.load(str(resources.files("webui") / "translations"), [code])


class language:
    """``with language("zh_CN"): ...`` translates messages made inside the block."""

    def __init__(self, lang: str):
        self.lang = lang

    def __enter__(self):
        self.token = use(catalog(self.lang))
        return self

    def __exit__(self, *exc):
        reset(self.token)
