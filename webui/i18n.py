"""The translation layer: Flask-Babel with zh-CN as the default and English second.

Source strings are English (msgids); the Chinese catalog is webui/translations/zh. The
language is chosen by ``?lang=`` (remembered in a cookie), then the cookie, then the
browser's Accept-Language, then Chinese.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel, get_translations

from appliance import i18n as core_i18n

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT = "zh"
COOKIE = "lang"


def select_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        g.set_lang_cookie = chosen
        return chosen
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)


def init(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    Babel(app, locale_selector=select_locale)

    @app.after_request
    def remember_language(resp):
        lang = g.pop("set_lang_cookie", None)
        if lang:
            resp.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
        return resp

    @app.context_processor
    def languages():
        return {"LANGUAGES": LANGUAGES}

    # Messages the core raises are translated into the screen's language (appliance.i18n).
    @app.before_request
    def use_screen_language():
        g.i18n_token = core_i18n.use(get_translations())

    @app.teardown_request
    def back_to_english(_exc):
        token = g.pop("i18n_token", None)
        if token is not None:
            core_i18n.reset(token)
