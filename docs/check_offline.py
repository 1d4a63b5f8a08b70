"""Check that the built site loads nothing from the network.

Run by ``docs/build.sh`` after sphinx-build::

    python3 docs/check_offline.py [docs/_build/html]

Every HTML page of the site is read; the check fails (exit status 1, one line
per page and URL) if a page would fetch anything from the network when opened:

* ``<script src>`` and ``<link href>`` that loads (stylesheet, preload, icon,
  ...) with an ``http:``/``https:`` or protocol-relative ``//`` URL;
* a URL of that kind written in an inline ``<script>`` (a MathJax
  configuration, say) or in ``_static/documentation_options.js``;
* a remote ``@import`` or ``url()`` (fonts, mostly) in a ``<style>`` element,
  a ``style`` attribute, or a local stylesheet that a page links to (followed
  through its local ``@import``).

Links to other sites (``<a href>``) are no load and are not checked, nor are
images. The JavaScript libraries themselves (MathJax, the theme) are not
searched for URLs: they hold some, for old browsers, that they never load here.

Standard library only.
"""

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: ``<link rel=...>`` values that make the browser fetch ``href``.
LOADING_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "icon",
    "apple-touch-icon",
    "manifest",
}
#: Local scripts that hold configuration, not library code: searched for URLs
#: like inline scripts.
CONFIG_SCRIPTS = {"documentation_options.js"}

_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)
# A remote URL inside a JavaScript string literal.
_JS_URL = re.compile(r"""["'`]\s*((?:https?:)?//[^"'`\s]+)""", re.I)
# url(...) and @import "..." in CSS.
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)|@import\s+["']([^"']+)["']""", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def is_remote(url):
    """Whether ``url`` is fetched from the network: ``http(s)://`` or ``//``."""
    return bool(_REMOTE.match(url))


def js_urls(text):
    """The remote URLs written as string literals in JavaScript ``text``."""
    return _JS_URL.findall(text)


def css_urls(text):
    """Every URL of ``url()`` and ``@import`` in CSS ``text``, comments left out."""
    text = _CSS_COMMENT.sub("", text)
    return [a or b for a, b in _CSS_URL.findall(text)]


class _PageParser(HTMLParser):
    """Collects what a page loads: (kind, url) pairs and its inline code."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads = []  # (kind, url)
        self.inline_scripts = []
        self.inline_styles = []
        self._in = None  # "script" or "style" while inside one
        self._buffer = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if "style" in attrs:
            self.inline_styles.append(attrs["style"])
        if tag == "script":
            if attrs.get("src"):
                self.loads.append(("script", attrs["src"]))
            self._in, self._buffer = "script", []
        elif tag == "style":
            self._in, self._buffer = "style", []
        elif tag == "link" and attrs.get("href"):
            rels = set(attrs.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                kind = "stylesheet" if "stylesheet" in rels else "link"
                self.loads.append((kind, attrs["href"]))

    def handle_endtag(self, tag):
        if tag == self._in:
            text = "".join(self._buffer)
            if tag == "script":
                self.inline_scripts.append(text)
            else:
                self.inline_styles.append(text)
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._buffer.append(data)


def _local_file(base, url):
    """The file that the relative ``url`` names, seen from folder ``base``."""
    path = unquote(urlsplit(url).path)
    if not path or urlsplit(url).scheme:
        return None
    return (base / path).resolve()


def _css_problems(css_file, seen):
    """(kind, url) of the remote loads of a local stylesheet and its imports."""
    if css_file in seen or not css_file.is_file():
        return []
    seen[css_file] = problems = []
    for url in css_urls(css_file.read_text(encoding="utf-8", errors="replace")):
        if is_remote(url):
            problems.append((f"url() in {css_file.name}", url))
        elif url.split("?")[0].endswith(".css"):
            local = _local_file(css_file.parent, url)
            if local is not None:
                problems += _css_problems(local, seen)
    return problems


def find_network_loads(html, page=None, cache=None):
    """The ``(kind, url)`` pairs of what ``html`` would load from the network.

    ``page``, the path of the HTML file, lets the local stylesheets and
    configuration scripts it links to be read too; ``cache`` (a dict) keeps
    what was found in those files across pages.
    """
    cache = {} if cache is None else cache
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    problems = [(kind, url) for kind, url in parser.loads if is_remote(url)]
    for script in parser.inline_scripts:
        problems += [("URL in inline script", url) for url in js_urls(script)]
    for style in parser.inline_styles:
        problems += [("url() in inline style", u) for u in css_urls(style)]
    problems = [(kind, url) for kind, url in problems if is_remote(url)]
    if page is None:
        return problems
    base = Path(page).resolve().parent
    for kind, url in parser.loads:
        if is_remote(url):
            continue
        local = _local_file(base, url)
        if local is None:
            continue
        if kind == "stylesheet":
            problems += _css_problems(local, cache)
        elif kind == "script" and local.name in CONFIG_SCRIPTS:
            if local not in cache:
                text = local.read_text(encoding="utf-8") if local.is_file() else ""
                cache[local] = [(f"URL in {local.name}", u) for u in js_urls(text)]
            problems += cache[local]
    return problems


def check_site(root):
    """``(page, kind, url)`` for every network load of the pages under ``root``."""
    root = Path(root)
    cache = {}
    found = []
    for page in sorted(root.rglob("*.html")):
        html = page.read_text(encoding="utf-8", errors="replace")
        for kind, url in find_network_loads(html, page, cache):
            found.append((page.relative_to(root).as_posix(), kind, url))
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent / "_build" / "html"
    parser.add_argument("site", nargs="?", type=Path, default=default)
    site = parser.parse_args(argv).site
    pages = list(site.rglob("*.html")) if site.is_dir() else []
    if not pages:
        print(f"check_offline: no HTML pages under {site}", file=sys.stderr)
        return 2
    found = check_site(site)
    for page, kind, url in found:
        print(f"{site / page}: {kind} from the network: {url}", file=sys.stderr)
    if found:
        n_pages = len({page for page, _, _ in found})
        print(
            f"check_offline: {n_pages} of {len(pages)} pages load from the "
            "network; the site must work offline (serve the file from _static/)",
            file=sys.stderr,
        )
        return 1
    print(
        f"check_offline: {len(pages)} pages, none loads a script, stylesheet "
        "or font from the network"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
