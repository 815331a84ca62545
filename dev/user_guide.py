"""Write docs/user-guide.md (the printable user guide) from the built-in help in
webui/help.py: Chinese from the translation catalog, then English.

Run from the repository root after changing the help or its translations:
    .venv/bin/python dev/user_guide.py
(tests/unit/help/ fail while the guide and the help differ.)
"""
import html
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from babel.messages.pofile import read_po  # noqa: E402

from webui.help import topics  # noqa: E402

with open("webui/translations/zh/LC_MESSAGES/messages.po", "rb") as fh:
    cat = read_po(fh)


def zh(s):
    m = cat.get(s)
    assert m and m.string, f"no Chinese for {s!r}: run make translations"
    return m.string



def md(markup):
    s = re.sub(r'<b class="ui">(.*?)</b>', r"**\1**", str(markup))
    return html.unescape(s)

ZH_T, EN_T = topics(zh), topics(lambda s: s)
out = ["# 使用指南 · User guide", "",
       "本指南与收银系统内置的帮助页面（每个页面右上角的 **帮助** 按钮）内容相同，供打印使用。"
       "粗体字是屏幕上按钮和输入框的名称。每一节先中文，后英文。",
       "",
       "The same text as the built-in help (the **Help** button at the top of every page), "
       "for print. Words in bold are the buttons and fields as the screen shows them. Each "
       "section is in Chinese, then in English.",
       "",
       "The text comes from `webui/help.py`: change it there, then here (the unit tests in "
       "`tests/unit/help/` check that every topic and picture is in this guide).", "",
       "## 目录 · Contents", ""]
for i, slug in enumerate(ZH_T, 1):
    out.append(f"{i}. [{ZH_T[slug].title} · {EN_T[slug].title}](#{slug})")
out.append("")
for i, slug in enumerate(ZH_T, 1):
    z, e = ZH_T[slug], EN_T[slug]
    out += [f'<a id="{slug}"></a>', "", f"## {i}. {z.title} · {e.title}", "",
            f"*{z.who}*", ""]
    for n, st in enumerate(z.steps, 1):
        out.append(f"{n}. {md(st.text)}")
        if st.image:
            out += ["", f"   ![{st.alt}](../webui/static/help/{st.image})", ""]
    if z.tips:
        out += ["", "小贴士：", ""] + [f"- {md(t)}" for t in z.tips]
    out += ["", f"### {e.title}", "", f"*{e.who}*", ""]
    for n, st in enumerate(e.steps, 1):
        out.append(f"{n}. {md(st.text)}")
        if st.image:
            out.append(f"   (Picture: {st.alt}.)")
    if e.tips:
        out += ["", "Good to know:", ""] + [f"- {md(t)}" for t in e.tips]
    out.append("")
open("docs/user-guide.md", "w", encoding="utf-8").write("\n".join(out).rstrip() + "\n")
