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
